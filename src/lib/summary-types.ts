/**
 * The shapes of query answers shared by the library, the stores, the service and the CLI:
 * per-provider summaries, breakdowns, trends. Dates are Date objects in memory, ISO strings on the wire.
 */
import type { ResetType } from "./periods.js"

export const GROUP_BY_VALUES = ["provider", "model", "node", "taskType", "agent", "project"] as const
/** A dimension answers can be grouped by. Records without an agent or project group under "" (none). */
export type GroupBy = (typeof GROUP_BY_VALUES)[number]

/** The fields of a summary that the legacy tracker wrote and returned (in its order); the others were added. */
export const LEGACY_SUMMARY_KEYS = [
  "provider",
  "periodStart",
  "nextReset",
  "resetType",
  "totalCost",
  "totalInputTokens",
  "totalOutputTokens",
  "callCount",
] as const

export interface ProviderUsageSummary {
  provider: string
  periodStart: Date
  nextReset: Date
  resetType: ResetType
  totalCost: number
  totalInputTokens: number
  totalOutputTokens: number
  callCount: number
  /** How many nodes reported (cluster views). */
  nodes?: number
  /** Calls costed with the fallback estimate. */
  unpricedCalls?: number
  totalCacheReadTokens?: number
  totalCacheWriteTokens?: number
  totalReasoningTokens?: number
  /** Share of the answer's total cost, 0..100 (summaries of several providers). */
  share?: number
}

export interface BreakdownEntry {
  key: string
  totalCost: number
  callCount: number
  totalInputTokens: number
  totalOutputTokens: number
  totalCacheReadTokens: number
  totalCacheWriteTokens: number
  totalReasoningTokens: number
  unpricedCalls: number
  nodes: number
  /** Share of the total cost, 0..100. */
  share: number
}

/** The cost and calls of the providers of each period kind (weekly, monthly) of a summary. */
export type ResetTypeTotals = Partial<Record<ResetType, { totalCost: number; callCount: number }>>

export interface UsageSummaryResult {
  summaries: Record<string, ProviderUsageSummary>
  totalCost: number
  /**
   * `totalCost` split by the providers' period kind: the total adds periods of different lengths (a week of
   * one provider to a month of another) when the answer is for each provider's current period.
   */
  totalsByResetType?: ResetTypeTotals
  nodes: string[]
  generatedAt: Date
  /** Present when the answer is for an explicit range rather than each provider's current period. */
  since?: Date
  until?: Date
  tz: string
  breakdown?: { by: GroupBy; groups: BreakdownEntry[] }
  /** Present when the provider filter matched no record: the providers that have records (any time). */
  knownProviders?: string[]
}

export interface TrendDataPoint {
  date: string
  cost: number
  calls: number
  inputTokens: number
  outputTokens: number
}

export interface TrendData {
  provider: string
  rangeDays: number
  dataPoints: TrendDataPoint[]
  totalCost: number
  avgDailyCost: number
}
