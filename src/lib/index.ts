/**
 * usage-hub's package root: what the agent plugin imports (it runs under Bun). Types, config, the tracker,
 * the adapters and the query client. Never loads a native addon or a store driver: stores live behind
 * `usage-hub/store`, the service behind `usage-hub/server`.
 */

export { type CreateStorageAdapterOptions, createStorageAdapter } from "./adapters/create-storage-adapter.js"
export { FileAdapter, type FileAdapterOptions } from "./adapters/file-adapter.js"
export {
  type AdapterLogger,
  defaultSpoolDir,
  HttpIngestAdapter,
  type HttpIngestAdapterOptions,
  type HttpIngestStats,
} from "./adapters/http-ingest-adapter.js"
export type { FlushOptions, StorageAdapter } from "./adapters/storage-adapter.js"
export { StoreAdapter, type StoreAdapterOptions } from "./adapters/store-adapter.js"
export { UsageApiClient } from "./client/api-client.js"
export {
  createUsageClient,
  type QuerySource,
  type Sourced,
  type UsageClient,
  type UsageClientOptions,
} from "./client/usage-client.js"
export * from "./clock.js"
export * from "./config.js"
export * from "./errors.js"
export {
  CURRENT_VERSION,
  createEmptyStorage,
  getDefaultStoragePath,
  loadUsageStorage,
  STORAGE_FILENAME,
  saveUsageStorage,
  type UsageStorage,
} from "./legacy-storage.js"
export * from "./money.js"
export * from "./periods.js"
export * from "./pricing/pricing.js"
export { type QueryPlan, runPlan, runPlanSync } from "./query/plan.js"
export { type SummaryQuery, summaryPlan } from "./query/summary.js"
export { type TrendsQuery, trendsPlan } from "./query/trends.js"
export * from "./record.js"
export { MemoryStore } from "./store/memory/store.js"
export type { AggregateRow, InsertResult, RecordFilter, StoreStats, UsageStore } from "./store/store.js"
export * from "./summary-types.js"
export {
  type CategoryUsage,
  type ModelEfficiency,
  type PeriodComparison,
  type PeriodTotals,
  type SessionStats,
  type TierEfficiency,
  UsageTracker,
  type UsageTrackerConfig,
  type UsageTrackerOptions,
} from "./tracker.js"
