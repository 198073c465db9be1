/**
 * The rollup design shared by the SQL stores. Besides the records, a store keeps sums per UTC bucket of
 * 30 minutes, 3 hours, a day and a month x provider x model x node x task type: PostgreSQL updates them in
 * the insert transaction; SQLite appends the increments to a pending table there and folds them into the
 * rollups in bulk, always before a read (src/lib/store/sqlite/store.ts). An aggregate over [since, until) is answered from a few buckets plus the records of the
 * edges that no bucket boundary matches (instants mid-bucket, zones at :45), so it is exact for any range
 * while reading a few hundred rows per call. Sums per (group, node) are additive, so a range may also be
 * written with signed pieces: a day in Europe/Paris (winter: [23:00 the day before, 23:00)) is the UTC day,
 * plus [23:00, 24:00) of the day before, minus [23:00, 24:00) of the day itself (two 30-minute buckets
 * each). A (group, node) whose calls sum to zero had no record in the range and is dropped, so the distinct
 * nodes stay exact too. `planRange` picks the cheapest decomposition. Why these grains: 30 minutes makes
 * every whole- and half-hour zone offset a bucket boundary (no record scan for Asia/Kolkata days); 3 hours
 * keeps any offset within 1.5 hours (three 30-minute buckets) of a coarser boundary; days and months keep
 * periods and unbounded totals to a handful of buckets. Buckets are UTC epoch ms of the bucket's start;
 * each level's boundaries are also boundaries of the finer ones. The same levels are also kept keyed by
 * (provider, bucket, model) only (NARROW_LEVELS), for aggregates that need no other dimension (reports).
 */
import { utcInstant } from "../calendar.js"
import { joinNanos, NANOS_PER_USD, splitNanos } from "../money.js"
import type { GroupBy } from "../summary-types.js"
import type { RecordRow } from "./record-row.js"
import { type AggregateRow, emptyAggregate, type RecordFilter } from "./store.js"

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000

export interface RollupLevel {
  readonly name: string
  readonly table: string
  /** Approximate bucket length in ms (for the cost of a plan). */
  readonly size: number
  /** Start of the bucket holding `ms` (±Infinity stays as is). */
  floor(ms: number): number
  /** Start of the first bucket at or after `ms`. */
  ceil(ms: number): number
}

function fixedLevel(name: string, table: string, size: number): RollupLevel {
  return {
    name,
    table,
    size,
    floor: (ms) => (Number.isFinite(ms) ? Math.floor(ms / size) * size : ms),
    ceil: (ms) => (Number.isFinite(ms) ? Math.ceil(ms / size) * size : ms),
  }
}

function monthStart(ms: number, offset: number): number {
  const d = new Date(ms)
  // utcInstant, not Date.UTC: years 0-99 stay as written (Date.UTC reads them as 1900-1999).
  const start = utcInstant(d.getUTCFullYear(), d.getUTCMonth() + offset, 1)
  // Beyond the Date range (±8.64e15 ms): no whole month there.
  return Number.isNaN(start) ? (offset > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY) : start
}

const MONTH: RollupLevel = {
  name: "month",
  table: "usage_rollup_month",
  size: 30 * DAY_MS,
  floor: (ms) => (Number.isFinite(ms) ? monthStart(ms, 0) : ms),
  ceil: (ms) => {
    if (!Number.isFinite(ms)) return ms
    const start = monthStart(ms, 0)
    return start === ms ? ms : monthStart(ms, 1)
  },
}

/** Finest first. Each level's boundaries are boundaries of the previous one. */
export const ROLLUP_LEVELS: readonly RollupLevel[] = [
  fixedLevel("30m", "usage_rollup_30m", HOUR_MS / 2),
  fixedLevel("3h", "usage_rollup_3h", 3 * HOUR_MS),
  fixedLevel("day", "usage_rollup_day", DAY_MS),
  MONTH,
]

/**
 * The narrow rollups: the same levels and sums keyed by (provider, bucket, model) only, so an aggregate that
 * neither filters on nor groups by the node, task type, agent or project (period reports) reads one row per
 * provider x model and bucket instead of one per combination of every dimension (43k day rows become 1.5k in
 * the 1M bench fixture). Every store keeps them equal to the wide rollups with those columns summed away.
 */
export const NARROW_LEVELS: readonly RollupLevel[] = ROLLUP_LEVELS.map((level) => ({
  ...level,
  table: `usage_rollup_model_${level.name}`,
}))

/** The key of a narrow rollup row. */
export const NARROW_DIMENSIONS = ["provider", "bucket", "model"] as const

/** A piece of a range answered by one table: the records (edges off every boundary) or a rollup level. */
export interface RangePiece {
  level: RollupLevel | "records"
  /** Inclusive start, UTC ms; -Infinity when unbounded. */
  from: number
  /** Exclusive end, UTC ms; +Infinity when unbounded. */
  to: number
  /** +1: add the piece's sums; -1: subtract them. */
  sign: 1 | -1
}

/**
 * The cost of reading records, in rollup buckets per hour of records: a bucket holds one row per combination
 * present (tens for one provider), an hour of records many more rows (hundreds at 1M records over 60 days).
 */
const RECORDS_COST_PER_HOUR = 8

/** The span an open-ended range is costed as (about 300 years). */
const OPEN_SPAN_MS = 1e13

interface Cover {
  cost: number
  pieces: RangePiece[]
}

const EMPTY: Cover = { cost: 0, pieces: [] }

/** Finds the cheapest signed cover of intervals, memoised per (interval, levels) within one plan. */
class RangePlanner {
  private readonly memo = new Map<string, Cover>()

  constructor(private readonly levels: readonly RollupLevel[]) {}

  /** [from, to) as a signed interval: to < from means minus [to, from). Uses levels[0..depth). */
  signed(from: number, to: number, depth: number): Cover {
    if (from === to) return EMPTY
    if (from < to) return this.cheapest(from, to, depth)
    const cover = this.cheapest(to, from, depth)
    return { cost: cover.cost, pieces: cover.pieces.map((p) => ({ ...p, sign: p.sign === 1 ? -1 : 1 })) }
  }

  /** The cheapest cover of [from, to) (from < to) by buckets of levels[0..depth) and records. */
  cheapest(from: number, to: number, depth: number): Cover {
    const key = `${from},${to},${depth}`
    let best = this.memo.get(key)
    if (best) return best
    if (depth === 0) {
      const hours = (to - from) / HOUR_MS
      best = {
        cost: Number.isFinite(hours) ? hours * RECORDS_COST_PER_HOUR : Number.POSITIVE_INFINITY,
        pieces: [{ level: "records", from, to, sign: 1 }],
      }
    } else {
      // Either this level is not used, or the range is rounded to its boundaries (down or up, on each
      // side) and the differences are covered, added or subtracted, by finer levels.
      best = this.cheapest(from, to, depth - 1)
      const level = this.levels[depth - 1]
      // A range under half a bucket is never cheaper through that bucket: the differences are longer.
      if (to - from < level.size / 2) {
        this.memo.set(key, best)
        return best
      }
      const lefts = [...new Set([level.floor(from), level.ceil(from)])]
      const rights = [...new Set([level.floor(to), level.ceil(to)])]
      for (const a of lefts) {
        for (const b of rights) {
          if (!(a < b)) continue
          // An open range counts as a long one (so coarser levels win), not as an infinite one.
          const buckets = Math.max(1, Math.min(b - a, OPEN_SPAN_MS) / level.size)
          if (buckets >= best.cost) continue
          const left = this.signed(from, a, depth - 1)
          const right = this.signed(b, to, depth - 1)
          const cost = buckets + left.cost + right.cost
          if (cost < best.cost) {
            best = { cost, pieces: [{ level, from: a, to: b, sign: 1 }, ...left.pieces, ...right.pieces] }
          }
        }
      }
    }
    this.memo.set(key, best)
    return best
  }
}

/**
 * Cuts [since, until) into signed pieces whose sums add up to the range's, reading as few rows as the cost
 * model says. An open bound is ±Infinity, which every level treats as aligned, so an unbounded query reads
 * only the month rollup.
 */
export function planRange(filter: Pick<RecordFilter, "since" | "until">, levels = ROLLUP_LEVELS): RangePiece[] {
  const from = filter.since ? filter.since.getTime() : Number.NEGATIVE_INFINITY
  const to = filter.until ? filter.until.getTime() : Number.POSITIVE_INFINITY
  if (!(from < to)) return []
  return new RangePlanner(levels).cheapest(from, to, levels.length).pieces
}

/**
 * The sums a rollup row keeps, in column order. A cost sum is whole dollars (`cost_usd`) plus nano-dollars
 * (`cost_nanos`, kept in [0, 1e9) by every write): exact and far from overflow however many records share a
 * row (one record costs at most 1e9 USD). Token sums saturate at the largest 64-bit integer instead of failing.
 */
export const SUM_COLUMNS = [
  "calls",
  "cost_usd",
  "cost_nanos",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "unpriced_calls",
] as const

/**
 * The dimension columns of a rollup row: its primary key is (provider, bucket, model, node, task_type, agent,
 * project). A record without an agent or project counts under "" there.
 */
export const DIMENSION_COLUMNS = ["provider", "bucket", "model", "node", "task_type", "agent", "project"] as const

/** Every column of a rollup row, in table order: the dimensions, then the sums. */
export const ROLLUP_COLUMNS = [...DIMENSION_COLUMNS, ...SUM_COLUMNS] as const

/** The sum columns of a rollup row (and of a session's row), in SUM_COLUMNS order. */
export interface RollupSums {
  calls: number
  /** Whole dollars of the cost sum. */
  cost_usd: number
  /** Nano-dollars of the cost sum beyond `cost_usd`: 0 <= cost_nanos < 1e9. */
  cost_nanos: number
  input_tokens: number
  output_tokens: number
  cache_read_tokens: number
  cache_write_tokens: number
  reasoning_tokens: number
  unpriced_calls: number
}

/** Sums of nothing, to spread into a new row. */
export const ZERO_SUMS: Readonly<RollupSums> = {
  calls: 0,
  cost_usd: 0,
  cost_nanos: 0,
  input_tokens: 0,
  output_tokens: 0,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  unpriced_calls: 0,
}

/** Keeps a cost sum's nano-dollars in [0, 1e9), carrying whole dollars (increments may be unnormalised). */
export function carryNanos(sums: RollupSums): void {
  if (sums.cost_nanos >= NANOS_PER_USD || sums.cost_nanos < 0) {
    const carry = Math.floor(sums.cost_nanos / NANOS_PER_USD)
    sums.cost_usd += carry
    sums.cost_nanos -= carry * NANOS_PER_USD
  }
}

export interface RollupRow extends RollupSums {
  provider: string
  bucket: number
  model: string
  node: string
  task_type: string
  /** "" when the records have none. */
  agent: string
  project: string
}

/** The largest 64-bit integer, where token sums saturate (in the SQL upserts and in `rollupValues`). */
export const MAX_SQL_INTEGER = "9223372036854775807"
const MAX_SQL_INTEGER_BIG = BigInt(MAX_SQL_INTEGER)
/** Token sums from here on are bound as the saturated maximum (2^63 itself is the first double past it). */
const SATURATED_FROM = 2 ** 63

const TOKEN_COLUMNS = new Set<string>([
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
])

/** A row's values in `columns` order (positional statement parameters), token sums capped at 2^63 - 1. */
export function sumValues<Row>(row: Row, columns: readonly (keyof Row & string)[]): (string | number | bigint)[] {
  return columns.map((column) => {
    const value = row[column] as string | number
    return typeof value === "number" && value >= SATURATED_FROM && TOKEN_COLUMNS.has(column)
      ? MAX_SQL_INTEGER_BIG
      : value
  })
}

/** Every column of a narrow rollup row, in table order. */
export const NARROW_COLUMNS = [...NARROW_DIMENSIONS, ...SUM_COLUMNS] as const

/** A narrow rollup row's values in NARROW_COLUMNS order (a RollupRow whose other dimensions are ""). */
export function narrowValues(row: RollupRow): (string | number | bigint)[] {
  return sumValues(row, NARROW_COLUMNS)
}

/** A rollup row's values in ROLLUP_COLUMNS order (positional statement parameters). */
export function rollupValues(row: RollupRow): (string | number | bigint)[] {
  return sumValues(row, ROLLUP_COLUMNS)
}

/**
 * The SET clause that adds an increment (`excluded`) to a rollup row of `table`, in SQL both SQLite and
 * PostgreSQL run: counts add; the cost carries nano-dollars past 1e9 into dollars (both parts of an
 * increment are normalised, so one carry suffices); token sums saturate at 2^63 - 1 (a CASE evaluates only
 * the branch it needs, so `MAX - x` is computed only for x > 0 and cannot overflow). Every SET expression
 * reads the row as it was before the update.
 */
export function rollupIncrementSet(table: string): string {
  const nanos = `${table}.cost_nanos + excluded.cost_nanos`
  return SUM_COLUMNS.map((c) => {
    if (c === "cost_usd")
      return `cost_usd = ${table}.cost_usd + excluded.cost_usd + CASE WHEN ${nanos} >= ${NANOS_PER_USD} THEN 1 ELSE 0 END`
    if (c === "cost_nanos")
      return `cost_nanos = CASE WHEN ${nanos} >= ${NANOS_PER_USD} THEN ${nanos} - ${NANOS_PER_USD} ELSE ${nanos} END`
    if (TOKEN_COLUMNS.has(c))
      return `${c} = CASE WHEN excluded.${c} <= 0 THEN ${table}.${c} + excluded.${c} WHEN ${table}.${c} > ${MAX_SQL_INTEGER} - excluded.${c} THEN ${MAX_SQL_INTEGER} ELSE ${table}.${c} + excluded.${c} END`
    return `${c} = ${table}.${c} + excluded.${c}`
  }).join(", ")
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

function compareRollupKeys(a: RollupRow, b: RollupRow): number {
  return (
    compareText(a.provider, b.provider) ||
    a.bucket - b.bucket ||
    compareText(a.model, b.model) ||
    compareText(a.node, b.node) ||
    compareText(a.task_type, b.task_type) ||
    compareText(a.agent, b.agent) ||
    compareText(a.project, b.project)
  )
}

/** The increments of one (provider, model, node, task type): one map of bucket -> row per level. */
interface DimensionDeltas {
  readonly byLevel: Map<number, RollupRow>[]
}

/**
 * The rollup increments of the records one transaction inserted (or of the rollup rows a fold reads), summed
 * per bucket and dimensions. Keyed by the dimensions once per record (one string), then by bucket (a number)
 * per level. `records` counts the calls added.
 */
export class RollupDeltas {
  private readonly byDimensions = new Map<string, DimensionDeltas>()
  private readonly providerSet = new Set<string>()
  records = 0

  /**
   * `narrow`: sums per (provider, model) and bucket only (the narrow rollups), the other dimensions left "".
   */
  constructor(
    private readonly levels = ROLLUP_LEVELS,
    private readonly narrow = false,
  ) {}

  /** Adds one new record to every level (`sign` -1: takes a deleted record away). */
  add(row: RecordRow, sign: 1 | -1 = 1): void {
    const cost = splitNanos(sign * row.cost_nanos)
    this.accumulate(
      row.agent === null || row.project === null
        ? { ...row, agent: row.agent ?? "", project: row.project ?? "" }
        : (row as RecordRow & { agent: string; project: string }),
      row.ts,
      sign,
      cost.usd,
      cost.rem,
      sign * row.input_tokens,
      sign * row.output_tokens,
      sign * (row.cache_read_tokens ?? 0),
      sign * (row.cache_write_tokens ?? 0),
      sign * (row.reasoning_tokens ?? 0),
      row.unpriced === 1 ? sign : 0,
    )
  }

  /**
   * Adds the sums of a row of a finer level (or of the same one) to every level: its bucket lies within one
   * bucket of each level, since each level's boundaries are boundaries of the finer ones.
   */
  addRollup(row: RollupRow): void {
    this.accumulate(
      row,
      row.bucket,
      row.calls,
      Number(row.cost_usd),
      Number(row.cost_nanos),
      row.input_tokens,
      row.output_tokens,
      row.cache_read_tokens,
      row.cache_write_tokens,
      row.reasoning_tokens,
      row.unpriced_calls,
    )
  }

  private accumulate(
    dims: Pick<RollupRow, "provider" | "model" | "node" | "task_type" | "agent" | "project">,
    ts: number,
    calls: number,
    costUsd: number,
    costNanos: number,
    inputTokens: number,
    outputTokens: number,
    cacheRead: number,
    cacheWrite: number,
    reasoning: number,
    unpriced: number,
  ): void {
    this.records += calls
    this.providerSet.add(dims.provider)
    const key = this.narrow
      ? `${dims.provider}\u0000${dims.model}`
      : `${dims.provider}\u0000${dims.model}\u0000${dims.node}\u0000${dims.task_type}\u0000${dims.agent}\u0000${dims.project}`
    let dimensions = this.byDimensions.get(key)
    if (!dimensions) {
      dimensions = { byLevel: this.levels.map(() => new Map()) }
      this.byDimensions.set(key, dimensions)
    }
    for (let i = 0; i < this.levels.length; i++) {
      const bucket = this.levels[i].floor(ts)
      const rows = dimensions.byLevel[i]
      let delta = rows.get(bucket)
      if (!delta) {
        delta = {
          provider: dims.provider,
          bucket,
          model: dims.model,
          node: this.narrow ? "" : dims.node,
          task_type: this.narrow ? "" : dims.task_type,
          agent: this.narrow ? "" : dims.agent,
          project: this.narrow ? "" : dims.project,
          ...ZERO_SUMS,
        }
        rows.set(bucket, delta)
      }
      delta.calls += calls
      delta.cost_usd += costUsd
      delta.cost_nanos += costNanos
      carryNanos(delta)
      delta.input_tokens += inputTokens
      delta.output_tokens += outputTokens
      delta.cache_read_tokens += cacheRead
      delta.cache_write_tokens += cacheWrite
      delta.reasoning_tokens += reasoning
      delta.unpriced_calls += unpriced
    }
  }

  /** The increments of one level in primary-key order (concurrent writers lock rows in the same order). */
  rows(level: RollupLevel): RollupRow[] {
    const index = this.levels.indexOf(level)
    const out: RollupRow[] = []
    for (const dimensions of this.byDimensions.values())
      for (const row of dimensions.byLevel[index].values()) out.push(row)
    return out.sort(compareRollupKeys)
  }

  providers(): string[] {
    return [...this.providerSet].sort(compareText)
  }

  /**
   * The narrow rollups' increments (NARROW_LEVELS) of these increments, from their finest level's rows (each
   * finer bucket lies within one bucket of every level). Needs the finest level of ROLLUP_LEVELS.
   */
  narrowed(): RollupDeltas {
    if (this.levels[0] !== ROLLUP_LEVELS[0]) throw new Error("narrowed() needs the 30-minute increments")
    const narrow = new RollupDeltas(NARROW_LEVELS, true)
    for (const dimensions of this.byDimensions.values())
      for (const row of dimensions.byLevel[0].values()) narrow.addRollup(row)
    return narrow
  }
}

/** The grouping column of each `groupBy`. */
export const GROUP_COLUMN: Record<GroupBy, string> = {
  provider: "provider",
  model: "model",
  node: "node",
  taskType: "task_type",
  agent: "agent",
  project: "project",
}

/** One row of an aggregate query: sums of one (group key, node); drivers may give numbers as strings. */
export interface KeyNodeSums {
  k: string
  node: string
  calls: number | string
  cost_usd: number | string
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
      g = emptyAggregate(r.k)
      groups.set(r.k, g)
    }
    g.calls += calls
    g.costNanos += joinNanos(r.cost_usd, r.cost_nanos)
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
