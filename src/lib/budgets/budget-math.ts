/**
 * The arithmetic of a budget in a period, pure: its share, projected spend at the period's end (spent over the
 * elapsed share of the period), status, and the alert of a threshold crossing with its idempotency key (one
 * per budget name, period start and threshold, so replicas and restarts agree on it).
 */
import { createHash } from "node:crypto"
import { fromNanos } from "../money.js"
import type { Period } from "./budget-period.js"
import type { BudgetAlert, BudgetEvent, BudgetState, BudgetStatus } from "./budget-types.js"

export interface BudgetFigures {
  name: string
  amount: number
  warnAt: readonly number[]
}

/** Spent / amount. */
export function shareOf(spentNanos: bigint, amount: number): number {
  return fromNanos(spentNanos) / amount
}

/** Spend at the end of `period` at the pace so far (spent itself once the period is over). */
export function projectedSpend(spent: number, period: Period, now: number): number {
  const elapsed = Math.min(1, Math.max(0, (now - period.start) / (period.end - period.start)))
  return elapsed <= 0 ? spent : spent / elapsed
}

/** exceeded from a share of 1, warning from the lowest threshold, else ok. */
export function statusOf(share: number, warnAt: readonly number[]): BudgetStatus {
  if (share >= 1) return "exceeded"
  return share >= Math.min(...warnAt) ? "warning" : "ok"
}

export function eventOf(threshold: number): BudgetEvent {
  return threshold >= 1 ? "budget.exceeded" : "budget.warning"
}

/** The thresholds `share` has reached. */
export function reachedThresholds(share: number, warnAt: readonly number[]): number[] {
  return warnAt.filter((t) => share >= t)
}

/** The idempotency key of one crossing: the same on every replica and after a restart. */
export function alertKey(name: string, periodStart: number, threshold: number): string {
  const digest = createHash("sha256").update(`${name}\n${new Date(periodStart).toISOString()}\n${threshold}`)
  return `budget-${digest.digest("hex").slice(0, 32)}`
}

const usd = (n: number) => `$${n.toFixed(2)}`

export function budgetState(budget: BudgetFigures, period: Period, spentNanos: bigint, now: number): BudgetState {
  const spent = fromNanos(spentNanos)
  const share = spent / budget.amount
  return {
    name: budget.name,
    amount: budget.amount,
    spent,
    share,
    periodStart: new Date(period.start).toISOString(),
    periodEnd: new Date(period.end).toISOString(),
    projected: projectedSpend(spent, period, now),
    status: statusOf(share, budget.warnAt),
  }
}

export function budgetAlert(state: BudgetState, threshold: number, periodStart: number): BudgetAlert {
  const event = eventOf(threshold)
  const percent = Math.round(state.share * 100)
  const what = event === "budget.exceeded" ? "exceeded" : `reached ${Math.round(threshold * 100)}%`
  return {
    event,
    budget: state.name,
    threshold,
    amount: state.amount,
    spent: state.spent,
    share: state.share,
    periodStart: state.periodStart,
    periodEnd: state.periodEnd,
    projected: state.projected,
    idempotencyKey: alertKey(state.name, periodStart, threshold),
    text: `Budget "${state.name}" ${what}: ${usd(state.spent)} of ${usd(state.amount)} (${percent}%) for ${state.periodStart.slice(0, 10)} to ${state.periodEnd.slice(0, 10)}; projected ${usd(state.projected)}`,
  }
}
