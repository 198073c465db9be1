/**
 * StoreAdapter: a StorageAdapter over any UsageStore (memory, SQLite, PostgreSQL) given as an instance, so the
 * package root stays free of drivers. Records without a node get the adapter's node id.
 */
import { hostname } from "node:os"
import { type Clock, systemClock } from "../clock.js"
import type { ResetSchedules } from "../periods.js"
import { type StoreReader, storeReader } from "../query/store-reader.js"
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
  private readonly reader: StoreReader

  constructor(options: StoreAdapterOptions) {
    this.store = options.store
    this.nodeId = options.nodeId ?? hostname()
    this.reader = storeReader({
      store: options.store,
      clock: options.clock ?? systemClock,
      tz: options.tz,
      schedules: options.schedules,
    })
  }

  async saveRecord(record: UsageRecord): Promise<void> {
    await this.store.insert([{ ...record, node: record.node ?? this.nodeId }])
  }

  async getAllSummaries(): Promise<Record<string, ProviderUsageSummary>> {
    return (await this.reader.summary()).summaries
  }

  async getProviderTrends(provider: string, rangeDays: number): Promise<TrendData> {
    return this.reader.trends({ provider, rangeDays })
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
