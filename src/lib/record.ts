/**
 * The usage record: its zod schema (the wire format of DESIGN.md), the in-memory type (timestamps as Date),
 * its identity (node, id, instant in UTC ms) and new collision-free ids (`usage_` + UUIDv7).
 */
import { z } from "zod"

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/i
const MAX_EPOCH_MS = 8.64e15
/**
 * Upper bounds that keep totals exact. Costs are summed as integer nano-dollars: one call costs at most
 * 10,000 USD (1e13 nanos; real calls cost cents), so a store's int64 rollup sums hold 900,000 such calls per
 * bucket; totals are exact in JavaScript numbers up to 2^53 nanos (about 9 million USD per answer).
 */
export const MAX_COST_PER_RECORD = 10_000
export const MAX_TOKENS_PER_RECORD = 1_000_000_000_000

/**
 * Text fields: any Unicode, but well-formed (no lone surrogates, which drivers turn into U+FFFD so two ids
 * would become one) and without NUL (PostgreSQL refuses it).
 */
const text = (min: number, max: number) =>
  z
    .string()
    .min(min)
    .max(max)
    .refine((v) => v.isWellFormed() && !v.includes("\u0000"), "must be well-formed Unicode without NUL characters")

/** Token counts: integers up to 1e12 per call, so sums over billions of records stay exact. */
const count = z.number().int().nonnegative().max(MAX_TOKENS_PER_RECORD)

/** A timestamp as ISO 8601 with a zone (`Z` or an offset), epoch milliseconds, or a Date; parsed to a Date. */
export const timestampSchema = z.union([z.string(), z.number(), z.date()]).transform((value, ctx) => {
  let date: Date | undefined
  if (value instanceof Date) date = value
  else if (typeof value === "number")
    date = Number.isFinite(value) && Math.abs(value) <= MAX_EPOCH_MS ? new Date(value) : undefined
  else if (ISO_INSTANT.test(value)) date = new Date(value)
  if (!date || Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: "custom", message: "must be an ISO 8601 instant with a zone, or epoch milliseconds" })
    return z.NEVER
  }
  return date
})

/** The wire record (DESIGN.md, "The usage record"). Unknown fields are stripped, not an error. */
export const usageRecordSchema = z.object({
  id: text(1, 128),
  timestamp: timestampSchema,
  provider: text(1, 128),
  model: text(1, 256),
  inputTokens: count,
  outputTokens: count,
  estimatedCost: z
    .number()
    .nonnegative()
    .refine(Number.isFinite, "must be a finite number")
    .refine((usd) => usd <= MAX_COST_PER_RECORD, `must be at most ${MAX_COST_PER_RECORD} USD for one call`),
  taskType: text(1, 64),
  sessionID: text(0, 256).optional(),
  node: text(1, 128).optional(),
  cacheReadTokens: count.optional(),
  cacheWriteTokens: count.optional(),
  reasoningTokens: count.optional(),
  unpriced: z.boolean().optional(),
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

function isText(value: unknown, min: number, max: number): value is string {
  return (
    typeof value === "string" &&
    value.length >= min &&
    value.length <= max &&
    value.isWellFormed() &&
    !value.includes("\u0000")
  )
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_TOKENS_PER_RECORD
}

function fastTimestamp(value: unknown): Date | undefined {
  let date: Date
  if (typeof value === "string") {
    if (!ISO_INSTANT.test(value)) return undefined
    date = new Date(value)
  } else if (typeof value === "number") {
    if (!(Math.abs(value) <= MAX_EPOCH_MS)) return undefined
    date = new Date(value)
  } else if (value instanceof Date) date = value
  else return undefined
  return Number.isNaN(date.getTime()) ? undefined : date
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
    !isText(id, 1, 128) ||
    !isText(provider, 1, 128) ||
    !isText(model, 1, 256) ||
    !isCount(inputTokens) ||
    !isCount(outputTokens) ||
    typeof estimatedCost !== "number" ||
    !(estimatedCost >= 0 && estimatedCost <= MAX_COST_PER_RECORD) ||
    !isText(taskType, 1, 64)
  ) {
    return undefined
  }
  const timestamp = fastTimestamp(o.timestamp)
  if (!timestamp) return undefined
  const record: UsageRecord = { id, timestamp, provider, model, inputTokens, outputTokens, estimatedCost, taskType }
  const { sessionID, node, cacheReadTokens, cacheWriteTokens, reasoningTokens, unpriced } = o
  if (sessionID !== undefined) {
    if (!isText(sessionID, 0, 256)) return undefined
    record.sessionID = sessionID
  } else if ("sessionID" in o) return undefined
  if (node !== undefined) {
    if (!isText(node, 1, 128)) return undefined
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
