/**
 * The zod schemas of the sessions report's and the nodes list's JSON (src/lib/query/sessions.ts builds them):
 * what the API client checks an answer against, and the shapes tests hold the endpoints and `--json` to. Kept
 * apart so that building the JSON loads no zod.
 */
import { z } from "zod"
import type { NodesJson, SessionsJson } from "./sessions.js"

const count = z.number().int().nonnegative()
const cost = z.number().nonnegative()

const totalsShape = {
  totalCost: cost,
  callCount: count,
  inputTokens: count,
  outputTokens: count,
  cacheReadTokens: count,
  cacheWriteTokens: count,
  reasoningTokens: count,
  unpricedCalls: count,
}

export const sessionsJsonSchema = z.object({
  sessions: z.array(
    z.object({
      sessionID: z.string(),
      node: z.string(),
      agent: z.string().nullable(),
      project: z.string().nullable(),
      firstCall: z.iso.datetime(),
      lastCall: z.iso.datetime(),
      durationMs: count,
      models: z.array(z.string()),
      ...totalsShape,
    }),
  ),
  totals: z.object(totalsShape),
  withoutSession: z.object({ callCount: count, totalCost: cost }),
  tz: z.string(),
  since: z.iso.datetime().nullable(),
  until: z.iso.datetime().nullable(),
}) satisfies z.ZodType<SessionsJson>

export const nodesJsonSchema = z.object({
  nodes: z.array(z.object({ node: z.string(), lastSeen: z.iso.datetime(), callsLastHour: count })),
  generatedAt: z.iso.datetime(),
}) satisfies z.ZodType<NodesJson>
