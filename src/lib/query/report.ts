/**
 * Period reports (`usage daily|weekly|monthly`, `GET /api/usage/report`): every provider together, one row
 * per calendar day, week (Monday first unless `startOfWeek` says otherwise) or month in the query's zone,
 * with the models used and an optional breakdown; only periods with usage are rows. The range defaults to
 * all data, found from the month rollup without a scan: aggregates per UTC decade of the accepted record
 * range (2000-2100), then per year and per month only where the step above had records (32 aggregates for a
 * year of data), then the periods overlapping the months that have data. Every request says it needs no
 * distinct nodes, so the SQL stores answer from their (provider, bucket, model) rollups.
 */
import { utcInstant } from "../calendar.js"
import { fromNanos } from "../money.js"
import { addDays, dayKey, resolveTimeZone } from "../periods.js"
import type { AggregateRow, DimensionFilter, RecordFilter, UsageSums } from "../store/store.js"
import type { GroupBy } from "../summary-types.js"
import { wallClock } from "../wall-clock.js"
import { fromWallClock, zonedDate } from "../zoned-date.js"
import type { QueryPlan } from "./plan.js"

export const REPORT_PERIODS = ["day", "week", "month"] as const
export type ReportPeriod = (typeof REPORT_PERIODS)[number]

/** The JSON key of each period's rows. */
export const REPORT_KEYS = { day: "daily", week: "weekly", month: "monthly" } as const

export interface ReportQuery extends DimensionFilter {
  period: ReportPeriod
  /** Inclusive. */
  since?: Date
  /** Exclusive. */
  until?: Date
  tz?: string
  by?: GroupBy
  /** First day of a week, 0 (Sunday) to 6; default 1 (Monday, ISO). */
  startOfWeek?: number
  order?: "asc" | "desc"
}

export interface ReportTotals {
  totalCost: number
  callCount: number
  inputTokens: number
  outputTokens: number
  cacheReadTokens: number
  cacheWriteTokens: number
  reasoningTokens: number
  unpricedCalls: number
}

export interface ReportBreakdownEntry extends ReportTotals {
  key: string
}

export interface ReportRow extends ReportTotals {
  /** `YYYY-MM-DD` (a day, or a week's first day) or `YYYY-MM` (a month), in the report's zone. */
  period: string
  models: string[]
  breakdown?: ReportBreakdownEntry[]
}

export interface ReportResult {
  period: ReportPeriod
  rows: ReportRow[]
  totals: ReportTotals
  tz: string
  by?: GroupBy
  /** The range covered: the query's, else the start of the first period and the end of the last (none if empty). */
  since?: Date
  until?: Date
}

type Unit = "month" | "week" | "day"

interface Span {
  start: Date
  until: Date
}

const DAY_MS = 86_400_000

const later = (a: Date, b: Date): Date => (a.getTime() >= b.getTime() ? a : b)
const earlier = (a: Date, b: Date): Date => (a.getTime() <= b.getTime() ? a : b)

/** Start of the `unit` holding `at`, in `tz`. */
export function unitStart(at: Date, unit: Unit, tz: string, startOfWeek = 1): Date {
  const d = zonedDate(at.getTime(), tz)
  const y = d.getFullYear()
  switch (unit) {
    case "month":
      return fromWallClock(tz, y, d.getMonth(), 1)
    case "day":
      return fromWallClock(tz, y, d.getMonth(), d.getDate())
    case "week": {
      const day = fromWallClock(tz, y, d.getMonth(), d.getDate())
      return addDays(day, -((d.getDay() - startOfWeek + 7) % 7), tz)
    }
  }
}

/** Start of the `unit` after the one starting at `start`. */
export function nextUnit(start: Date, unit: Unit, tz: string): Date {
  if (unit !== "month")
    return sameWallClockLater(start, unit === "week" ? 7 : 1, tz) ?? addDays(start, unit === "week" ? 7 : 1, tz)
  const d = zonedDate(start.getTime(), tz)
  const y = d.getFullYear()
  return d.getMonth() === 11 ? fromWallClock(tz, y + 1, 0, 1) : fromWallClock(tz, y, d.getMonth() + 1, 1)
}

/**
 * `days` x 24 hours after the midnight `start`, when the wall clock reads 00:00:00 there (no offset change in
 * between: one zone conversion instead of addDays' several); else undefined (addDays decides).
 */
function sameWallClockLater(start: Date, days: number, tz: string): Date | undefined {
  const at = new Date(start.getTime() + days * DAY_MS)
  if (at.getTime() % 1000 !== 0) return undefined
  const w = wallClock(at, tz)
  return w.hour === 0 && w.minute === 0 && w.second === 0 ? at : undefined
}

/** The units overlapping [span.start, span.until) as [key, end): each unit's own start and the next one's. */
function split(span: Span, unit: Unit, tz: string, startOfWeek?: number): { key: Date; end: Date }[] {
  const out: { key: Date; end: Date }[] = []
  let key = unitStart(span.start, unit, tz, startOfWeek)
  while (key < span.until) {
    const end = nextUnit(key, unit, tz)
    out.push({ key, end })
    key = end
  }
  return out
}

/**
 * The UTC spans of `years` years (10: decades, 1: years, 0: months) overlapping `span`, clipped to it: whole
 * month-rollup buckets, whatever the report's zone.
 */
function splitUtc(span: Span, years: 10 | 1 | 0): Span[] {
  const out: Span[] = []
  const at = span.start
  let y = at.getUTCFullYear()
  let m = years === 0 ? at.getUTCMonth() : 0
  if (years === 10) y -= y % 10
  for (;;) {
    const key = utcInstant(y, m, 1)
    if (key >= span.until.getTime()) return out
    if (years === 0) m += 1
    else y += years
    out.push({ start: later(new Date(key), span.start), until: earlier(new Date(utcInstant(y, m, 1)), span.until) })
  }
}

/** The totals of some sums (a report's rows, a list of sessions), the cost summed exactly then converted once. */
export function totalsOf(rows: readonly UsageSums[]): ReportTotals & { costNanos: bigint } {
  const t = {
    costNanos: 0n,
    totalCost: 0,
    callCount: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    unpricedCalls: 0,
  }
  for (const r of rows) {
    t.costNanos += r.costNanos
    t.callCount += r.calls
    t.inputTokens += r.inputTokens
    t.outputTokens += r.outputTokens
    t.cacheReadTokens += r.cacheReadTokens
    t.cacheWriteTokens += r.cacheWriteTokens
    t.reasoningTokens += r.reasoningTokens
    t.unpricedCalls += r.unpricedCalls
  }
  t.totalCost = fromNanos(t.costNanos)
  return t
}

export function withoutNanos<T extends { costNanos: bigint }>(t: T): Omit<T, "costNanos"> {
  const { costNanos: _, ...rest } = t
  return rest
}

/** The accepted record range, [2000-01-01Z, 2100-01-01Z) (record.ts's bounds; that module loads zod). */
const MIN_RECORD_TIME_MS = utcInstant(2000, 0, 1)
const MAX_RECORD_TIME_MS = utcInstant(2100, 0, 1)

/** Instants before and after every storable record, in any zone (the periods' bounds when unbounded). */
const FAR_PAST = (tz: string) => fromWallClock(tz, 1999, 0, 1)
const FAR_FUTURE = (tz: string) => fromWallClock(tz, 2101, 0, 1)

export function* reportPlan(query: ReportQuery): QueryPlan<ReportResult> {
  const tz = resolveTimeZone(query.tz)
  const startOfWeek = query.startOfWeek ?? 1
  const base: RecordFilter = {
    provider: query.provider,
    node: query.node,
    model: query.model,
    agent: query.agent,
    project: query.project,
  }
  const range: Span = { start: query.since ?? FAR_PAST(tz), until: query.until ?? FAR_FUTURE(tz) }
  const empty = (): ReportResult => ({
    period: query.period,
    rows: [],
    totals: withoutNanos(totalsOf([])),
    tz,
    ...(query.by ? { by: query.by } : {}),
    ...(query.since ? { since: query.since } : {}),
    ...(query.until ? { until: query.until } : {}),
  })
  if (range.start >= range.until) return empty()

  // The UTC months with matching records, within the accepted record range (each probe a few month-rollup
  // rows): decades, then years and months only inside those the step above found.
  let spans: Span[] = [
    {
      start: later(range.start, new Date(MIN_RECORD_TIME_MS)),
      until: earlier(range.until, new Date(MAX_RECORD_TIME_MS)),
    },
  ]
  if (!(spans[0].start < spans[0].until)) return empty()
  for (const years of [10, 1, 0] as const) {
    const pieces = spans.flatMap((s) => splitUtc(s, years))
    const answers = yield pieces.map((p) => ({
      filter: { ...base, since: p.start, until: p.until },
      groupBy: "provider" as const,
      nodes: false,
    }))
    spans = pieces.filter((_, i) => answers[i].length > 0)
    if (spans.length === 0) return empty()
  }

  // The report's periods: those overlapping a UTC month with records (a period across two months once).
  const unit: Unit = query.period
  const periods = new Map<number, Span & { key: Date }>()
  let last: { key: Date; end: Date } | undefined
  for (const span of spans) {
    // Consecutive months share their edge period: split from the end of the last one listed.
    const from = last && last.end > span.start ? { start: last.end, until: span.until } : span
    for (const p of from.start < from.until ? split(from, unit, tz, startOfWeek) : []) {
      periods.set(p.key.getTime(), { key: p.key, start: later(p.key, range.start), until: earlier(p.end, range.until) })
      last = p
    }
  }
  const list = [...periods.values()].sort((a, b) => a.key.getTime() - b.key.getTime())
  const requests = list.flatMap((p) => {
    const filter = { ...base, since: p.start, until: p.until }
    // No request reads the distinct nodes: a store may answer from its (provider, bucket, model) rollups.
    return query.by
      ? [
          { filter, groupBy: "model" as GroupBy, nodes: false },
          { filter, groupBy: query.by, nodes: false },
        ]
      : [{ filter, groupBy: "model" as GroupBy, nodes: false }]
  })
  const answers = yield requests
  const step = query.by ? 2 : 1

  const rows: ReportRow[] = []
  const all: AggregateRow[] = []
  const used: (Span & { key: Date })[] = []
  list.forEach((p, i) => {
    const models = answers[i * step]
    const totals = totalsOf(models)
    if (totals.callCount === 0) return
    all.push(...models)
    used.push(p)
    const row: ReportRow = {
      period: query.period === "month" ? dayKey(p.key, tz).slice(0, 7) : dayKey(p.key, tz),
      ...withoutNanos(totals),
      models: models
        .map((m) => m.key)
        .filter((m) => m !== "")
        .sort(),
    }
    if (query.by) {
      row.breakdown = answers[i * step + 1]
        .map((r) => ({ key: r.key, ...withoutNanos(totalsOf([r])) }))
        .sort((a, b) => b.totalCost - a.totalCost || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    }
    rows.push(row)
  })
  if (rows.length === 0) return empty()
  if (query.order === "desc") rows.reverse()
  return {
    period: query.period,
    rows,
    totals: withoutNanos(totalsOf(all)),
    tz,
    ...(query.by ? { by: query.by } : {}),
    since: query.since ?? used[0].key,
    until: query.until ?? nextUnit(used[used.length - 1].key, unit, tz),
  }
}

/** The report on the wire: `{"daily"|"weekly"|"monthly": rows, totals, tz, since, until}` (dates as ISO). */
export interface ReportJson {
  daily?: ReportRow[]
  weekly?: ReportRow[]
  monthly?: ReportRow[]
  totals: ReportTotals
  tz: string
  by?: GroupBy
  since: string | null
  until: string | null
}

export function reportJson(result: ReportResult): ReportJson {
  return {
    [REPORT_KEYS[result.period]]: result.rows,
    totals: result.totals,
    tz: result.tz,
    ...(result.by ? { by: result.by } : {}),
    since: result.since?.toISOString() ?? null,
    until: result.until?.toISOString() ?? null,
  } as ReportJson
}

/** A ReportResult from its JSON (the endpoint reader's answer). */
export function reportFromJson(period: ReportPeriod, json: ReportJson): ReportResult {
  return {
    period,
    rows: json[REPORT_KEYS[period]] ?? [],
    totals: json.totals,
    tz: json.tz,
    ...(json.by ? { by: json.by } : {}),
    ...(json.since ? { since: new Date(json.since) } : {}),
    ...(json.until ? { until: new Date(json.until) } : {}),
  }
}
