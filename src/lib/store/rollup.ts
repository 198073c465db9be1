/**
 * The rollup design shared by the SQL stores. Besides the records, a store keeps sums per UTC bucket
 * (hour, day, month) x provider x model x node x task type, updated in the insert transaction. An aggregate
 * over [since, until) is cut into pieces: the whole months in the middle from the month rollup, the whole
 * days around them from the day rollup, the whole hours around those from the hour rollup and the
 * sub-hour edges from the records themselves (e.g. zones with :30 offsets, instants mid-hour), so the
 * answer is exact for any range while reading a few thousand rows at most. Buckets are UTC epoch ms of the
 * bucket's start; every coarser boundary is also a finer one, so the pieces tile the range.
 */
import type { GroupBy } from "../summary-types.js"
import type { RecordRow } from "./record-row.js"
import type { AggregateRow, RecordFilter } from "./store.js"

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

export interface RollupLevel {
  readonly name: "hour" | "day" | "month"
  readonly table: string
  /** Start of the bucket holding `ms` (±Infinity stays as is). */
  floor(ms: number): number
  /** Start of the first bucket at or after `ms`. */
  ceil(ms: number): number
}

function fixedLevel(name: "hour" | "day", table: string, size: number): RollupLevel {
  const floor = (ms: number) => (Number.isFinite(ms) ? Math.floor(ms / size) * size : ms)
  return { name, table, floor, ceil: (ms) => (Number.isFinite(ms) ? Math.ceil(ms / size) * size : ms) }
}

function monthStart(ms: number, offset: number): number {
  const d = new Date(ms)
  const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1)
  // Beyond the Date range (±8.64e15 ms): no whole month there.
  return Number.isNaN(start) ? (offset > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY) : start
}

const MONTH: RollupLevel = {
  name: "month",
  table: "usage_rollup_month",
  floor: (ms) => (Number.isFinite(ms) ? monthStart(ms, 0) : ms),
  ceil: (ms) => {
    if (!Number.isFinite(ms)) return ms
    const start = monthStart(ms, 0)
    return start === ms ? ms : monthStart(ms, 1)
  },
}

/** Finest first. Each level's boundaries are boundaries of the previous one. */
export const ROLLUP_LEVELS: readonly RollupLevel[] = [
  fixedLevel("hour", "usage_rollup_hour", HOUR_MS),
  fixedLevel("day", "usage_rollup_day", DAY_MS),
  MONTH,
]

/** A piece of a range answered by one table: the records (sub-hour edges) or a rollup level. */
export interface RangePiece {
  level: RollupLevel | "records"
  /** Inclusive start, UTC ms; -Infinity when unbounded. */
  from: number
  /** Exclusive end, UTC ms; +Infinity when unbounded. */
  to: number
}

/**
 * Cuts [since, until) into pieces, coarsest in the middle. An open bound is ±Infinity, which every level
 * treats as aligned, so an unbounded query reads only the coarsest rollup.
 */
export function planRange(filter: Pick<RecordFilter, "since" | "until">, levels = ROLLUP_LEVELS): RangePiece[] {
  let from = filter.since ? filter.since.getTime() : Number.NEGATIVE_INFINITY
  let to = filter.until ? filter.until.getTime() : Number.POSITIVE_INFINITY
  if (!(from < to)) return []
  const edges: RangePiece[] = []
  let finer: RollupLevel | "records" = "records"
  for (const level of levels) {
    const a = level.ceil(from)
    const b = level.floor(to)
    if (!(a < b)) break
    if (from < a) edges.push({ level: finer, from, to: a })
    if (b < to) edges.push({ level: finer, from: b, to })
    from = a
    to = b
    finer = level
  }
  return [...edges, { level: finer, from, to }]
}

/** The sums a rollup row keeps, in column order. */
export const SUM_COLUMNS = [
  "calls",
  "cost_nanos",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "unpriced_calls",
] as const

/** The dimension columns of a rollup row: its primary key is (provider, bucket, model, node, task_type). */
export const DIMENSION_COLUMNS = ["provider", "bucket", "model", "node", "task_type"] as const

export interface RollupRow {
  provider: string
  bucket: number
  model: string
  node: string
  task_type: string
  calls: number
  cost_nanos: number
  input_tokens: number
  output_tokens: number
  cache_read_tokens: number
  cache_write_tokens: number
  reasoning_tokens: number
  unpriced_calls: number
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

function compareRollupKeys(a: RollupRow, b: RollupRow): number {
  return (
    compareText(a.provider, b.provider) ||
    a.bucket - b.bucket ||
    compareText(a.model, b.model) ||
    compareText(a.node, b.node) ||
    compareText(a.task_type, b.task_type)
  )
}

/** The rollup increments of the records one transaction inserted, summed per bucket and dimensions. */
export class RollupDeltas {
  private readonly byLevel = new Map<RollupLevel, Map<string, RollupRow>>()
  private readonly providerSet = new Set<string>()
  records = 0

  constructor(private readonly levels = ROLLUP_LEVELS) {
    for (const level of levels) this.byLevel.set(level, new Map())
  }

  add(row: RecordRow): void {
    this.records += 1
    this.providerSet.add(row.provider)
    for (const level of this.levels) {
      const bucket = level.floor(row.ts)
      const key = `${row.provider}\u0000${bucket}\u0000${row.model}\u0000${row.node}\u0000${row.task_type}`
      const rows = this.byLevel.get(level)!
      let delta = rows.get(key)
      if (!delta) {
        delta = {
          provider: row.provider,
          bucket,
          model: row.model,
          node: row.node,
          task_type: row.task_type,
          calls: 0,
          cost_nanos: 0,
          input_tokens: 0,
          output_tokens: 0,
          cache_read_tokens: 0,
          cache_write_tokens: 0,
          reasoning_tokens: 0,
          unpriced_calls: 0,
        }
        rows.set(key, delta)
      }
      delta.calls += 1
      delta.cost_nanos += row.cost_nanos
      delta.input_tokens += row.input_tokens
      delta.output_tokens += row.output_tokens
      delta.cache_read_tokens += row.cache_read_tokens ?? 0
      delta.cache_write_tokens += row.cache_write_tokens ?? 0
      delta.reasoning_tokens += row.reasoning_tokens ?? 0
      if (row.unpriced === 1) delta.unpriced_calls += 1
    }
  }

  /** The increments of one level in primary-key order (concurrent writers lock rows in the same order). */
  rows(level: RollupLevel): RollupRow[] {
    return [...this.byLevel.get(level)!.values()].sort(compareRollupKeys)
  }

  providers(): string[] {
    return [...this.providerSet].sort(compareText)
  }
}

/** The grouping column of each `groupBy`. */
export const GROUP_COLUMN: Record<GroupBy, string> = {
  provider: "provider",
  model: "model",
  node: "node",
  taskType: "task_type",
}

/** One row of an aggregate query: sums of one (group key, node); drivers may give numbers as strings. */
export interface KeyNodeSums {
  k: string
  node: string
  calls: number | string
  cost_nanos: number | string
  input_tokens: number | string
  output_tokens: number | string
  cache_read_tokens: number | string
  cache_write_tokens: number | string
  reasoning_tokens: number | string
  unpriced_calls: number | string
}

/** Folds (key, node) sums into one AggregateRow per key, with the distinct nodes of each key sorted. */
export function foldKeyNodeSums(rows: Iterable<KeyNodeSums>): AggregateRow[] {
  const groups = new Map<string, AggregateRow>()
  for (const r of rows) {
    const calls = Number(r.calls)
    if (calls === 0) continue
    let g = groups.get(r.k)
    if (!g) {
      g = {
        key: r.k,
        calls: 0,
        costNanos: 0,
        inputTokens: 0,
        outputTokens: 0,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
        unpricedCalls: 0,
        nodes: [],
      }
      groups.set(r.k, g)
    }
    g.calls += calls
    g.costNanos += Number(r.cost_nanos)
    g.inputTokens += Number(r.input_tokens)
    g.outputTokens += Number(r.output_tokens)
    g.cacheReadTokens += Number(r.cache_read_tokens)
    g.cacheWriteTokens += Number(r.cache_write_tokens)
    g.reasoningTokens += Number(r.reasoning_tokens)
    g.unpricedCalls += Number(r.unpriced_calls)
    g.nodes.push(r.node)
  }
  for (const g of groups.values()) g.nodes.sort()
  return [...groups.values()]
}
