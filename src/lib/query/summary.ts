/**
 * The usage summary: per provider over its current billing period (or over an explicit since/until range),
 * with cluster fields (nodes, unpriced calls) and an optional breakdown by provider, model, node, task type,
 * agent or project; filters by provider, node, model, agent and project.
 * The same plan answers `GET /api/usage/summary`, `usage summary` and the adapters' `getAllSummaries`.
 */
import { fromNanos, sharePercent } from "../money.js"
import { billingPeriod, type ResetSchedules, resolveTimeZone } from "../periods.js"
import { type AggregateRow, type DimensionFilter, emptyAggregate, type RecordFilter } from "../store/store.js"
import type {
  BreakdownEntry,
  GroupBy,
  ProviderUsageSummary,
  ResetTypeTotals,
  UsageSummaryResult,
} from "../summary-types.js"
import type { QueryPlan } from "./plan.js"

export interface SummaryQuery extends DimensionFilter {
  since?: Date
  until?: Date
  tz?: string
  by?: GroupBy
  schedules?: ResetSchedules
}

function toSummary(
  provider: string,
  row: AggregateRow,
  period: { start: Date; end: Date; resetType: ProviderUsageSummary["resetType"] },
): ProviderUsageSummary {
  return {
    provider,
    periodStart: period.start,
    nextReset: period.end,
    resetType: period.resetType,
    totalCost: fromNanos(row.costNanos),
    totalInputTokens: row.inputTokens,
    totalOutputTokens: row.outputTokens,
    callCount: row.calls,
    nodes: row.nodes.length,
    unpricedCalls: row.unpricedCalls,
    totalCacheReadTokens: row.cacheReadTokens,
    totalCacheWriteTokens: row.cacheWriteTokens,
    totalReasoningTokens: row.reasoningTokens,
  }
}

function mergeRows(into: Map<string, AggregateRow>, rows: AggregateRow[]): void {
  for (const row of rows) {
    const prev = into.get(row.key)
    if (!prev) {
      into.set(row.key, { ...row, nodes: [...row.nodes] })
      continue
    }
    prev.calls += row.calls
    prev.costNanos += row.costNanos
    prev.inputTokens += row.inputTokens
    prev.outputTokens += row.outputTokens
    prev.cacheReadTokens += row.cacheReadTokens
    prev.cacheWriteTokens += row.cacheWriteTokens
    prev.reasoningTokens += row.reasoningTokens
    prev.unpricedCalls += row.unpricedCalls
    prev.nodes = [...new Set([...prev.nodes, ...row.nodes])].sort()
  }
}

export function* summaryPlan(query: SummaryQuery, now: Date): QueryPlan<UsageSummaryResult> {
  const tz = resolveTimeZone(query.tz)
  const base: RecordFilter = {
    provider: query.provider,
    node: query.node,
    model: query.model,
    agent: query.agent,
    project: query.project,
  }
  const ranged = query.since !== undefined || query.until !== undefined

  // Which providers have records at all (or in the range); each then answers for its own period.
  const [providerRows] = yield [
    { filter: ranged ? { ...base, since: query.since, until: query.until } : base, groupBy: "provider" },
  ]
  const providers = providerRows.map((r) => r.key).sort()
  // A provider filter that matched nothing: which providers have records at all (names match exactly).
  const knownProviders =
    query.provider !== undefined && providers.length === 0
      ? (yield [{ filter: {}, groupBy: "provider" }])[0].map((r) => r.key).sort()
      : undefined
  const periods = new Map(providers.map((p) => [p, billingPeriod(p, now, { tz, schedules: query.schedules })]))
  const filterFor = (p: string): RecordFilter =>
    ranged
      ? { ...base, provider: p, since: query.since, until: query.until }
      : { ...base, provider: p, since: periods.get(p)!.start, until: periods.get(p)!.end }

  const requests = providers.map((p) => ({ filter: filterFor(p), groupBy: "provider" as GroupBy }))
  if (query.by) for (const p of providers) requests.push({ filter: filterFor(p), groupBy: query.by })
  const answers = yield requests

  const summaries: Record<string, ProviderUsageSummary> = {}
  const all = new Map<string, AggregateRow>()
  providers.forEach((p, i) => {
    // A provider with records outside its current period still gets a (zero) summary, as in the legacy tracker.
    const row = answers[i][0] ?? emptyAggregate(p)
    const period = periods.get(p)!
    summaries[p] = toSummary(p, row, ranged ? { ...period, start: query.since ?? period.start } : period)
    mergeRows(all, [{ ...row, key: "*" }])
  })
  const total = all.get("*")
  const totalNanos = total?.costNanos ?? 0n
  providers.forEach((p, i) => {
    // Share of the answer's total cost, 0..100 (the CLI's "Share" column; exact: from nano-dollars).
    if (summaries[p]) summaries[p].share = sharePercent(answers[i][0]?.costNanos ?? 0n, totalNanos)
  })

  // The total adds each provider's own period (a week to a month): these say what it is made of.
  const byReset = new Map<ProviderUsageSummary["resetType"], { costNanos: bigint; calls: number }>()
  providers.forEach((p, i) => {
    const kind = byReset.get(summaries[p].resetType) ?? { costNanos: 0n, calls: 0 }
    kind.costNanos += answers[i][0]?.costNanos ?? 0n
    kind.calls += answers[i][0]?.calls ?? 0
    byReset.set(summaries[p].resetType, kind)
  })
  const totalsByResetType: ResetTypeTotals = {}
  for (const [kind, { costNanos, calls }] of [...byReset].sort(([a], [b]) => (a < b ? 1 : -1))) {
    totalsByResetType[kind] = { totalCost: fromNanos(costNanos), callCount: calls }
  }

  const result: UsageSummaryResult = {
    summaries,
    totalCost: fromNanos(totalNanos),
    totalsByResetType,
    nodes: total?.nodes ?? [],
    generatedAt: now,
    tz,
  }
  if (knownProviders) result.knownProviders = knownProviders
  if (ranged) {
    if (query.since) result.since = query.since
    if (query.until) result.until = query.until
  }
  if (query.by) {
    const merged = new Map<string, AggregateRow>()
    for (let i = 0; i < providers.length; i++) mergeRows(merged, answers[providers.length + i])
    const groups: BreakdownEntry[] = [...merged.values()]
      .map((row) => ({
        key: row.key,
        totalCost: fromNanos(row.costNanos),
        callCount: row.calls,
        totalInputTokens: row.inputTokens,
        totalOutputTokens: row.outputTokens,
        totalCacheReadTokens: row.cacheReadTokens,
        totalCacheWriteTokens: row.cacheWriteTokens,
        totalReasoningTokens: row.reasoningTokens,
        unpricedCalls: row.unpricedCalls,
        nodes: row.nodes.length,
        share: sharePercent(row.costNanos, totalNanos),
      }))
      .sort((a, b) => b.totalCost - a.totalCost || (a.key < b.key ? -1 : 1))
    result.breakdown = { by: query.by, groups }
  }
  return result
}
