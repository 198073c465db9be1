/**
 * `createUsageClient(config.usage)`: the queries a WebUI needs (summaries, trends, records), each answer
 * wrapped as `{data, source}`. With `backend: "http"` they go to the central service (read token: `readToken`,
 * else `token`) and, when it is unreachable, are answered from local data marked `source: "local"` (the given
 * HttpIngestAdapter's own records, else the undelivered records in the spool directory). Otherwise they are
 * answered locally from the legacy file (the plugin's FileAdapter when given, else the file read afresh for
 * each query), with the same query plans. Plugin-safe: global fetch, no store driver.
 */
import { defaultSpoolDir, HttpIngestAdapter, type Sourced, shouldFallBack } from "../adapters/http-ingest-adapter.js"
import { readSpoolDirLines } from "../adapters/spool.js"
import type { StorageAdapter } from "../adapters/storage-adapter.js"
import { type Clock, systemClock } from "../clock.js"
import { parseUsageConfig, type UsageConfig, type UsageConfigInput } from "../config.js"
import { UsageHubError } from "../errors.js"
import { getDefaultStoragePath, readLegacyFile } from "../legacy-storage.js"
import { expandHome } from "../paths.js"
import type { ResetSchedules } from "../periods.js"
import { runPlan } from "../query/plan.js"
import { summaryPlan } from "../query/summary.js"
import { trendsPlan } from "../query/trends.js"
import { parseRecord, type UsageRecord } from "../record.js"
import { MemoryStore } from "../store/memory/store.js"
import type { ProviderUsageSummary, TrendData, UsageSummaryResult } from "../summary-types.js"
import { type FetchLike, type SummaryParams, UsageApiClient } from "./api-client.js"

export type { QuerySource, Sourced } from "../adapters/http-ingest-adapter.js"

export interface UsageClient {
  /** Where answers come from by configuration: "central" (backend http) or "local" (the legacy file). */
  readonly mode: "central" | "local"
  /** Per-provider summaries of the current billing period (the legacy `getAllSummaries` shape). */
  getAllSummaries(): Promise<Sourced<Record<string, ProviderUsageSummary>>>
  /** The whole summary answer (totals, nodes, breakdown) with filters. */
  getSummary(params?: SummaryParams): Promise<Sourced<UsageSummaryResult>>
  getProviderTrends(provider: string, rangeDays?: number): Promise<Sourced<TrendData>>
  getAllRecords(): Promise<Sourced<UsageRecord[]>>
  close(): Promise<void>
}

export interface UsageClientOptions {
  /** The adapter the plugin already has: its local data answers when the service is unreachable. */
  adapter?: StorageAdapter
  clock?: Clock
  /** Zone of periods and days (default: local zone), also sent to the service. */
  tz?: string
  fetch?: FetchLike
}

/** Local answers over any adapter's records, with the query plans (same code as every other backend). */
class LocalQueries {
  constructor(
    private readonly records: () => Promise<UsageRecord[]>,
    private readonly clock: Clock,
    private readonly tz: string | undefined,
    private readonly schedules: ResetSchedules,
  ) {}

  async summary(params: SummaryParams = {}): Promise<UsageSummaryResult> {
    const store = new MemoryStore(await this.records())
    const since = params.since === undefined ? undefined : new Date(params.since)
    const until = params.until === undefined ? undefined : new Date(params.until)
    return runPlan(
      summaryPlan({ ...params, since, until, tz: params.tz ?? this.tz, schedules: this.schedules }, this.clock()),
      store,
    )
  }

  async trends(provider: string, rangeDays: number): Promise<TrendData> {
    return runPlan(
      trendsPlan({ provider, rangeDays, tz: this.tz }, this.clock()),
      new MemoryStore(await this.records()),
    )
  }
}

/** The undelivered records in a spool directory (what this machine has not handed to the service yet). */
async function spoolRecords(dir: string): Promise<UsageRecord[]> {
  const out: UsageRecord[] = []
  for (const line of await readSpoolDirLines(dir)) {
    try {
      const parsed = parseRecord(JSON.parse(line))
      if (parsed.ok) out.push(parsed.record)
    } catch {
      // A corrupt line: not data.
    }
  }
  return out
}

export function createUsageClient(
  config: UsageConfig | UsageConfigInput | undefined,
  options: UsageClientOptions = {},
): UsageClient {
  const usage = parseUsageConfig(config ?? {}, "usage config")
  const clock = options.clock ?? systemClock
  const schedules = usage.resetSchedules
  const tz = options.tz

  if (usage.backend === "http") {
    const http = usage.http!
    const api = new UsageApiClient({
      endpoint: http.endpoint!,
      token: http.readToken ?? http.token,
      timeoutMs: http.timeoutMs,
      fetch: options.fetch,
    })
    const adapter = options.adapter
    const spoolDir = expandHome(http.spoolDir ?? defaultSpoolDir())
    const localRecords =
      adapter instanceof HttpIngestAdapter
        ? () => adapter.localRecords()
        : adapter
          ? () => adapter.getAllRecords()
          : () => spoolRecords(spoolDir)
    const local = new LocalQueries(localRecords, clock, tz, schedules)
    const query = async <T>(central: () => Promise<T>, fallback: () => Promise<T>): Promise<Sourced<T>> => {
      try {
        return { data: await central(), source: "central" }
      } catch (error) {
        if (!shouldFallBack(error)) throw error
        return { data: await fallback(), source: "local" }
      }
    }
    const summary = (params: SummaryParams = {}) =>
      query(
        () => api.summary({ tz, ...params }),
        () => local.summary(params),
      )
    return {
      mode: "central",
      getSummary: summary,
      getAllSummaries: async () => {
        const answer = await summary()
        return { data: answer.data.summaries, source: answer.source }
      },
      getProviderTrends: (provider, rangeDays = 7) =>
        query(
          () => api.trends(provider, { rangeDays, tz }),
          () => local.trends(provider, rangeDays),
        ),
      getAllRecords: () =>
        query(
          () => api.allRecords(),
          () => localRecords(),
        ),
      close: async () => {},
    }
  }

  // backend "file": the plugin's own adapter when given (its live view), else the legacy file read afresh for
  // each query (a reader never writes the file and never serves a stale copy).
  const path = expandHome(usage.file.path ?? getDefaultStoragePath())
  const records = options.adapter ? () => options.adapter!.getAllRecords() : async () => legacyFileRecords(path)
  const local = new LocalQueries(records, clock, tz, schedules)
  const wrap = async <T>(data: Promise<T>): Promise<Sourced<T>> => ({ data: await data, source: "local" })
  return {
    mode: "local",
    getSummary: (params = {}) => wrap(local.summary(params)),
    getAllSummaries: async () => {
      const answer = await wrap(local.summary())
      return { data: answer.data.summaries, source: answer.source }
    },
    getProviderTrends: (provider, rangeDays = 7) => wrap(local.trends(provider, rangeDays)),
    getAllRecords: () => wrap(records()),
    close: async () => {},
  }
}

/** The records of a legacy file (none when it does not exist yet). */
function legacyFileRecords(path: string): UsageRecord[] {
  const read = readLegacyFile(path)
  if (read.status === "missing") return []
  if (read.status !== "ok") throw new UsageHubError("FILE_ERROR", `cannot read ${path}: ${read.error}`)
  return read.storage.records
}
