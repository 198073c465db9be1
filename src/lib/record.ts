/**
 * The usage record: its zod schema (the wire format, docs/api.md "UsageRecord"), the in-memory type (timestamps as Date),
 * its identity (node, id, instant in UTC ms), its bounds, the one rule for node names (the record's, the
 * ingest body's, the `X-Usage-Node` header's, `--node`) and new collision-free ids (`usage_` + UUIDv7).
 */
import { z } from "zod"
import { isCalendarDate, isClockTime, utcInstant } from "./calendar.js"
import { type ErrorCode, UsageHubError } from "./errors.js"
import { isText } from "./record-text.js"

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
const NOT_WELL_FORMED = "must be well-formed Unicode without NUL characters"
const BLANK = "must not be blank"

/**
 * Text fields: any Unicode, but well-formed (no lone surrogates, which drivers turn into U+FFFD so two ids
 * would become one) and without NUL (PostgreSQL refuses it). Required text is not blank (whitespace only).
 */
const text = (min: number, max: number, blank: "blank allowed" | "not blank") =>
  z
    .string()
    .min(min)
    .max(max)
    .refine((v) => v.isWellFormed() && !v.includes("\u0000"), NOT_WELL_FORMED)
    .refine((v) => blank === "blank allowed" || v === "" || v.trim() !== "", BLANK)

/**
 * A node name, wherever it comes from (a record's `node`, the ingest body's `node`, the `X-Usage-Node`
 * header, `--node`, the adapter's node id): 1..128 characters of well-formed Unicode, no NUL, not blank.
 */
export const nodeSchema = text(1, 128, "not blank")

/** `value` when `nodeSchema` takes it; else a UsageHubError (`code`) whose message starts with `name` (where it came from). */
export function checkNode(value: unknown, name: string, code: ErrorCode = "BAD_USAGE"): string {
  const result = nodeSchema.safeParse(value)
  if (result.success) return result.data
  const reason = typeof value === "string" ? describeIssues(result.error) : "must be a string"
  throw new UsageHubError(code, `${name}: ${reason} (a node name is 1 to 128 characters, not blank)`)
}

/** Token counts: integers up to 1e12 per call, so sums over billions of records stay exact. */
const count = z.number().int().nonnegative().max(MAX_TOKENS_PER_RECORD)

/**
 * The instant of a timestamp (ISO 8601 with a zone, epoch ms or a Date) within the record bounds, or why not.
 * The calendar date and time as written must exist (V8 would read 2026-02-30 as March 2).
 */
function readTimestamp(value: unknown): Date | string {
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

/** A timestamp as ISO 8601 with a zone (`Z` or an offset), epoch milliseconds, or a Date; parsed to a Date. */
export const timestampSchema = z.union([z.string(), z.number(), z.date()]).transform((value, ctx) => {
  const date = readTimestamp(value)
  if (typeof date === "string") {
    ctx.addIssue({ code: "custom", message: date })
    return z.NEVER
  }
  return date
})

/** The wire record (docs/api.md, "UsageRecord"). Unknown fields are stripped, not an error. */
export const usageRecordSchema = z.object({
  id: text(1, 128, "not blank"),
  timestamp: timestampSchema,
  provider: text(1, 128, "not blank"),
  model: text(1, 256, "not blank"),
  inputTokens: count,
  outputTokens: count,
  estimatedCost: z
    .number()
    .nonnegative()
    .refine(Number.isFinite, "must be a finite number")
    .max(MAX_COST_PER_RECORD, `must be at most ${MAX_COST_PER_RECORD} USD (1e9) for one call`),
  taskType: text(1, 64, "not blank"),
  /** Optional; empty counts as absent (the key is then `undefined`). */
  sessionID: text(0, 256, "blank allowed")
    .transform((v) => (v === "" ? undefined : v))
    .optional(),
  node: nodeSchema.optional(),
  cacheReadTokens: count.optional(),
  cacheWriteTokens: count.optional(),
  reasoningTokens: count.optional(),
  unpriced: z.boolean().optional(),
  /** The agent that made the call ("oh-my-opencode", "opencode", "claude-code", "codex", "gemini-cli", ...). */
  agent: text(1, 64, "not blank").optional(),
  /** The project the call was made in (the working directory's name). */
  project: text(1, 256, "not blank").optional(),
})

/** A usage record in memory: `timestamp` is a Date (an ISO string in files and on the wire). */
export type UsageRecord = z.output<typeof usageRecordSchema>
/** A usage record as written in JSON. */
export type UsageRecordJson = Omit<UsageRecord, "timestamp"> & { timestamp: string }
/** A record whose node is known: what stores keep. */
export type StoredRecord = UsageRecord & { node: string }

export type TaskType = "primary" | "background-task" | "subagent" | (string & {})

/** What a caller passes to `recordUsage` (the legacy input, plus optional token detail). */
export interface RecordUsageInput {
  provider: string
  model: string
  inputTokens: number
  outputTokens: number
  taskType: TaskType
  sessionID?: string
  cacheReadTokens?: number
  cacheWriteTokens?: number
  reasoningTokens?: number
}

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix ms, then random bits, so ids sort by time and never collide in practice.
 * Written here (15 lines) rather than imported: the plugin loads this on every start, under Bun too.
 */
export function uuidv7(now = Date.now()): string {
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  let ms = now
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256
    ms = Math.floor(ms / 256)
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x70 // version 7
  bytes[8] = (bytes[8] & 0x3f) | 0x80 // variant 10
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export function newRecordId(): string {
  return `usage_${uuidv7()}`
}

/** The identity of a usage event: node, id and the instant in UTC epoch ms (however the timestamp was written). */
export function identityKey(record: { node?: string; id: string; timestamp: Date }): string {
  return `${record.node ?? ""}\u0000${record.id}\u0000${record.timestamp.getTime()}`
}

const RECORD_KEYS = new Set(Object.keys(usageRecordSchema.shape))

/**
 * Serialises a record for files and the wire: ISO timestamp, no undefined fields, keys in the schema's order
 * (whichever store or parser built the object), so exports of the same records are byte-identical.
 */
export function toRecordJson(record: UsageRecord): UsageRecordJson {
  const out: Record<string, unknown> = {}
  const source = record as Record<string, unknown>
  for (const key of RECORD_KEYS) {
    const value = source[key]
    if (value === undefined) continue
    out[key] = key === "timestamp" ? (value as Date).toISOString() : value
  }
  for (const [key, value] of Object.entries(record)) {
    if (value !== undefined && !RECORD_KEYS.has(key)) out[key] = value
  }
  return out as UsageRecordJson
}

/** One line per zod issue: `field: message`. */
export function describeIssues(error: z.ZodError, prefix = ""): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".")
      return path ? `${path}: ${issue.message}` : issue.message
    })
    .join("; ")
}

export type ParsedRecord = { ok: true; record: UsageRecord } | { ok: false; error: string }

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_TOKENS_PER_RECORD
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

/** Validates one record: the fast path for well-formed input, zod for everything else (and every error). */
export function parseRecord(value: unknown): ParsedRecord {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, error: "a record must be a JSON object" }
  }
  const fast = parseRecordFast(value)
  if (fast) return { ok: true, record: fast }
  const result = usageRecordSchema.safeParse(value)
  return result.success ? { ok: true, record: result.data } : { ok: false, error: describeIssues(result.error) }
}
