/**
 * The StorageAdapter interface: where a tracker's records go. The FileAdapter keeps the legacy JSON file;
 * the HttpIngestAdapter sends records to `usage serve`. Query methods keep the legacy tracker's shapes.
 */
import type { UsageRecord } from "../record.js"
import type { ProviderUsageSummary, TrendData } from "../summary-types.js"

export interface FlushOptions {
  /** Give up (resolving, with what is left still pending and durable) after this long. */
  timeoutMs?: number
}

export interface StorageAdapter {
  init?(config: unknown): Promise<void>
  /** Resolves once the record is durable locally (file written, or appended to the spool). */
  saveRecord(record: UsageRecord): Promise<void>
  getAllSummaries(): Promise<Record<string, ProviderUsageSummary>>
  getProviderTrends(provider: string, rangeDays: number): Promise<TrendData>
  getAllRecords(format?: string): Promise<UsageRecord[]>
  /** Delivers or writes everything pending, or gives up at the deadline. */
  flush?(opts?: FlushOptions): Promise<void>
  close?(): Promise<void>
}
