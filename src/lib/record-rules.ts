/**
 * The usage record's rules without zod: its bounds, text fields (well-formed Unicode, no NUL, a length in bounds,
 * not blank where required), token counts, timestamps, node names, and `parseRecordFast`, the record built from
 * well-formed input. record.ts builds its zod schemas (the one source of every error message) on these and
 * re-exports them; code that must start fast loads this module alone and record.ts only for input it refuses (a
 * `usage collect` with nothing new, or whose records are all well-formed, loads no zod).
 */
import { isCalendarDate, isClockTime, utcInstant } from "./calendar.js"
import type { UsageRecord } from "./record.js"

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/i

/**
 * Bounds of what a record can hold (docs/api.md, "UsageRecord"): anything the legacy format can hold and a
 * real call can produce. One call costs at most 1e9 USD and counts at most 1e12 tokens of each kind; its
 * timestamp is an instant in [2000-01-01T00:00Z, 2100-01-01T00:00Z). The stores size their sums and buckets
 * by these (and a store migration quarantines older rows outside them).
 */
export const MAX_COST_PER_RECORD = 1_000_000_000
export const MAX_TOKENS_PER_RECORD = 1_000_000_000_000
/** First instant a record may have (inclusive), epoch ms: 2000-01-01T00:00:00Z. */
export const MIN_RECORD_TIME_MS = utcInstant(2000, 0, 1)
/** End of the instants a record may have (exclusive), epoch ms: 2100-01-01T00:00:00Z. */
export const MAX_RECORD_TIME_MS = utcInstant(2100, 0, 1)

const TIMESTAMP_FORMAT = "must be an ISO 8601 instant with a zone, or epoch milliseconds"
const TIMESTAMP_CALENDAR = "must be a real calendar date and time of day (no 2026-02-30, no 24:00)"
const TIMESTAMP_BOUNDS = "must be between 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z (exclusive)"

/** `text(min, max, blank)` of record.ts, as a predicate. */
export function isText(
  value: unknown,
  min: number,
  max: number,
  blank: "blank allowed" | "not blank",
): value is string {
  return (
    typeof value === "string" &&
    value.length >= min &&
    value.length <= max &&
    value.isWellFormed() &&
    !value.includes("\u0000") &&
    (blank === "blank allowed" || value.trim() !== "")
  )
}

/** What record.ts's `nodeSchema` takes: 1..128 characters of well-formed Unicode, no NUL, not blank. */
export function isNodeName(value: unknown): value is string {
  return isText(value, 1, 128, "not blank")
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_TOKENS_PER_RECORD
}

/**
 * The instant of a timestamp (ISO 8601 with a zone, epoch ms or a Date) within the record bounds, or why not.
 * The calendar date and time as written must exist (V8 would read 2026-02-30 as March 2).
 */
export function readTimestamp(value: unknown): Date | string {
  let ms: number
  if (typeof value === "string") {
    const m = ISO_INSTANT.exec(value)
    if (!m) return TIMESTAMP_FORMAT
    const [, y, mo, d, h, mi, s = "0"] = m
    if (!isCalendarDate(Number(y), Number(mo), Number(d)) || !isClockTime(Number(h), Number(mi), Number(s))) {
      return TIMESTAMP_CALENDAR
    }
    ms = Date.parse(value)
  } else if (typeof value === "number") ms = value
  else if (value instanceof Date) ms = value.getTime()
  else return TIMESTAMP_FORMAT
  if (Number.isNaN(ms)) return TIMESTAMP_FORMAT
  if (!(ms >= MIN_RECORD_TIME_MS && ms < MAX_RECORD_TIME_MS)) return TIMESTAMP_BOUNDS
  return new Date(ms)
}

/**
 * The record `usageRecordSchema` would give for `value` when every field has the type and range the schema
 * allows, built without zod (the ingestion hot path); `undefined` for anything else, which then goes through
 * zod (the one schema, and the source of every error message). Same output as zod: schema key order, unknown
 * keys stripped. An optional key present with the value `undefined` is left to zod too. Kept equal to the
 * schema by a property test (test/lib/record.test.ts).
 */
export function parseRecordFast(value: object): UsageRecord | undefined {
  const o = value as Record<string, unknown>
  const { id, provider, model, inputTokens, outputTokens, estimatedCost, taskType } = o
  if (
    !isText(id, 1, 128, "not blank") ||
    !isText(provider, 1, 128, "not blank") ||
    !isText(model, 1, 256, "not blank") ||
    !isCount(inputTokens) ||
    !isCount(outputTokens) ||
    typeof estimatedCost !== "number" ||
    !(estimatedCost >= 0 && estimatedCost <= MAX_COST_PER_RECORD) ||
    !isText(taskType, 1, 64, "not blank")
  ) {
    return undefined
  }
  const timestamp = readTimestamp(o.timestamp)
  if (typeof timestamp === "string") return undefined
  const record: UsageRecord = { id, timestamp, provider, model, inputTokens, outputTokens, estimatedCost, taskType }
  const { sessionID, node, cacheReadTokens, cacheWriteTokens, reasoningTokens, unpriced } = o
  if (sessionID !== undefined) {
    if (!isText(sessionID, 0, 256, "blank allowed")) return undefined
    record.sessionID = sessionID === "" ? undefined : sessionID
  } else if ("sessionID" in o) return undefined
  if (node !== undefined) {
    if (!isText(node, 1, 128, "not blank")) return undefined
    record.node = node
  } else if ("node" in o) return undefined
  if (cacheReadTokens !== undefined) {
    if (!isCount(cacheReadTokens)) return undefined
    record.cacheReadTokens = cacheReadTokens
  } else if ("cacheReadTokens" in o) return undefined
  if (cacheWriteTokens !== undefined) {
    if (!isCount(cacheWriteTokens)) return undefined
    record.cacheWriteTokens = cacheWriteTokens
  } else if ("cacheWriteTokens" in o) return undefined
  if (reasoningTokens !== undefined) {
    if (!isCount(reasoningTokens)) return undefined
    record.reasoningTokens = reasoningTokens
  } else if ("reasoningTokens" in o) return undefined
  if (unpriced !== undefined) {
    if (typeof unpriced !== "boolean") return undefined
    record.unpriced = unpriced
  } else if ("unpriced" in o) return undefined
  const { agent, project } = o
  if (agent !== undefined) {
    if (!isText(agent, 1, 64, "not blank")) return undefined
    record.agent = agent
  } else if ("agent" in o) return undefined
  if (project !== undefined) {
    if (!isText(project, 1, 256, "not blank")) return undefined
    record.project = project
  } else if ("project" in o) return undefined
  return record
}
