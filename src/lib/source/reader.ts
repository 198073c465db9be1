/**
 * The read source of the read commands: one interface (`Reader`) whatever the data lives in, and its
 * implementation over any `UsageStore` (a SQLite or PostgreSQL store, or a MemoryStore filled from a legacy
 * file). Summaries and trends run the shared query plans; the endpoint reader (endpoint-reader.ts) asks the
 * service, which runs the same plans.
 */
import type { Clock } from "../clock.js"
import type { ResetSchedules } from "../periods.js"
import { type AllTrendsQuery, allTrendsPlan } from "../query/all-trends.js"
import { runPlan } from "../query/plan.js"
import { type ReportQuery, type ReportResult, reportPlan } from "../query/report.js"
import { type SessionsJson, type SessionsQuery, storeSessions } from "../query/sessions.js"
import { type SummaryQuery, summaryPlan } from "../query/summary.js"
import { type TrendsQuery, trendsPlan } from "../query/trends.js"
import type { UsageRecord } from "../record.js"
import type { RecordFilter, UsageStore } from "../store/store.js"
import type { TrendData, UsageSummaryResult } from "../summary-types.js"

export type SourceKind = "endpoint" | "store" | "file"

export interface Reader {
  readonly kind: SourceKind
  /** Where the data is read from, for messages (a URL, a store location or a file path; never a secret). */
  readonly location: string
  /** The summary for each provider's current billing period, or for `since`/`until` (dates as Date objects). */
  summary(query: SummaryQuery): Promise<UsageSummaryResult>
  trends(query: TrendsQuery): Promise<TrendData>
  /** Every provider's trend with usage in the range, costliest first (`GET /api/usage/trends`'s answer). */
  allTrends(query: AllTrendsQuery): Promise<TrendData[]>
  /** Per day, week or month of the query's zone, every provider together (src/lib/query/report.ts). */
  report(query: ReportQuery): Promise<ReportResult>
  /**
   * The sessions report (src/lib/query/sessions.ts): a store's session aggregate, a legacy file's records
   * summed in memory, or the service's answer.
   */
  sessions(query: SessionsQuery): Promise<SessionsJson>
  /** The matching records in (timestamp, node, id) order, in chunks of about `chunkSize`: bounded memory. */
  export(filter: RecordFilter, chunkSize?: number): AsyncIterable<UsageRecord[]>
  close(): Promise<void>
}

export const DEFAULT_EXPORT_CHUNK = 2000

/** A Reader over a store: the query plans run against its `aggregate`, exports page through `iterate`. */
export class StoreReader implements Reader {
  constructor(
    readonly kind: SourceKind,
    readonly location: string,
    private readonly store: UsageStore,
    private readonly clock: Clock,
    private readonly schedules?: ResetSchedules,
  ) {}

  summary(query: SummaryQuery): Promise<UsageSummaryResult> {
    return runPlan(summaryPlan({ schedules: this.schedules, ...query }, this.clock()), this.store)
  }

  trends(query: TrendsQuery): Promise<TrendData> {
    return runPlan(trendsPlan(query, this.clock()), this.store)
  }

  allTrends(query: AllTrendsQuery): Promise<TrendData[]> {
    return runPlan(allTrendsPlan(query, this.clock()), this.store)
  }

  report(query: ReportQuery): Promise<ReportResult> {
    return runPlan(reportPlan(query), this.store)
  }

  sessions(query: SessionsQuery): Promise<SessionsJson> {
    return storeSessions(this.store, query)
  }

  export(filter: RecordFilter, chunkSize = DEFAULT_EXPORT_CHUNK): AsyncIterable<UsageRecord[]> {
    return this.store.iterate(filter, chunkSize)
  }

  close(): Promise<void> {
    return this.store.close()
  }
}
