/**
 * The period of a budget holding an instant: `billing` follows the provider's reset schedule (periods.ts),
 * `day`, `week` (from Monday) and `month` are calendar periods; every boundary is a midnight in the service's
 * time zone.
 */
import type { BudgetConfig } from "../config.js"
import { billingPeriod, type ResetSchedules } from "../periods.js"
import { zonedDate } from "../zoned-date.js"

export interface Period {
  /** Inclusive, epoch ms. */
  start: number
  /** Exclusive, epoch ms. */
  end: number
}

export interface PeriodContext {
  tz: string
  schedules?: ResetSchedules
}

/** The period of `budget` that holds the instant `at` (epoch ms). */
export function budgetPeriod(
  budget: Pick<BudgetConfig, "period" | "provider">,
  at: number,
  ctx: PeriodContext,
): Period {
  if (budget.period === "billing") {
    const { start, end } = billingPeriod(budget.provider!, new Date(at), { tz: ctx.tz, schedules: ctx.schedules })
    return { start: start.getTime(), end: end.getTime() }
  }
  const start = zonedDate(at, ctx.tz)
  start.setHours(0, 0, 0, 0)
  if (budget.period === "week") start.setDate(start.getDate() - ((start.getDay() + 6) % 7))
  if (budget.period === "month") start.setDate(1)
  const end = zonedDate(start.getTime(), ctx.tz)
  if (budget.period === "month") end.setFullYear(end.getFullYear(), end.getMonth() + 1, 1)
  else end.setDate(end.getDate() + (budget.period === "week" ? 7 : 1))
  end.setHours(0, 0, 0, 0)
  return { start: start.getTime(), end: end.getTime() }
}
