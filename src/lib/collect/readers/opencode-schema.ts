/**
 * The schema of one OpenCode message (MessageV2.Info; in the database without `id` and `sessionID`), the fields
 * the OpenCode reader (opencode.ts) uses. A module of its own, loaded only for a message the reader's fast check
 * (`isMessageFast`) does not take: a collect of well-formed messages, or one with nothing new, loads no zod.
 */
import { z } from "zod"

const count = z.number().transform((n) => (Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0))

export const OpenCodeMessage = z.object({
  id: z.string().optional(),
  sessionID: z.string().optional(),
  role: z.string(),
  time: z.object({ created: z.number().optional(), completed: z.number().nullish() }).optional(),
  providerID: z.string().optional(),
  modelID: z.string().optional(),
  mode: z.string().optional(),
  agent: z.string().optional(),
  path: z.object({ cwd: z.string().optional(), root: z.string().optional() }).optional(),
  cost: z.number().optional(),
  tokens: z
    .object({
      input: count.optional(),
      output: count.optional(),
      reasoning: count.optional(),
      cache: z.object({ read: count.optional(), write: count.optional() }).optional(),
    })
    .optional(),
})
export type OpenCodeMessage = z.infer<typeof OpenCodeMessage>
