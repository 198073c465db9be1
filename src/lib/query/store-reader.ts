/**
 * One way to answer a query over a store: `storeReader({store, clock, tz, schedules})` gives `summary(query)`,
 * `trends(query)`, `report(query)` and `sessions(query)`, running the plans of summary.ts, trends.ts and report.ts against the store at the reader's clock,
 * with its default zone and reset schedules. The service's routes and live summaries, the adapters' local
 * answers and the query client's local answers all read through it. `summaryQuery` turns the since/until of
 * query parameters (dates or date strings) into the plan's dates. Plugin-safe: no store driver (the store is
 * given).
 */
import { type Clock, systemClock } from "../clock.js"
import type { ResetSchedules } from "../periods.js"
import type { SyncAggregator, UsageStore } from "../store/store.js"
import type { TrendData, UsageSummaryResult } from "../summary-types.js"
import { runPlan, runPlanSync } from "./plan.js"
import { type ReportQuery, type ReportResult, reportPlan } from "./report.js"
import { type SessionsJson, type SessionsQuery, storeSessions } from "./sessions.js"
import { type SummaryQuery, summaryPlan } from "./summary.js"
import { type TrendsQuery, trendsPlan } from "./trends.js"

export type AggregatingStore = Pick<UsageStore, "aggregate" | "aggregateMany" | "sessions">

export interface StoreReaderOptions<S> {
  /** The store, or how to get it for each query (a view built on demand, e.g. a spool read back). */
  store: S | (() => S | Promise<S>)
  clock?: Clock
  /** Zone of periods and days when a query names none (default: the local zone). */
  tz?: string
  schedules?: ResetSchedules
}

export interface StoreReader {
  summary(query?: SummaryQuery): Promise<UsageSummaryResult>
  trends(query: TrendsQuery): Promise<TrendData>
  report(query: ReportQuery): Promise<ReportResult>
  /** The sessions report from the store's session aggregate (src/lib/query/sessions.ts). */
  sessions(query: SessionsQuery): Promise<SessionsJson>
}

/** A summary query with the reader's defaults (zone, schedules) filled in. */
function withDefaults(query: SummaryQuery, options: StoreReaderOptions<unknown>): SummaryQuery {
  return { ...query, tz: query.tz ?? options.tz, schedules: query.schedules ?? options.schedules }
}

export function storeReader(options: StoreReaderOptions<AggregatingStore>): StoreReader {
  const clock = options.clock ?? systemClock
  const store = async () =>
    typeof options.store === "function" ? await (options.store as () => AggregatingStore)() : options.store
  return {
    summary: async (query = {}) => runPlan(summaryPlan(withDefaults(query, options), clock()), await store()),
    trends: async (query) => runPlan(trendsPlan({ ...query, tz: query.tz ?? options.tz }, clock()), await store()),
    report: async (query) => runPlan(reportPlan({ ...query, tz: query.tz ?? options.tz }), await store()),
    sessions: async (query) => storeSessions(await store(), { ...query, tz: query.tz ?? options.tz }),
  }
}

/** The same reader over a synchronous store (the FileAdapter's in-memory view). */
export function syncStoreReader(
  options: Omit<StoreReaderOptions<SyncAggregator>, "store"> & { store: () => SyncAggregator },
) {
  const clock = options.clock ?? systemClock
  return {
    /** `now` and `store` default to the reader's clock and store (the FileAdapter passes the merged records). */
    summary: (query: SummaryQuery = {}, now = clock(), store = options.store()): UsageSummaryResult =>
      runPlanSync(summaryPlan(withDefaults(query, options), now), store),
    trends: (query: TrendsQuery): TrendData =>
      runPlanSync(trendsPlan({ ...query, tz: query.tz ?? options.tz }, clock()), options.store()),
    report: (query: ReportQuery): ReportResult =>
      runPlanSync(reportPlan({ ...query, tz: query.tz ?? options.tz }), options.store()),
  }
}

/**
 * A summary query from query parameters as callers give them (the client's SummaryParams): since/until as
 * dates or date strings, converted to dates.
 */
export function summaryQuery<P extends SummaryQuery | { since?: Date | string; until?: Date | string }>(
  params: P = {} as P,
): SummaryQuery {
  const { since, until, ...rest } = params
  return {
    ...(rest as SummaryQuery),
    since: since === undefined ? undefined : new Date(since),
    until: until === undefined ? undefined : new Date(until),
  }
}
