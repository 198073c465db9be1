/**
 * usage-hub's package root: what the agent plugin imports (it runs under Bun). Types, config, the tracker,
 * the adapters and the query client. Never loads a native addon or a store driver: stores live behind
 * `usage-hub/store`, the service behind `usage-hub/server`. Exports by name (no `export *`), so what the root
 * offers is listed here and a helper nothing uses shows as dead. README "In the plugin" says what the plugin
 * relies on; test/package-root.test.ts holds that list.
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
export { type ApiClientOptions, UsageApiClient } from "./client/api-client.js"
export {
  createUsageClient,
  type QuerySource,
  type Sourced,
  type UsageClient,
  type UsageClientOptions,
} from "./client/usage-client.js"
export { type Clock, fixedClock, systemClock } from "./clock.js"
export {
  type HttpConfig,
  parseUsageConfig,
  type UsageConfig,
  type UsageConfigInput,
  usageConfigSchema,
} from "./config.js"
export { ERROR_TABLE, type ErrorCode, isUsageHubError, UsageHubError } from "./errors.js"
export {
  CURRENT_VERSION,
  createEmptyStorage,
  getDefaultStoragePath,
  loadUsageStorage,
  STORAGE_FILENAME,
  saveUsageStorage,
  type UsageStorage,
} from "./legacy-storage.js"
export {
  calculateNextReset,
  calculatePeriodStart,
  DEFAULT_RESET_SCHEDULES,
  getDaysElapsed,
  getDaysInPeriod,
  getDaysRemaining,
  getResetSchedule,
  type PeriodOptions,
  type ResetSchedule,
  type ResetSchedules,
  type ResetType,
} from "./periods.js"
export {
  costOf,
  estimateCost,
  FALLBACK_PRICING,
  getModelPricing,
  LEGACY_MODEL_PRICING,
  lookupPricing,
  type ModelPricing,
  type PriceLookup,
  type PriceSource,
} from "./pricing/pricing.js"
export { type QueryPlan, runPlan, runPlanSync } from "./query/plan.js"
export { type SummaryQuery, summaryPlan } from "./query/summary.js"
export { type TrendsQuery, trendsPlan } from "./query/trends.js"
export {
  newRecordId,
  type ParsedRecord,
  parseRecord,
  type RecordUsageInput,
  type StoredRecord,
  type TaskType,
  toRecordJson,
  type UsageRecord,
  type UsageRecordJson,
  usageRecordSchema,
} from "./record.js"
export { MemoryStore } from "./store/memory/store.js"
export type { AggregateRow, InsertResult, RecordFilter, StoreStats, UsageStore } from "./store/store.js"
export type {
  BreakdownEntry,
  GroupBy,
  ProviderUsageSummary,
  TrendData,
  TrendDataPoint,
  UsageSummaryResult,
} from "./summary-types.js"
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
