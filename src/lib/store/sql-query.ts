/**
 * The SQL text the SQLite and PostgreSQL stores share: the aggregate over the rollup pieces of a range, the
 * keyset page of `iterate`, the rollup upsert's SET clause. Only the parameter style differs (`?` or `$n`),
 * so each query is written once. The text depends only on the query's shape (which filters, which pieces),
 * never on values, so the stores cache one prepared statement per shape.
 */

import { joinNanos, NANOS_PER_USD } from "../money.js"

const NANOS_PER_USD_BIG = BigInt(NANOS_PER_USD)

import type { GroupBy } from "../summary-types.js"
import { RECORD_COLUMNS } from "./record-row.js"
import {
  DIMENSION_COLUMNS,
  foldKeyNodeSums,
  GROUP_COLUMN,
  type KeyNodeSums,
  NARROW_LEVELS,
  planRange,
  type RangePiece,
  ROLLUP_COLUMNS,
  ROLLUP_LEVELS,
  type RollupLevel,
  rollupIncrementSet,
  SUM_COLUMNS,
} from "./rollup.js"
import {
  compareSessionsDesc,
  mergedSessions,
  ordered,
  SESSION_COLUMNS,
  SESSION_MODEL_KEY,
  SESSIONLESS_LEVELS,
  type SessionGroupIn,
  type SessionModelRow,
  type SessionsFilter,
  type SessionsResult,
  sessionLimit,
  sessionRowOf,
} from "./sessions.js"
import type { AggregateRequest, AggregateRow, PruneFilter, PruneResult, RecordFilter } from "./store.js"

export interface Dialect {
  /** The placeholder of the n-th parameter (1-based). */
  param(n: number): string
  /**
   * A table of 30-minute rollup increments not yet folded into the rollup levels (SQLite), read with every
   * rollup piece: every piece boundary is a 30-minute boundary, so the piece's pending rows are exactly
   * those with `from <= bucket < to`, and the one statement sees rollups and pending rows in one state.
   */
  pendingTable?: string
  /**
   * The aggregate that sums token columns without ever failing: SQLite's SUM throws on a 64-bit overflow, so
   * it uses TOTAL (a double: exact up to 2^53, the nearest double beyond); PostgreSQL's SUM of bigint is an
   * exact numeric.
   */
  tokenSum: "SUM" | "TOTAL"

  /** The condition "`column` is one of the buckets in the list parameter `param`" (see `bucketList`). */
  inBucketList(column: string, param: string): string
  /** The value of a bucket-list parameter. */
  bucketList(buckets: readonly number[]): string
}

export const SQLITE_DIALECT: Dialect = {
  param: () => "?",
  pendingTable: "usage_rollup_pending",
  tokenSum: "TOTAL",
  inBucketList: (column, param) => `${column} IN (SELECT value FROM json_each(${param}))`,
  bucketList: (buckets) => JSON.stringify(buckets),
}
export const POSTGRES_DIALECT: Dialect = {
  param: (n) => `$${n}`,
  tokenSum: "SUM",
  inBucketList: (column, param) => `${column} = ANY(${param}::bigint[])`,
  bucketList: (buckets) => `{${buckets.join(",")}}`,
}

export interface SqlQuery {
  text: string
  params: (string | number)[]
}

class Params {
  readonly values: (string | number)[] = []
  constructor(private readonly dialect: Dialect) {}
  add(value: string | number): string {
    this.values.push(value)
    return this.dialect.param(this.values.length)
  }
}

/** The sums of a record (a rollup row of one call), in SUM_COLUMNS order (its cost split as a rollup's is). */
const RECORD_SUMS = [
  "1",
  `cost_nanos / ${NANOS_PER_USD}`,
  `cost_nanos % ${NANOS_PER_USD}`,
  "input_tokens",
  "output_tokens",
  "COALESCE(cache_read_tokens, 0)",
  "COALESCE(cache_write_tokens, 0)",
  "COALESCE(reasoning_tokens, 0)",
  "COALESCE(unpriced, 0)",
]

/** The select list of a piece's sums, negated for a subtracted piece. */
function pieceSums(onRecords: boolean, sign: 1 | -1): string {
  const minus = sign < 0 ? "-" : ""
  return SUM_COLUMNS.map((c, i) => `${minus}${onRecords ? RECORD_SUMS[i] : c} AS ${c}`).join(", ")
}

/** Dimensions a record may leave out (NULL in the records table, "" in the rollups). */
const NULLABLE_DIMENSIONS = new Set(["agent", "project"])

/** The model, agent and project conditions of a filter (the same columns in records and rollups). */
function dimensionFilters(filter: RecordFilter, where: string[], params: Params): void {
  if (filter.model !== undefined) where.push(`model = ${params.add(filter.model)}`)
  if (filter.agent !== undefined) where.push(`agent = ${params.add(filter.agent)}`)
  if (filter.project !== undefined) where.push(`project = ${params.add(filter.project)}`)
}

/** The SELECT of one table's part of a piece: its rows of [piece.from, piece.to) that match the filter. */
function tableQuery(
  table: string,
  piece: RangePiece,
  filter: RecordFilter,
  groupBy: GroupBy,
  params: Params,
  seekProviders: boolean,
  recordCondition?: string,
  withNodes = true,
): string {
  const onRecords = table === "usage_records"
  const timeColumn = onRecords ? "ts" : "bucket"
  const where: string[] = onRecords && recordCondition ? [recordCondition] : []
  if (filter.provider !== undefined) where.push(`provider = ${params.add(filter.provider)}`)
  // Rollup keys start with the provider: without a provider filter, seek each known provider's range.
  else if (seekProviders) where.push("provider IN (SELECT provider FROM usage_providers)")
  if (Number.isFinite(piece.from)) where.push(`${timeColumn} >= ${params.add(piece.from)}`)
  if (Number.isFinite(piece.to)) where.push(`${timeColumn} < ${params.add(piece.to)}`)
  if (filter.node !== undefined) where.push(`node = ${params.add(filter.node)}`)
  dimensionFilters(filter, where, params)
  const conditions = where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""
  // A record's agent and project may be NULL (none); rollups keep none as "".
  const column = GROUP_COLUMN[groupBy]
  const group = onRecords && NULLABLE_DIMENSIONS.has(column) ? `COALESCE(${column}, '')` : column
  return `SELECT ${group} AS k, ${withNodes ? "node" : "'' AS node"}, ${pieceSums(onRecords, piece.sign)} FROM ${table}${conditions}`
}

function pieceQuery(
  piece: RangePiece,
  filter: RecordFilter,
  groupBy: GroupBy,
  params: Params,
  dialect: Dialect,
  recordCondition?: string,
  withNodes = true,
): string {
  if (piece.level === "records")
    return tableQuery("usage_records", piece, filter, groupBy, params, false, recordCondition, withNodes)
  const rollup = tableQuery(piece.level.table, piece, filter, groupBy, params, true, undefined, withNodes)
  if (!dialect.pendingTable) return rollup
  // The pending table is a small heap, emptied by folds: scanned, not sought.
  return `${rollup} UNION ALL ${tableQuery(dialect.pendingTable, piece, filter, groupBy, params, false, undefined, withNodes)}`
}

/** The rollup levels an aggregate reads, and which records they hold (all, or those meeting a condition). */
export interface AggregateSource {
  levels: readonly RollupLevel[]
  recordCondition?: string
  /** Its table of pending increments, read where the dialect has pending tables (SQLite). */
  pendingTable?: string
  /** False when the levels have no node column: every row then counts under node "" (no distinct nodes). */
  nodes?: boolean
}

const ROLLUPS: AggregateSource = { levels: ROLLUP_LEVELS, pendingTable: SQLITE_DIALECT.pendingTable }

/**
 * The narrow rollups (rollup.ts NARROW_LEVELS), keyed by (provider, bucket, model): their pending increments
 * are the wide rollups' 30-minute rows (SQLite folds them into both), read with the other columns ignored.
 */
export const NARROW: AggregateSource = {
  levels: NARROW_LEVELS,
  pendingTable: SQLITE_DIALECT.pendingTable,
  nodes: false,
}

/**
 * The rollups that answer a request: the narrow ones when the caller needs no distinct nodes and neither the
 * filter nor the grouping involves a column they lack (node, task type, agent, project); else the wide ones.
 */
export function sourceOf(request: AggregateRequest): AggregateSource {
  const { filter, groupBy } = request
  return request.nodes === false &&
    (groupBy === "provider" || groupBy === "model") &&
    filter.node === undefined &&
    filter.agent === undefined &&
    filter.project === undefined
    ? NARROW
    : ROLLUPS
}

/** The AggregateRows of an aggregate query's rows read from `source` (no nodes from the narrow rollups). */
export function foldSourceRows(rows: Iterable<KeyNodeSums>, source: AggregateSource): AggregateRow[] {
  const folded = foldKeyNodeSums(rows)
  if (source.nodes === false) for (const row of folded) row.nodes = []
  return folded
}

/**
 * The records without a session, from their own day and month rollups (src/lib/store/sessions.ts); SQLite's
 * pending sessionless increments are day rows, and every piece boundary of these levels is a day boundary.
 */
export const SESSIONLESS: AggregateSource = {
  levels: SESSIONLESS_LEVELS,
  recordCondition: "session_id IS NULL",
  pendingTable: "usage_sessionless_pending",
}

/**
 * Sums per (group key, node) over the records matching `filter`, added and subtracted from the rollup
 * buckets (with the pending increments, where the dialect has them) and record edges `planRange` chose. Undefined when the range is empty. A (key, node) whose calls
 * sum to zero had no record in the range (foldKeyNodeSums drops it).
 */
export function aggregateQuery(
  filter: RecordFilter,
  groupBy: GroupBy,
  dialect: Dialect,
  source: AggregateSource = ROLLUPS,
): SqlQuery | undefined {
  const pieces = planRange(filter, source.levels)
  if (pieces.length === 0) return undefined
  const params = new Params(dialect)
  // Each source has its own pending increments (where the dialect has pending tables).
  const tables = { ...dialect, pendingTable: dialect.pendingTable ? source.pendingTable : undefined }
  const union = pieces
    .map((piece) => pieceQuery(piece, filter, groupBy, params, tables, source.recordCondition, source.nodes !== false))
    .join(" UNION ALL ")
  const sums = SUM_COLUMNS.map((c) => `${c.endsWith("_tokens") ? dialect.tokenSum : "SUM"}(${c}) AS ${c}`).join(", ")
  return { text: `SELECT k, node, ${sums} FROM (${union}) AS pieces GROUP BY k, node`, params: params.values }
}

/**
 * A row of `bucketsQuery` as an array (SQLite's raw rows: half the cost of row objects): the level's index
 * (else PENDING or RECORDS), the bucket (or a record's instant), the group key, then SUM_COLUMNS.
 */
export type BucketSums = readonly [number | string, number | string, string, ...(number | string)[]]

const PENDING = NARROW_LEVELS.length
const RECORDS = PENDING + 1

/** The batched answer of several narrow aggregates: one statement, then each request's sums from its rows. */
export interface BucketsQuery extends SqlQuery {
  answers(rows: readonly BucketSums[]): AggregateRow[][]
}

/**
 * Several aggregates that the narrow rollups answer (`sourceOf` says NARROW) with the same grouping and the
 * same provider and model filter, e.g. the periods of a report, in ONE statement that reads each bucket
 * once: every request's range is planned as `aggregateQuery` plans it, the buckets of all the pieces are
 * read per level (sums per bucket and key), with the pending increments (SQLite) and the records of the
 * edge pieces, and each request adds and subtracts its pieces' rows here. Adjacent periods share the
 * buckets at their common edge (a zone's midnight), which are read once, and no statement runs per period.
 * Exact as `aggregateQuery` is: the same pieces and sums.
 */
export function bucketsQuery(requests: readonly AggregateRequest[], dialect: Dialect): BucketsQuery | undefined {
  if (requests.length === 0) return undefined
  const { groupBy, filter: first } = requests[0]
  const dims: RecordFilter = { provider: first.provider, model: first.model }
  const plans = requests.map((r) => planRange(r.filter))
  const spans = NARROW_LEVELS.map((): [number, number][] => [])
  const edges: [number, number][] = []
  for (const pieces of plans) {
    for (const piece of pieces) {
      // Bounded filters give bounded pieces (bucketBatches sends no other).
      if (!Number.isFinite(piece.from) || !Number.isFinite(piece.to)) return undefined
      if (piece.level === "records") edges.push([piece.from, piece.to])
      else spans[ROLLUP_LEVELS.indexOf(piece.level)].push([piece.from, piece.to])
    }
  }
  if (plans.every((p) => p.length === 0)) return undefined
  const params = new Params(dialect)
  const parts: string[] = []
  const select = (l: number, time: string, onRecords: boolean, table: string, where: string[]) => {
    dimensionFilters(dims, where, params)
    parts.push(
      `SELECT ${l} AS l, ${time} AS b, ${GROUP_COLUMN[groupBy]} AS k, ${pieceSums(onRecords, 1)} FROM ${table}${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}`,
    )
  }
  NARROW_LEVELS.forEach((level, i) => {
    const merged = mergeSpans(spans[i])
    const provider = () =>
      dims.provider !== undefined
        ? `provider = ${params.add(dims.provider)}`
        : "provider IN (SELECT provider FROM usage_providers)"
    // A few runs of buckets: a range seek each; many (a zone's edges): one list of buckets.
    if (merged.length <= MAX_BUCKET_RANGES) {
      for (const [from, to] of merged)
        select(i, "bucket", false, level.table, [
          provider(),
          `bucket >= ${params.add(from)}`,
          `bucket < ${params.add(to)}`,
        ])
    } else {
      const buckets: number[] = []
      for (const [from, to] of merged) for (let b = from; b < to; b = level.ceil(b + 1)) buckets.push(b)
      select(i, "bucket", false, level.table, [
        provider(),
        dialect.inBucketList("bucket", params.add(dialect.bucketList(buckets))),
      ])
    }
  })
  if (dialect.pendingTable) {
    const where: string[] = []
    if (dims.provider !== undefined) where.push(`provider = ${params.add(dims.provider)}`)
    select(PENDING, "bucket", false, dialect.pendingTable, where)
  }
  for (const [from, to] of mergeSpans(edges)) {
    const where = [`ts >= ${params.add(from)}`, `ts < ${params.add(to)}`]
    if (dims.provider !== undefined) where.push(`provider = ${params.add(dims.provider)}`)
    select(RECORDS, "ts", true, "usage_records", where)
  }
  // No GROUP BY: a narrow row is one (provider, bucket, model), and the rows of a key are summed here.
  return {
    text: parts.join(" UNION ALL "),
    params: params.values,
    answers(rows) {
      // Rollup rows by level and bucket; pending increments and edge records sorted by bucket / instant.
      const byBucket = NARROW_LEVELS.map(() => new Map<number, BucketSums[]>())
      const sorted: BucketSums[][] = [[], []]
      for (const row of rows) {
        const l = Number(row[0])
        const b = Number(row[1])
        if (l >= PENDING) sorted[l - PENDING].push(row)
        else {
          const list = byBucket[l].get(b)
          if (list) list.push(row)
          else byBucket[l].set(b, [row])
        }
      }
      for (const list of sorted) list.sort((x, y) => Number(x[1]) - Number(y[1]))
      return plans.map((pieces) => {
        const sums = new Map<string, SignedSums>()
        const addRange = (list: BucketSums[], from: number, to: number, sign: 1 | -1) => {
          for (let i = firstAtOrAfter(list, from); i < list.length && Number(list[i][1]) < to; i++)
            addSigned(sums, list[i], sign)
        }
        for (const piece of pieces) {
          if (piece.level === "records") {
            addRange(sorted[1], piece.from, piece.to, piece.sign)
            continue
          }
          const level = piece.level
          const index = ROLLUP_LEVELS.indexOf(level)
          for (let b = piece.from; b < piece.to; b = level.ceil(b + 1))
            for (const row of byBucket[index].get(b) ?? []) addSigned(sums, row, piece.sign)
          addRange(sorted[0], piece.from, piece.to, piece.sign)
        }
        return aggregateRowsOf(sums)
      })
    },
  }
}

/**
 * Signed sums of one key, in numbers while they stay exact: whole dollars move to a bigint past 2^53 (or
 * when a driver gives them as text); nano-dollars (each row's below 1e9) cannot come near 2^53.
 */
interface SignedSums {
  calls: number
  usd: number
  usdBig: bigint
  nanos: number
  input: number
  output: number
  cacheRead: number
  cacheWrite: number
  reasoning: number
  unpriced: number
}

/** Positions of the sums in a BucketSums row (after level, bucket and key), in SUM_COLUMNS order. */
const [CALLS, USD, NANOS, INPUT, OUTPUT, CACHE_READ, CACHE_WRITE, REASONING, UNPRICED] = SUM_COLUMNS.map(
  (_, i) => i + 3,
)

function addSigned(sums: Map<string, SignedSums>, row: BucketSums, sign: 1 | -1): void {
  const key = row[2]
  let s = sums.get(key)
  if (!s) {
    s = {
      calls: 0,
      usd: 0,
      usdBig: 0n,
      nanos: 0,
      input: 0,
      output: 0,
      cacheRead: 0,
      cacheWrite: 0,
      reasoning: 0,
      unpriced: 0,
    }
    sums.set(key, s)
  }
  s.calls += sign * Number(row[CALLS])
  const rowUsd = row[USD]
  const usd = typeof rowUsd === "number" ? sign * rowUsd : Number.NaN
  if (Number.isSafeInteger(usd) && Number.isSafeInteger(s.usd + usd)) s.usd += usd
  else s.usdBig += BigInt(sign) * BigInt(rowUsd)
  s.nanos += sign * Number(row[NANOS])
  s.input += sign * Number(row[INPUT])
  s.output += sign * Number(row[OUTPUT])
  s.cacheRead += sign * Number(row[CACHE_READ])
  s.cacheWrite += sign * Number(row[CACHE_WRITE])
  s.reasoning += sign * Number(row[REASONING])
  s.unpriced += sign * Number(row[UNPRICED])
}

/** The AggregateRows of signed sums (no nodes: the narrow rollups have none); keys with no call are absent. */
function aggregateRowsOf(sums: ReadonlyMap<string, SignedSums>): AggregateRow[] {
  const out: AggregateRow[] = []
  for (const [key, s] of sums) {
    if (s.calls === 0) continue
    out.push({
      key,
      calls: s.calls,
      costNanos: (BigInt(s.usd) + s.usdBig) * NANOS_PER_USD_BIG + BigInt(s.nanos),
      inputTokens: s.input,
      outputTokens: s.output,
      cacheReadTokens: s.cacheRead,
      cacheWriteTokens: s.cacheWrite,
      reasoningTokens: s.reasoning,
      unpricedCalls: s.unpriced,
      nodes: [],
    })
  }
  return out
}

/** Runs of buckets of one level read by range seeks in `bucketsQuery`; more are read as a list of buckets. */
const MAX_BUCKET_RANGES = 4

/** Disjoint sorted spans covering the union of `spans` (touching spans joined). */
function mergeSpans(spans: [number, number][]): [number, number][] {
  const sorted = [...spans].sort((a, b) => a[0] - b[0])
  const out: [number, number][] = []
  for (const [from, to] of sorted) {
    const last = out[out.length - 1]
    if (last && from <= last[1]) last[1] = Math.max(last[1], to)
    else out.push([from, to])
  }
  return out
}

/** The index of the first row of `list` (sorted by `b`) with b >= `from`. */
function firstAtOrAfter(list: readonly BucketSums[], from: number): number {
  let lo = 0
  let hi = list.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (Number(list[mid][1]) < from) lo = mid + 1
    else hi = mid
  }
  return lo
}

/**
 * The requests of a batch that `bucketsQuery` can answer together (narrow, same grouping and provider/model
 * filter, bounded ranges, two or more), as lists of request indexes; the others are left to `aggregateQuery`.
 */
export function bucketBatches(requests: readonly AggregateRequest[]): { batches: number[][]; single: number[] } {
  const groups = new Map<string, number[]>()
  const single: number[] = []
  requests.forEach((request, i) => {
    if (sourceOf(request) !== NARROW || !request.filter.since || !request.filter.until) {
      single.push(i)
      return
    }
    const key = JSON.stringify([request.groupBy, request.filter.provider, request.filter.model])
    const group = groups.get(key)
    if (group) group.push(i)
    else groups.set(key, [i])
  })
  const batches: number[][] = []
  for (const group of groups.values()) {
    if (group.length >= 2) batches.push(group)
    else single.push(...group)
  }
  return { batches, single }
}

/** A row of `sessionsPageQuery`: a session's columns and one of its (model, agent, project) rows. */
export type SessionPageRow = {
  [C in (typeof SESSION_COLUMNS)[number]]: C extends "node" | "session_id" ? string : number | string
} & {
  provider: string
  model: string
  agent: string
  project: string
  model_calls: number | string
}

/**
 * The page of sessions a filter matches (src/lib/store/sessions.ts), newest last call first through the index
 * on (last_ts, node, session_id), joined with their (model, agent, project) rows: one row per session and
 * such row, the order to be restored by the caller.
 */
export function sessionsPageQuery(filter: SessionsFilter, dialect: Dialect): SqlQuery {
  const params = new Params(dialect)
  const where: string[] = []
  if (filter.since) where.push(`s.last_ts >= ${params.add(filter.since.getTime())}`)
  if (filter.until) where.push(`s.last_ts < ${params.add(filter.until.getTime())}`)
  if (filter.node !== undefined) where.push(`s.node = ${params.add(filter.node)}`)
  const calls: string[] = []
  for (const column of ["provider", "model", "agent", "project"] as const) {
    const value = filter[column]
    if (value !== undefined) calls.push(`c.${column} = ${params.add(value)}`)
  }
  if (calls.length > 0)
    where.push(
      `EXISTS (SELECT 1 FROM usage_session_models c WHERE c.node = s.node AND c.session_id = s.session_id AND ${calls.join(" AND ")})`,
    )
  const conditions = where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""
  const key = SESSION_MODEL_KEY.slice(0, 2)
  return {
    text: `WITH page AS (SELECT ${SESSION_COLUMNS.map((c) => `s.${c}`).join(", ")} FROM usage_sessions s${conditions}
  ORDER BY s.last_ts DESC, s.node DESC, s.session_id DESC LIMIT ${params.add(sessionLimit(filter))})
SELECT page.*, m.provider, m.model, m.agent, m.project, m.calls AS model_calls
FROM page JOIN usage_session_models m ON ${key.map((c) => `m.${c} = page.${c}`).join(" AND ")}`,
    params: params.values,
  }
}

/**
 * The sessions and the sessionless sums as a SessionsResult (the page's order restored, as the filter asks).
 * With `pending` (SQLite increments not folded yet: their groups, and the stored rows of the sessions they
 * touch), those sessions are merged and judged on their merged sums; `rows` must then be a page of
 * `limit + (sessions pending)` so that enough untouched sessions remain.
 */
export function sessionsFromPage(
  rows: readonly SessionPageRow[],
  withoutSession: readonly AggregateRow[],
  filter: SessionsFilter,
  pending?: { groups: readonly SessionGroupIn[]; stored: readonly SessionPageRow[] },
): SessionsResult {
  const pendingKeys = new Set(pending?.groups.map((g) => `${g.node}\u0000${g.session_id}`))
  const models = new Map<string, { row: SessionPageRow; models: SessionModelRow[] }>()
  for (const row of rows) {
    const key = `${row.node}\u0000${row.session_id}`
    if (pendingKeys.has(key)) continue
    let entry = models.get(key)
    if (!entry) {
      entry = { row, models: [] }
      models.set(key, entry)
    }
    entry.models.push(modelRowOf(row))
  }
  const sessions = [...models.values()].map((e) => sessionRowOf(e.row, e.models))
  if (pending)
    sessions.push(
      ...mergedSessions(
        pending.stored.map((r) => ({ ...r, model: modelRowOf(r) })),
        pending.groups,
        filter,
      ),
    )
  sessions.sort(compareSessionsDesc)
  const without = { calls: 0, costNanos: 0n }
  for (const r of withoutSession) {
    without.calls += r.calls
    without.costNanos += r.costNanos
  }
  return { sessions: ordered(sessions.slice(0, sessionLimit(filter)), filter), withoutSession: without }
}

function modelRowOf(row: SessionPageRow): SessionModelRow {
  return {
    provider: row.provider,
    model: row.model,
    agent: row.agent,
    project: row.project,
    calls: Number(row.model_calls),
  }
}

/** The stored rows (sums and model rows, as a page gives them) of the sessions with pending increments. */
export function storedSessionsQuery(keys: string): string {
  return `SELECT ${SESSION_COLUMNS.map((c) => `s.${c}`).join(", ")}, m.provider, m.model, m.agent, m.project, m.calls AS model_calls
FROM usage_sessions s JOIN usage_session_models m ON m.node = s.node AND m.session_id = s.session_id
WHERE (s.node, s.session_id) IN (${keys})`
}

/** Upserts adding increments (`values`: the VALUES or SELECT giving the rows) to the session tables. */
export const SESSION_UPSERTS = {
  /** First and last instants widen (`least`/`greatest`: the backend's two-argument min and max); sums add. */
  sessions: (values: string, least: string, greatest: string) =>
    `INSERT INTO usage_sessions (${SESSION_COLUMNS.join(", ")}) ${values}
ON CONFLICT (node, session_id) DO UPDATE SET first_ts = ${least}(usage_sessions.first_ts, excluded.first_ts),
  last_ts = ${greatest}(usage_sessions.last_ts, excluded.last_ts), ${rollupIncrementSet("usage_sessions")}`,
  models: (values: string) =>
    `INSERT INTO usage_session_models (${SESSION_MODEL_KEY.join(", ")}, calls) ${values}
ON CONFLICT (${SESSION_MODEL_KEY.join(", ")}) DO UPDATE SET calls = usage_session_models.calls + excluded.calls`,
  sessionless: (table: string, values: string) =>
    `INSERT INTO ${table} (${ROLLUP_COLUMNS.join(", ")}) ${values}
ON CONFLICT (${DIMENSION_COLUMNS.join(", ")}) DO UPDATE SET ${rollupIncrementSet(table)}`,
  nodes: (values: string, greatest: string) =>
    `INSERT INTO usage_nodes (node, last_received_at) ${values}
ON CONFLICT (node) DO UPDATE SET last_received_at = ${greatest}(usage_nodes.last_received_at, excluded.last_received_at)`,
}

/**
 * The first and last instants of the remaining records of some sessions (after a prune), `keys` being a
 * subquery giving (node, session_id) pairs. Reads the records once (no index by session).
 */
export function sessionBoundsQuery(keys: string): string {
  return `SELECT node, session_id, MIN(ts) AS first_ts, MAX(ts) AS last_ts FROM usage_records
WHERE session_id IS NOT NULL AND (node, session_id) IN (${keys}) GROUP BY node, session_id`
}

export const UPDATE_SESSION_BOUNDS = (dialect: Dialect) =>
  `UPDATE usage_sessions SET first_ts = ${dialect.param(1)}, last_ts = ${dialect.param(2)} WHERE node = ${dialect.param(3)} AND session_id = ${dialect.param(4)}`

/** Where the previous page of `iterate` ended. */
export interface RecordCursor {
  ts: number
  node: string
  id: string
}

/** One keyset page of records in (ts, node, id) order: seeks past `after`, never OFFSET. */
export function iteratePageQuery(
  filter: RecordFilter,
  after: RecordCursor | undefined,
  limit: number,
  dialect: Dialect,
): SqlQuery {
  const params = new Params(dialect)
  const where: string[] = []
  if (after)
    where.push(`(ts, node, id) > (${params.add(after.ts)}, ${params.add(after.node)}, ${params.add(after.id)})`)
  if (filter.since) where.push(`ts >= ${params.add(filter.since.getTime())}`)
  if (filter.until) where.push(`ts < ${params.add(filter.until.getTime())}`)
  if (filter.provider !== undefined) where.push(`provider = ${params.add(filter.provider)}`)
  if (filter.node !== undefined) where.push(`node = ${params.add(filter.node)}`)
  dimensionFilters(filter, where, params)
  const conditions = where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""
  return {
    text: `SELECT ${RECORD_COLUMNS.join(", ")} FROM usage_records${conditions} ORDER BY ts, node, id LIMIT ${params.add(limit)}`,
    params: params.values,
  }
}

function pruneWhere(filter: PruneFilter, params: Params): string {
  const where = [`ts < ${params.add(filter.before.getTime())}`]
  if (filter.node !== undefined) where.push(`node = ${params.add(filter.node)}`)
  if (filter.provider !== undefined) where.push(`provider = ${params.add(filter.provider)}`)
  return where.join(" AND ")
}

/**
 * Deletes up to `limit` records matching a prune filter and returns them (RECORD_COLUMNS): a store loops on it
 * inside one transaction, taking each page's sums out of the rollups, so no statement holds millions of rows.
 */
export function prunePageQuery(filter: PruneFilter, limit: number, dialect: Dialect): SqlQuery {
  const params = new Params(dialect)
  const where = pruneWhere(filter, params)
  return {
    text: `DELETE FROM usage_records WHERE (ts, node, id) IN (SELECT ts, node, id FROM usage_records WHERE ${where}
  LIMIT ${params.add(limit)}) RETURNING ${RECORD_COLUMNS.join(", ")}`,
    params: params.values,
  }
}

/** What a prune would remove: count, cost (whole dollars + nano-dollars, exact) and first and last instants. */
export function pruneCountQuery(filter: PruneFilter, dialect: Dialect): SqlQuery {
  const params = new Params(dialect)
  const where = pruneWhere(filter, params)
  return {
    text: `SELECT COUNT(*) AS records, SUM(cost_nanos / ${NANOS_PER_USD}) AS cost_usd, SUM(cost_nanos % ${NANOS_PER_USD}) AS cost_nanos,
  MIN(ts) AS first, MAX(ts) AS last FROM usage_records WHERE ${where}`,
    params: params.values,
  }
}

/** The PruneResult of a `pruneCountQuery` row (drivers may give numbers as strings, sums of nothing as NULL). */
export function pruneCountResult(row: {
  records: number | string
  cost_usd: number | string | null
  cost_nanos: number | string | null
  first: number | string | null
  last: number | string | null
}): PruneResult {
  const result: PruneResult = {
    records: Number(row.records),
    costNanos: joinNanos(row.cost_usd ?? 0, row.cost_nanos ?? 0),
  }
  if (row.first !== null) result.first = new Date(Number(row.first))
  if (row.last !== null) result.last = new Date(Number(row.last))
  return result
}

/** After a prune: rollup, session and sessionless rows left with no call, and providers with no rollup row. */
export const PRUNE_CLEANUP = [
  ...[...ROLLUP_LEVELS, ...NARROW_LEVELS, ...SESSIONLESS_LEVELS].map(
    (level) => `DELETE FROM ${level.table} WHERE calls = 0`,
  ),
  "DELETE FROM usage_sessions WHERE calls = 0",
  "DELETE FROM usage_session_models WHERE calls = 0",
  "DELETE FROM usage_providers WHERE provider NOT IN (SELECT provider FROM usage_rollup_month)",
]

/** The tables of the session aggregate and the nodes' receipt times (SQLite v5, PostgreSQL v4). */
export const SESSION_TABLES = [
  "usage_sessions",
  "usage_session_models",
  "usage_sessionless_day",
  "usage_sessionless_month",
  "usage_nodes",
] as const

/** Every table of the schema (for size statistics and test clean-up). */
export const STORE_TABLES = [
  "usage_records",
  "usage_rollup_30m",
  "usage_rollup_3h",
  "usage_rollup_day",
  "usage_rollup_month",
  ...NARROW_LEVELS.map((level) => level.table),
  "usage_quarantine",
  "usage_providers",
  "usage_counters",
  ...SESSION_TABLES,
  // The budget alerts' claims and webhook outbox (SQLite v7, PostgreSQL v6; src/lib/budgets/alert-store-*.ts).
  "usage_budget_alerts",
  "usage_budget_outbox",
  "usage_schema_version",
] as const
