/**
 * A usage record as a row of the SQL stores (SQLite and PostgreSQL share it): the instant as UTC epoch ms,
 * the cost as integer nano-dollars, optional fields as NULL when absent. Converts both ways, so `iterate`
 * gives back the record that was stored (optional fields only when they were present).
 */
import { fromNanos, toNanos } from "../money.js"
import type { StoredRecord, UsageRecord } from "../record.js"

/** Column names of the records table, in the order rows are bound and selected. */
export const RECORD_COLUMNS = [
  "node",
  "id",
  "ts",
  "provider",
  "model",
  "task_type",
  "session_id",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "cost_nanos",
  "unpriced",
  "agent",
  "project",
] as const

export type RecordColumn = (typeof RECORD_COLUMNS)[number]

export interface RecordRow {
  node: string
  id: string
  /** The instant in UTC epoch milliseconds (part of the identity). */
  ts: number
  provider: string
  model: string
  task_type: string
  session_id: string | null
  input_tokens: number
  output_tokens: number
  cache_read_tokens: number | null
  cache_write_tokens: number | null
  reasoning_tokens: number | null
  /** Integer nano-dollars. */
  cost_nanos: number
  /** 1 = unpriced, 0 = priced, NULL = not said. */
  unpriced: 0 | 1 | null
  agent: string | null
  project: string | null
}

/** A row as a driver returns it: PostgreSQL gives BIGINT as a string. */
export type RecordRowOut = { [K in keyof RecordRow]: RecordRow[K] extends number ? number | string : RecordRow[K] }

export function toRecordRow(record: StoredRecord): RecordRow {
  return {
    node: record.node,
    id: record.id,
    ts: record.timestamp.getTime(),
    provider: record.provider,
    model: record.model,
    task_type: record.taskType,
    session_id: record.sessionID ?? null,
    input_tokens: record.inputTokens,
    output_tokens: record.outputTokens,
    cache_read_tokens: record.cacheReadTokens ?? null,
    cache_write_tokens: record.cacheWriteTokens ?? null,
    reasoning_tokens: record.reasoningTokens ?? null,
    cost_nanos: toNanos(record.estimatedCost),
    unpriced: record.unpriced === undefined ? null : record.unpriced ? 1 : 0,
    agent: record.agent ?? null,
    project: record.project ?? null,
  }
}

/** The identity of a row: node, id, instant (the same key as `identityKey` of the record). */
export function rowIdentity(row: { node: string; id: string; ts: number | string }): string {
  return `${row.node}\u0000${row.id}\u0000${row.ts}`
}

export function fromRecordRow(row: RecordRowOut): UsageRecord {
  const record: UsageRecord = {
    id: row.id,
    timestamp: new Date(Number(row.ts)),
    provider: row.provider,
    model: row.model,
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    estimatedCost: fromNanos(Number(row.cost_nanos)),
    taskType: row.task_type,
    node: row.node,
  }
  if (row.session_id !== null) record.sessionID = row.session_id
  if (row.cache_read_tokens !== null) record.cacheReadTokens = Number(row.cache_read_tokens)
  if (row.cache_write_tokens !== null) record.cacheWriteTokens = Number(row.cache_write_tokens)
  if (row.reasoning_tokens !== null) record.reasoningTokens = Number(row.reasoning_tokens)
  if (row.unpriced !== null) record.unpriced = Number(row.unpriced) === 1
  if (row.agent !== null) record.agent = row.agent
  if (row.project !== null) record.project = row.project
  return record
}

/**
 * The record of a row selected positionally (`RECORD_COLUMNS` order, e.g. better-sqlite3's `.raw(true)`):
 * no row object per row, the same record as `fromRecordRow`.
 */
const AT = Object.fromEntries(RECORD_COLUMNS.map((column, index) => [column, index])) as Record<RecordColumn, number>

export function fromRawRecordRow(row: readonly unknown[]): UsageRecord {
  const record: UsageRecord = {
    id: row[AT.id] as string,
    timestamp: new Date(Number(row[AT.ts])),
    provider: row[AT.provider] as string,
    model: row[AT.model] as string,
    inputTokens: Number(row[AT.input_tokens]),
    outputTokens: Number(row[AT.output_tokens]),
    estimatedCost: fromNanos(Number(row[AT.cost_nanos])),
    taskType: row[AT.task_type] as string,
    node: row[AT.node] as string,
  }
  const sessionId = row[AT.session_id]
  if (sessionId !== null) record.sessionID = sessionId as string
  const cacheRead = row[AT.cache_read_tokens]
  if (cacheRead !== null) record.cacheReadTokens = Number(cacheRead)
  const cacheWrite = row[AT.cache_write_tokens]
  if (cacheWrite !== null) record.cacheWriteTokens = Number(cacheWrite)
  const reasoning = row[AT.reasoning_tokens]
  if (reasoning !== null) record.reasoningTokens = Number(reasoning)
  const unpriced = row[AT.unpriced]
  if (unpriced !== null) record.unpriced = Number(unpriced) === 1
  const agent = row[AT.agent]
  if (agent !== null && agent !== undefined) record.agent = agent as string
  const project = row[AT.project]
  if (project !== null && project !== undefined) record.project = project as string
  return record
}
