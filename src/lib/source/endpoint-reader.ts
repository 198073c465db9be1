/**
 * The `--endpoint` source: a Reader over the central service's read API (src/lib/client/api-client.ts). The
 * service runs the same query plans, so its answers have the shapes the store readers produce.
 */
import { UsageApiClient } from "../client/api-client.js"
import type { AllTrendsQuery } from "../query/all-trends.js"
import type { ReportQuery, ReportResult } from "../query/report.js"
import type { SessionsJson, SessionsQuery } from "../query/sessions.js"
import type { SummaryQuery } from "../query/summary.js"
import type { TrendsQuery } from "../query/trends.js"
import type { UsageRecord } from "../record.js"
import type { RecordFilter } from "../store/store.js"
import type { TrendData, UsageSummaryResult } from "../summary-types.js"
import { DEFAULT_EXPORT_CHUNK, type Reader } from "./reader.js"

export class EndpointReader implements Reader {
  readonly kind = "endpoint" as const
  private readonly client: UsageApiClient

  constructor(
    readonly location: string,
    options: { token?: string; timeoutMs?: number } = {},
  ) {
    this.client = new UsageApiClient({ endpoint: location, token: options.token, timeoutMs: options.timeoutMs })
  }

  summary(query: SummaryQuery): Promise<UsageSummaryResult> {
    const { provider, node, model, agent, project, since, until, tz, by } = query
    return this.client.summary({ provider, node, model, agent, project, since, until, tz, by })
  }

  trends(query: TrendsQuery): Promise<TrendData> {
    return this.client.trends(query.provider, { rangeDays: query.rangeDays, node: query.node, tz: query.tz })
  }

  allTrends(query: AllTrendsQuery): Promise<TrendData[]> {
    const { provider, rangeDays, node, tz } = query
    return this.client.allTrends({ provider, rangeDays, node, tz })
  }

  report(query: ReportQuery): Promise<ReportResult> {
    return this.client.report(query)
  }

  sessions(query: SessionsQuery): Promise<SessionsJson> {
    return this.client.sessions(query)
  }

  export(filter: RecordFilter, chunkSize = DEFAULT_EXPORT_CHUNK): AsyncIterable<UsageRecord[]> {
    return this.client.exportRecords(filter, chunkSize)
  }

  async close(): Promise<void> {}
}
