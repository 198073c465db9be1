/**
 * UsageTracker: the legacy tracker's public surface, kept whole, on top of a StorageAdapter. It keeps its local
 * view in memory (synchronous queries, as before) and hands each record to its adapter: a FileAdapter on the
 * legacy file when none is given (nothing changes for users who configure nothing), or any other adapter
 * such as the HttpIngestAdapter. Deliberate fixes: trends include today, and key days in the tracker's zone
 * (the legacy tracker keyed them in UTC). `storage` answers the legacy private field's shape, built on read.
 */
import { FileAdapter } from "./adapters/file-adapter.js"
import type { StorageAdapter } from "./adapters/storage-adapter.js"
import { type Clock, systemClock } from "./clock.js"
import { CURRENT_VERSION, legacySummaries, type UsageStorage } from "./legacy-storage.js"
import { fromNanos, toNanos } from "./money.js"
import { billingPeriod, type ResetSchedules } from "./periods.js"
import { costOf, lookupPricing, type ModelPricing } from "./pricing/pricing.js"
import { runPlanSync } from "./query/plan.js"
import { summaryPlan } from "./query/summary.js"
import { trendsPlan } from "./query/trends.js"
import { newRecordId, type RecordUsageInput, type UsageRecord } from "./record.js"
import { MemoryStore } from "./store/memory/store.js"
import type { ProviderUsageSummary, TrendData } from "./summary-types.js"

export interface UsageTrackerConfig {
  enabled: boolean
  persist: boolean
  storagePath?: string
}

export interface UsageTrackerOptions extends Partial<UsageTrackerConfig> {
  /** Where records go; default a FileAdapter on `storagePath` (the legacy file). */
  adapter?: StorageAdapter
  clock?: Clock
  /** Zone of period and day boundaries (default: local zone). */
  tz?: string
  schedules?: ResetSchedules
}

export interface PeriodTotals {
  totalCost: number
  totalCalls: number
  totalInputTokens: number
  totalOutputTokens: number
}

export interface PeriodComparison {
  current: PeriodTotals
  previous: PeriodTotals
  change: { costPercent: number; callsPercent: number }
  avgDailySpend: number
}

export interface CategoryUsage {
  cost: number
  calls: number
  percentage: number
}

export interface ModelEfficiency {
  model: string
  avgCostPer1kTokens: number
  tokensPer$1: number
  totalCalls: number
}

export interface TierEfficiency {
  tier: string
  avgCostPer1kTokens: number
  tokensPer$1: number
}

export interface SessionStats {
  totalSessions: number
  avgSessionCost: number
  /** Minutes between a session's first and last call, averaged. */
  avgSessionDuration: number
  costDistribution: { range: string; count: number; percentage: number }[]
}

const DAY_MS = 24 * 60 * 60 * 1000

/** Model-name fragments and their tier, first match wins (the legacy heuristic). */
const TIERS: Array<[string, string]> = [
  ["opus", "premium"],
  ["sonnet", "standard"],
  ["haiku", "budget"],
  ["gpt-5.2", "premium"],
  ["gpt-5-nano", "budget"],
  ["gemini-3-flash", "budget"],
  ["gemini-3-pro", "standard"],
  ["kimi-k2-thinking", "premium"],
  ["big-pickle", "budget"],
]

const COST_RANGES: Array<{ min: number; max: number; label: string }> = [
  { min: 0, max: 0.01, label: "$0-$0.01" },
  { min: 0.01, max: 0.1, label: "$0.01-$0.10" },
  { min: 0.1, max: 0.5, label: "$0.10-$0.50" },
  { min: 0.5, max: 1, label: "$0.50-$1.00" },
  { min: 1, max: 5, label: "$1.00-$5.00" },
  { min: 5, max: Number.POSITIVE_INFINITY, label: "$5.00+" },
]

function totals(records: readonly UsageRecord[]): PeriodTotals {
  let nanos = 0
  let input = 0
  let output = 0
  for (const r of records) {
    nanos += toNanos(r.estimatedCost)
    input += r.inputTokens
    output += r.outputTokens
  }
  return { totalCost: fromNanos(nanos), totalCalls: records.length, totalInputTokens: input, totalOutputTokens: output }
}

function percentChange(current: number, previous: number): number {
  return previous > 0 ? ((current - previous) / previous) * 100 : 0
}

export class UsageTracker {
  private readonly config: UsageTrackerConfig
  private readonly options: UsageTrackerOptions
  private readonly clock: Clock
  private readonly storageAdapter: StorageAdapter | undefined
  private view: MemoryStore
  /** Counts changes to the view (records, clears): `storage` is rebuilt only when it moved. */
  private changes = 0
  private lastChange: Date
  private storageCache: { changes: number; storage: UsageStorage } | undefined

  constructor(options: UsageTrackerOptions = {}) {
    this.options = options
    this.config = {
      enabled: options.enabled ?? true,
      persist: options.persist ?? true,
      storagePath: options.storagePath,
    }
    this.clock = options.clock ?? systemClock
    const active = this.config.enabled && this.config.persist
    this.storageAdapter = active
      ? (options.adapter ??
        new FileAdapter({
          storagePath: this.config.storagePath,
          clock: this.clock,
          tz: options.tz,
          schedules: options.schedules,
        }))
      : undefined
    this.view = new MemoryStore(this.storageAdapter instanceof FileAdapter ? this.storageAdapter.records() : [])
    this.lastChange = this.now()
  }

  /**
   * The legacy tracker's `storage` field, read-only, for code (the plugin's tests) that read it: `version`,
   * `lastUpdated` (the last change seen here), `records` (this view's, in recording order) and `summaries`
   * (the legacy fields). Built when read and kept until the next change, so recording stays cheap; frozen.
   */
  get storage(): UsageStorage {
    if (this.storageCache?.changes !== this.changes) {
      const storage: UsageStorage = {
        version: CURRENT_VERSION,
        lastUpdated: new Date(this.lastChange.getTime()),
        records: Object.freeze([...this.view.all()]) as UsageRecord[],
        summaries: Object.freeze(legacySummaries(this.getAllSummaries())),
      }
      this.storageCache = { changes: this.changes, storage: Object.freeze(storage) }
    }
    return this.storageCache.storage
  }

  /** The adapter records are handed to (undefined when disabled or `persist: false`). */
  get adapter(): StorageAdapter | undefined {
    return this.storageAdapter
  }

  private now(): Date {
    return this.clock()
  }

  /** Records one model call; synchronous, never waits on disk or network. */
  recordUsage(input: RecordUsageInput): UsageRecord {
    const record = this.createRecord(input)
    if (!this.config.enabled) return record
    if (this.view.add(record)) this.changed(record.timestamp)
    this.storageAdapter?.saveRecord(record).catch((error: unknown) => {
      console.warn(`[usage-hub] could not save usage record ${record.id}: ${(error as Error).message}`)
    })
    return record
  }

  private createRecord(input: RecordUsageInput): UsageRecord {
    const { pricing, source } = lookupPricing(input.model, input.provider)
    const record: UsageRecord = {
      id: newRecordId(),
      timestamp: this.now(),
      provider: input.provider,
      model: input.model,
      inputTokens: input.inputTokens,
      outputTokens: input.outputTokens,
      estimatedCost: costOf(pricing, input.inputTokens, input.outputTokens),
      taskType: input.taskType,
      sessionID: input.sessionID,
    }
    if (input.cacheReadTokens !== undefined) record.cacheReadTokens = input.cacheReadTokens
    if (input.cacheWriteTokens !== undefined) record.cacheWriteTokens = input.cacheWriteTokens
    if (input.reasoningTokens !== undefined) record.reasoningTokens = input.reasoningTokens
    if (source === "fallback") record.unpriced = true
    return record
  }

  private zeroSummary(provider: string, now: Date): ProviderUsageSummary {
    const period = billingPeriod(provider, now, { tz: this.options.tz, schedules: this.options.schedules })
    return {
      provider,
      periodStart: period.start,
      nextReset: period.end,
      resetType: period.resetType,
      totalCost: 0,
      totalInputTokens: 0,
      totalOutputTokens: 0,
      callCount: 0,
      nodes: 0,
      unpricedCalls: 0,
    }
  }

  getProviderSummary(provider: string): ProviderUsageSummary {
    const now = this.now()
    const result = runPlanSync(
      summaryPlan({ provider, tz: this.options.tz, schedules: this.options.schedules }, now),
      this.view,
    )
    return result.summaries[provider] ?? this.zeroSummary(provider, now)
  }

  getAllSummaries(): Record<string, ProviderUsageSummary> {
    return runPlanSync(summaryPlan({ tz: this.options.tz, schedules: this.options.schedules }, this.now()), this.view)
      .summaries
  }

  getTotalCost(): number {
    return fromNanos(Object.values(this.getAllSummaries()).reduce((sum, s) => sum + toNanos(s.totalCost), 0))
  }

  /** The provider's records from the start of its current period until now. */
  getRecordsForCurrentPeriod(provider: string): UsageRecord[] {
    const now = this.now()
    const { start } = billingPeriod(provider, now, { tz: this.options.tz, schedules: this.options.schedules })
    return this.view
      .all()
      .filter((r) => r.provider === provider && r.timestamp >= start && r.timestamp.getTime() <= now.getTime())
  }

  private between(from: Date, to: Date, toInclusive: boolean): UsageRecord[] {
    const a = from.getTime()
    const b = to.getTime()
    return this.view.all().filter((r) => {
      const t = r.timestamp.getTime()
      return t >= a && (toInclusive ? t <= b : t < b)
    })
  }

  private compare(currentStart: Date, previousStart: Date, days: number): PeriodComparison {
    const now = this.now()
    const current = totals(this.between(currentStart, now, true))
    const previous = totals(this.between(previousStart, currentStart, false))
    return {
      current,
      previous,
      change: {
        costPercent: percentChange(current.totalCost, previous.totalCost),
        callsPercent: percentChange(current.totalCalls, previous.totalCalls),
      },
      avgDailySpend: current.totalCost / days,
    }
  }

  /** The last 7 days against the 7 before. */
  getWeeklySummary(): PeriodComparison {
    const now = this.now().getTime()
    return this.compare(new Date(now - 7 * DAY_MS), new Date(now - 14 * DAY_MS), 7)
  }

  /** The last month against the month before. */
  getMonthlySummary(): PeriodComparison {
    const now = this.now()
    const oneMonthAgo = new Date(now)
    oneMonthAgo.setMonth(oneMonthAgo.getMonth() - 1)
    const twoMonthsAgo = new Date(now)
    twoMonthsAgo.setMonth(twoMonthsAgo.getMonth() - 2)
    const days = Math.ceil((now.getTime() - oneMonthAgo.getTime()) / DAY_MS)
    return this.compare(oneMonthAgo, twoMonthsAgo, days)
  }

  private lastWeek(): UsageRecord[] {
    const now = this.now().getTime()
    const from = now - 7 * DAY_MS
    return this.view.all().filter((r) => r.timestamp.getTime() >= from)
  }

  /** Cost per task type over the last 7 days. */
  getByCategory(): Record<string, CategoryUsage> {
    const groups = new Map<string, { nanos: number; calls: number }>()
    let totalNanos = 0
    for (const r of this.lastWeek()) {
      const key = r.taskType || "unspecified"
      const g = groups.get(key) ?? { nanos: 0, calls: 0 }
      const nanos = toNanos(r.estimatedCost)
      g.nanos += nanos
      g.calls += 1
      totalNanos += nanos
      groups.set(key, g)
    }
    const result: Record<string, CategoryUsage> = {}
    for (const [key, g] of groups) {
      result[key] = {
        cost: fromNanos(g.nanos),
        calls: g.calls,
        percentage: totalNanos > 0 ? (g.nanos / totalNanos) * 100 : 0,
      }
    }
    return result
  }

  /** Cost per 1k tokens and tokens per $1, per model and per tier, over the last 7 days. */
  getEfficiency(): { byModel: Record<string, ModelEfficiency>; byTier: Record<string, TierEfficiency> } {
    const models = new Map<string, { nanos: number; tokens: number; calls: number }>()
    const tiers = new Map<string, { nanos: number; tokens: number }>(
      ["premium", "standard", "budget", "economy"].map((t) => [t, { nanos: 0, tokens: 0 }]),
    )
    for (const r of this.lastWeek()) {
      const tokens = r.inputTokens + r.outputTokens
      const nanos = toNanos(r.estimatedCost)
      const m = models.get(r.model) ?? { nanos: 0, tokens: 0, calls: 0 }
      m.nanos += nanos
      m.tokens += tokens
      m.calls += 1
      models.set(r.model, m)
      const tier = TIERS.find(([fragment]) => r.model.includes(fragment))?.[1] ?? "standard"
      const t = tiers.get(tier)!
      t.nanos += nanos
      t.tokens += tokens
    }
    const rate = (nanos: number, tokens: number) => ({
      avgCostPer1kTokens: tokens > 0 ? (fromNanos(nanos) / tokens) * 1000 : 0,
      tokensPer$1: nanos > 0 ? tokens / fromNanos(nanos) : 0,
    })
    const byModel: Record<string, ModelEfficiency> = {}
    for (const [model, m] of models) byModel[model] = { model, ...rate(m.nanos, m.tokens), totalCalls: m.calls }
    const byTier: Record<string, TierEfficiency> = {}
    for (const [tier, t] of tiers) if (t.tokens > 0) byTier[tier] = { tier, ...rate(t.nanos, t.tokens) }
    return { byModel, byTier }
  }

  /** Daily cost and calls of a provider: `rangeDays` days ending today, today included. */
  getProviderTrends(provider: string, rangeDays = 7): TrendData {
    return runPlanSync(trendsPlan({ provider, rangeDays, tz: this.options.tz }, this.now()), this.view)
  }

  /** Sessions of the last 7 days: count, average cost and duration, cost distribution. */
  getSessionStats(): SessionStats {
    const sessions = new Map<string, { nanos: number; first: number; last: number }>()
    for (const r of this.lastWeek()) {
      const key = r.sessionID || "default"
      const t = r.timestamp.getTime()
      const s = sessions.get(key) ?? { nanos: 0, first: t, last: t }
      s.nanos += toNanos(r.estimatedCost)
      s.first = Math.min(s.first, t)
      s.last = Math.max(s.last, t)
      sessions.set(key, s)
    }
    const list = [...sessions.values()]
    const n = list.length
    const costs = list.map((s) => fromNanos(s.nanos))
    return {
      totalSessions: n,
      avgSessionCost: n > 0 ? fromNanos(list.reduce((sum, s) => sum + s.nanos, 0)) / n : 0,
      avgSessionDuration: n > 0 ? list.reduce((sum, s) => sum + (s.last - s.first) / 60_000, 0) / n : 0,
      costDistribution: COST_RANGES.map((range) => {
        const count = costs.filter((c) => c >= range.min && c < range.max).length
        return { range: range.label, count, percentage: n > 0 ? (count / n) * 100 : 0 }
      }),
    }
  }

  getAllRecords(): UsageRecord[] {
    return [...this.view.all()]
  }

  estimateCost(provider: string, model: string, inputTokens: number, outputTokens: number): number {
    return costOf(lookupPricing(model, provider).pricing, inputTokens, outputTokens)
  }

  getModelPricing(model: string): ModelPricing {
    return lookupPricing(model).pricing
  }

  clearAll(): void {
    this.clearWhere(() => true)
  }

  clearProvider(provider: string): void {
    this.clearWhere((r) => r.provider === provider)
  }

  private changed(at: Date): void {
    this.changes += 1
    this.lastChange = at
  }

  private clearWhere(predicate: (r: UsageRecord) => boolean): void {
    this.view = new MemoryStore(this.view.all().filter((r) => !predicate(r)))
    this.changed(this.now())
    if (this.storageAdapter instanceof FileAdapter) this.storageAdapter.removeWhere(predicate)
  }

  /**
   * Writes the legacy file now (synchronously, before returning, as before). The returned promise settles when
   * the adapter has also delivered what it still holds (never rejects; failures are logged).
   */
  flush(): Promise<void> {
    const adapter = this.storageAdapter
    if (!adapter) return Promise.resolve()
    if (adapter instanceof FileAdapter) {
      try {
        adapter.writeSync()
      } catch (error) {
        console.error("[usage-tracker] Failed to save usage data:", error)
      }
      return Promise.resolve()
    }
    return (adapter.flush?.() ?? Promise.resolve()).catch((error: unknown) => {
      console.warn(`[usage-hub] flush incomplete: ${(error as Error).message}`)
    })
  }

  /** Saves pending data and releases the adapter. */
  shutdown(): Promise<void> {
    const flushed = this.flush()
    const adapter = this.storageAdapter
    return flushed
      .then(() => adapter?.close?.())
      .catch((error: unknown) => {
        console.warn(`[usage-hub] shutdown incomplete: ${(error as Error).message}`)
      })
  }
}
