/**
 * The schemas of Gemini CLI's chat records (the Gemini reader, gemini.ts): a message, the session metadata and the
 * older whole-conversation `.json` record. A module of its own, loaded by the first read with something to read, so
 * that a round with nothing new loads no zod.
 */
import { z } from "zod"

const count = z.unknown().transform((n) => (typeof n === "number" && Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0))

/** A message record (MessageRecord; a `gemini` one carries `tokens` and `model`). */
export const GeminiMessage = z.object({
  id: z.string().min(1),
  timestamp: z.string().optional(),
  type: z.string().optional(),
  model: z.string().nullish(),
  tokens: z
    .object({
      input: count,
      output: count,
      cached: count,
      thoughts: count,
      tool: count,
      total: count,
    })
    .nullish(),
})
export type GeminiMessage = z.infer<typeof GeminiMessage>

/** The session metadata: a `.jsonl` file's first line, a `$set` update, or the top of a `.json` record. */
export const SessionInfo = z.object({
  sessionId: z.string().optional(),
  projectHash: z.string().optional(),
  kind: z.string().optional(),
})
export type SessionInfo = z.infer<typeof SessionInfo>

/** A whole `.json` conversation record (the older format). */
export const Conversation = SessionInfo.extend({ messages: z.array(z.unknown()) })
