/**
 * `createUsageClient(config.usage)`: the queries a WebUI needs (summaries, trends, records, budgets), each answer
 * wrapped as `{data, source}`. With `backend: "http"` they go to the central service (read token: `readToken`,
 * else `token`) and, when it is unreachable, are answered from local data marked `source: "local"` (the given
 * HttpIngestAdapter's own records, else the undelivered records in the spool directory). Otherwise they are
 * answered locally from the legacy file (the plugin's FileAdapter when given, else the file read afresh for
 * each query), with the store reader of src/lib/query (one fallback rule: query/fallback.ts). Imports no
 * adapter (only the StorageAdapter type): an adapter that sends records offers its local data through
 * `queryFallback()`. Plugin-safe: global fetch, no store driver.
 */
import type { StorageAdapter } from "../adapters/storage-adapter.js"
import type { BudgetState } from "../budgets/budget-types.js"
import { type Clock, systemClock } from "../clock.js"
import { parseUsageConfig, type UsageConfig, type UsageConfigInput } from "../config.js"
import { defaultSpoolDir, readSpoolDirLines } from "../delivery/spool-dir.js"
import { UsageHubError } from "../errors.js"
import { getDefaultStoragePath, readLegacyFile } from "../legacy-storage.js"
import { expandHome } from "../paths.js"
import { centralElseLocal, type Sourced } from "../query/fallback.js"
import { storeReader, summaryQuery } from "../query/store-reader.js"
import { parseRecord, type UsageRecord } from "../record.js"
import { MemoryStore } from "../store/memory/store.js"
import type { ProviderUsageSummary, TrendData, UsageSummaryResult } from "../summary-types.js"
import { type FetchLike, type SummaryParams, UsageApiClient } from "./api-client.js"

export type { QuerySource, Sourced } from "../query/fallback.js"

export interface UsageClient {
  /** Where answers come from by configuration: "central" (backend http) or "local" (the legacy file). */
  readonly mode: "central" | "local"
  /** Per-provider summaries of the current billing period (the legacy `getAllSummaries` shape). */
  getAllSummaries(): Promise<Sourced<Record<string, ProviderUsageSummary>>>
  /** The whole summary answer (totals, nodes, breakdown) with filters. */
  getSummary(params?: SummaryParams): Promise<Sourced<UsageSummaryResult>>
  getProviderTrends(provider: string, rangeDays?: number): Promise<Sourced<TrendData>>
  getAllRecords(): Promise<Sourced<UsageRecord[]>>
  /**
   * The cluster's budgets in their current periods (`GET /api/usage/budgets`): spent, share, projection, status.
   * Budgets live in the service's config: with the service unreachable, or without one, an empty list, "local".
   */
  getBudgets(): Promise<Sourced<BudgetState[]>>
  close(): Promise<void>
}

export interface UsageClientOptions {
  /** The adapter the plugin already has: its local data answers when the service is unreachable. */
  adapter?: StorageAdapter
  clock?: Clock
  /** Zone of periods and days (default: local zone), also sent to the service. */
  tz?: string
  fetch?: FetchLike
  /** Where a refused read token is reported (default console.warn). */
  warn?: (message: string) => void
}

/** Local answers over records (the query plans over an in-memory store, as every other backend). */
function localReader(records: () => Promise<UsageRecord[]>, clock: Clock, tz: string | undefined, usage: UsageConfig) {
  return storeReader({
    store: async () => new MemoryStore(await records()),
    clock,
    tz,
    schedules: usage.resetSchedules,
  })
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
    // The adapter that sends records (HttpIngestAdapter) knows what it has not delivered, and when delivery last
    // failed; another adapter answers with its records; without one, the spool directory is read.
    const fallback = adapter?.queryFallback?.()
    const localRecords = fallback
      ? () => fallback.localRecords()
      : adapter
        ? () => adapter.getAllRecords()
        : () => spoolRecords(spoolDir)
    const local = localReader(localRecords, clock, tz, usage)
    const context = {
      endpoint: http.endpoint!,
      warn: options.warn ?? ((message: string) => console.warn(message)),
      lastCentralFailure: fallback && (() => fallback.lastCentralFailure()),
    }
    const query = <T>(central: () => Promise<T>, localAnswer: () => Promise<T>): Promise<Sourced<T>> =>
      centralElseLocal(context, central, localAnswer)
    const summary = (params: SummaryParams = {}) =>
      query(
        () => api.summary({ tz, ...params }),
        () => local.summary(summaryQuery(params)),
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
          () => local.trends({ provider, rangeDays }),
        ),
      getAllRecords: () =>
        query(
          () => api.allRecords(),
          () => localRecords(),
        ),
      getBudgets: () =>
        query(
          async () => (await api.budgets()).budgets,
          async () => [],
        ),
      close: async () => {},
    }
  }

  // backend "file": the plugin's own adapter when given (its live view), else the legacy file read afresh for
  // each query (a reader never writes the file and never serves a stale copy).
  const path = expandHome(usage.file.path ?? getDefaultStoragePath())
  const records = options.adapter ? () => options.adapter!.getAllRecords() : async () => legacyFileRecords(path)
  const local = localReader(records, clock, tz, usage)
  const wrap = async <T>(data: Promise<T>): Promise<Sourced<T>> => ({ data: await data, source: "local" })
  return {
    mode: "local",
    getSummary: (params = {}) => wrap(local.summary(summaryQuery(params))),
    getAllSummaries: async () => {
      const answer = await wrap(local.summary())
      return { data: answer.data.summaries, source: answer.source }
    },
    getProviderTrends: (provider, rangeDays = 7) => wrap(local.trends({ provider, rangeDays })),
    getAllRecords: () => wrap(records()),
    getBudgets: () => wrap(Promise.resolve([])),
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
