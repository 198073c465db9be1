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

/**
 * What an adapter answers queries with when the central service cannot (the HttpIngestAdapter's): the query
 * client asks the service first and falls back to these (src/lib/query/fallback.ts).
 */
export interface QueryFallback {
  /** The records known here: those not delivered yet (and, with `keepLocalRecords`, every record saved). */
  localRecords(): Promise<UsageRecord[]>
  /** When a delivery to the service last failed (epoch ms; 0: not since the last success). */
  lastCentralFailure(): number
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
  /** An adapter that sends records to the service: its local data for queries the service cannot answer. */
  queryFallback?(): QueryFallback
}
