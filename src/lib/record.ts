/**
 * The usage record: its zod schema (the wire format, docs/api.md "UsageRecord"), the in-memory type (timestamps as Date),
 * its identity (node, id, instant in UTC ms), its bounds, the one rule for node names (the record's, the
 * ingest body's, the `X-Usage-Node` header's, `--node`) and new collision-free ids (`usage_` + UUIDv7).
 */
import { z } from "zod"
import { type ErrorCode, UsageHubError } from "./errors.js"
import { MAX_COST_PER_RECORD, MAX_TOKENS_PER_RECORD, parseRecordFast, readTimestamp } from "./record-rules.js"

export {
  MAX_COST_PER_RECORD,
  MAX_RECORD_TIME_MS,
  MAX_TOKENS_PER_RECORD,
  MIN_RECORD_TIME_MS,
  parseRecordFast,
} from "./record-rules.js"

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
