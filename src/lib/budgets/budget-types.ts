/**
 * The shapes of budgets as the API and the client give them (`GET /api/usage/budgets`, `usage budgets`,
 * `createUsageClient(...).getBudgets()`) and of an alert (the webhook body and the SSE `budget` event).
 * Types only: plugin-safe.
 */

export type BudgetStatus = "ok" | "warning" | "exceeded"

export type BudgetEvent = "budget.warning" | "budget.exceeded"

/** One budget in its current period. Instants are ISO 8601 (UTC); money in USD. */
export interface BudgetState {
  name: string
  amount: number
  spent: number
  /** spent / amount. */
  share: number
  periodStart: string
  periodEnd: string
  /** Spend at the period's end at the pace so far: spent / elapsed share of the period. */
  projected: number
  status: BudgetStatus
}

export interface BudgetsAnswer {
  budgets: BudgetState[]
}

/** One crossing of a threshold: the webhook's JSON body and the SSE event's data. */
export interface BudgetAlert {
  event: BudgetEvent
  budget: string
  threshold: number
  amount: number
  spent: number
  share: number
  periodStart: string
  periodEnd: string
  projected: number
  idempotencyKey: string
  /** One line for people (Slack incoming webhooks show it as is). */
  text: string
}
