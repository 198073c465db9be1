/**
 * Daily trends of one provider: `rangeDays` calendar days (in the query's time zone) ending today, today
 * included, days without usage present with zeros. One aggregate per day, answered by any store.
 */
import { fromNanos } from "../money.js"
import { addDays, dayKey, resolveTimeZone, startOfDay } from "../periods.js"
import type { TrendData } from "../summary-types.js"
import type { QueryPlan } from "./plan.js"

export interface TrendsQuery {
  provider: string
  rangeDays?: number
  node?: string
  tz?: string
}

export const MAX_TREND_DAYS = 366

export function* trendsPlan(query: TrendsQuery, now: Date): QueryPlan<TrendData> {
  const tz = resolveTimeZone(query.tz)
  const rangeDays = query.rangeDays ?? 7
  const today = startOfDay(now, tz)
  // rangeDays + 1 midnights: day i runs from bounds[i] to bounds[i + 1] (23 or 25 hours across DST).
  const bounds = Array.from({ length: rangeDays + 1 }, (_, i) => addDays(today, i - rangeDays + 1, tz))
  const starts = bounds.slice(0, rangeDays)
  const answers = yield starts.map((start, i) => ({
    filter: { provider: query.provider, node: query.node, since: start, until: bounds[i + 1] },
    groupBy: "provider" as const,
  }))
  let totalNanos = 0n
  const dataPoints = starts.map((start, i) => {
    const row = answers[i][0]
    totalNanos += row?.costNanos ?? 0n
    return {
      date: dayKey(start, tz),
      cost: fromNanos(row?.costNanos ?? 0n),
      calls: row?.calls ?? 0,
      inputTokens: row?.inputTokens ?? 0,
      outputTokens: row?.outputTokens ?? 0,
    }
  })
  const totalCost = fromNanos(totalNanos)
  return {
    provider: query.provider,
    rangeDays,
    dataPoints,
    totalCost,
    avgDailyCost: rangeDays > 0 ? totalCost / rangeDays : 0,
  }
}
