/**
 * StoreAdapter: a StorageAdapter over any UsageStore (memory, SQLite, PostgreSQL) given as an instance, so the
 * package root stays free of drivers. Records without a node get the adapter's node id.
 */
import { hostname } from "node:os"
import { type Clock, systemClock } from "../clock.js"
import type { ResetSchedules } from "../periods.js"
import { runPlan } from "../query/plan.js"
import { summaryPlan } from "../query/summary.js"
import { trendsPlan } from "../query/trends.js"
import type { UsageRecord } from "../record.js"
import type { UsageStore } from "../store/store.js"
import type { ProviderUsageSummary, TrendData } from "../summary-types.js"
import type { StorageAdapter } from "./storage-adapter.js"

export interface StoreAdapterOptions {
  store: UsageStore
  nodeId?: string
  clock?: Clock
  tz?: string
  schedules?: ResetSchedules
}

export class StoreAdapter implements StorageAdapter {
  readonly store: UsageStore
  private readonly nodeId: string
  private readonly clock: Clock
  private readonly options: StoreAdapterOptions

  constructor(options: StoreAdapterOptions) {
    this.options = options
    this.store = options.store
    this.nodeId = options.nodeId ?? hostname()
    this.clock = options.clock ?? systemClock
  }

  async saveRecord(record: UsageRecord): Promise<void> {
    await this.store.insert([{ ...record, node: record.node ?? this.nodeId }])
  }

  async getAllSummaries(): Promise<Record<string, ProviderUsageSummary>> {
    const plan = summaryPlan({ tz: this.options.tz, schedules: this.options.schedules }, this.clock())
    return (await runPlan(plan, this.store)).summaries
  }

  async getProviderTrends(provider: string, rangeDays: number): Promise<TrendData> {
    return runPlan(trendsPlan({ provider, rangeDays, tz: this.options.tz }, this.clock()), this.store)
  }

  async getAllRecords(): Promise<UsageRecord[]> {
    const out: UsageRecord[] = []
    for await (const chunk of this.store.iterate({})) out.push(...chunk)
    return out
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    await this.store.close()
  }
}
