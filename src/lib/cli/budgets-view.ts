/**
 * `usage budgets` for people: one row per budget (spent, amount, share, projected spend at the period's end,
 * status, period), or a line saying there are none and where they are configured.
 */
import type { BudgetState } from "../budgets/budget-types.js"
import { formatShare, formatUsd, renderTable } from "./format.js"

export function renderBudgets(budgets: readonly BudgetState[], colour = false): string {
  if (budgets.length === 0)
    return "No budgets (they are set in the service's config file: service.budgets, see docs/budgets.md)."
  const head = ["Budget", "Spent", "Amount", "Share", "Projected", "Status", "Period"]
  const rows = budgets.map((b) => [
    b.name,
    formatUsd(b.spent),
    formatUsd(b.amount),
    formatShare(b.share * 100),
    formatUsd(b.projected),
    b.status,
    `${b.periodStart.slice(0, 16).replace("T", " ")} to ${b.periodEnd.slice(0, 16).replace("T", " ")} UTC`,
  ])
  return renderTable(head, rows, {
    align: ["left", "right", "right", "right", "right", "left", "left"],
    colour,
    costColumns: [1],
  })
}
