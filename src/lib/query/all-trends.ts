/**
 * Every provider's daily trend in one query plan, for `GET /api/usage/trends` (the dashboard's chart) and `usage trends` without a provider: one
 * aggregate per day grouped by provider, whatever the number of providers, instead of one trend request per
 * provider. Each provider's TrendData is then built by the one-provider plan (query/trends.ts) fed with that
 * provider's rows, so both endpoints agree to the digit on days, totals and averages.
 */
import type { AggregateRow, RecordFilter } from "../store/store.js"
import type { TrendData } from "../summary-types.js"
import type { QueryPlan } from "./plan.js"
import { type TrendsQuery, trendsPlan } from "./trends.js"

export interface AllTrendsQuery extends Omit<TrendsQuery, "provider"> {
  /** Only this provider (the answer then holds it alone, or nothing when it has no usage in the range). */
  provider?: string
}

/** The trends of every provider with usage in the range, the costliest first (then by name). */
export function* allTrendsPlan(query: AllTrendsQuery, now: Date): QueryPlan<TrendData[]> {
  // The one-provider plan's day windows (its first step), asked once for all providers.
  const windows = trendsPlan({ ...query, provider: "" }, now).next().value as { filter: RecordFilter }[]
  const answers = yield windows.map(({ filter }) => {
    const { provider: _ignored, ...rest } = filter
    return { filter: query.provider === undefined ? rest : { ...rest, provider: query.provider }, groupBy: "provider" }
  })
  const byProvider = new Map<string, AggregateRow[][]>()
  answers.forEach((rows, day) => {
    for (const row of rows) {
      let days = byProvider.get(row.key)
      if (!days) {
        days = windows.map(() => [])
        byProvider.set(row.key, days)
      }
      days[day] = [row]
    }
  })
  const trends: TrendData[] = []
  for (const [provider, days] of byProvider) {
    const plan = trendsPlan({ ...query, provider }, now)
    plan.next()
    const step = plan.next(days)
    if (!step.done) throw new Error("the trends plan asked more than one step")
    trends.push(step.value)
  }
  return trends.sort((a, b) => b.totalCost - a.totalCost || (a.provider < b.provider ? -1 : 1))
}
