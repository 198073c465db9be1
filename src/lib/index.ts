/**
 * usage-hub's package root: what the agent plugin imports (it runs under Bun). Types, config, the tracker,
 * the adapters and the query client. Never loads a native addon or a store driver: stores live behind
 * `usage-hub/store`.
 */
export * from "./errors.js"
export * from "./clock.js"
export * from "./money.js"
export * from "./periods.js"
export * from "./record.js"
export * from "./summary-types.js"
export * from "./config.js"
export * from "./pricing/pricing.js"
export type { StorageAdapter, FlushOptions } from "./adapters/storage-adapter.js"
export type { UsageStore, RecordFilter, AggregateRow, InsertResult } from "./store/store.js"
export { MemoryStore } from "./store/memory/store.js"
export { summaryPlan, type SummaryQuery } from "./query/summary.js"
export { trendsPlan, type TrendsQuery } from "./query/trends.js"
export { runPlan, runPlanSync } from "./query/plan.js"
