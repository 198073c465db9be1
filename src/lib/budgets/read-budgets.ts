/**
 * A budget's spend in a period, read from the store's rollups (`aggregate`, never a scan), and the states of a
 * list of budgets now: what the service's evaluator reads and what `usage budgets --db` prints.
 */
import type { BudgetConfig } from "../config.js"
import type { AggregateRow, RecordFilter, UsageStore } from "../store/store.js"
import { budgetState } from "./budget-math.js"
import { budgetPeriod, type Period, type PeriodContext } from "./budget-period.js"
import type { BudgetState } from "./budget-types.js"

export type SpendReader = Pick<UsageStore, "aggregate" | "aggregateMany">

function filterOf(budget: BudgetConfig, period: Period): RecordFilter {
  return {
    provider: budget.provider,
    model: budget.model,
    node: budget.node,
    agent: budget.agent,
    since: new Date(period.start),
    until: new Date(period.end),
  }
}

const total = (rows: AggregateRow[]) => rows.reduce((sum, row) => sum + row.costNanos, 0n)

/** The spend (nano-dollars) of each budget in its period, in one round of aggregates. */
export async function readSpend(
  store: SpendReader,
  reads: readonly { budget: BudgetConfig; period: Period }[],
): Promise<bigint[]> {
  const requests = reads.map(({ budget, period }) => ({
    filter: filterOf(budget, period),
    groupBy: "provider" as const,
  }))
  const answers = store.aggregateMany
    ? await store.aggregateMany(requests)
    : await Promise.all(requests.map((r) => store.aggregate(r.filter, r.groupBy)))
  return answers.map(total)
}

/** Each budget in the period holding `now`. */
export async function readBudgets(
  store: SpendReader,
  budgets: readonly BudgetConfig[],
  ctx: PeriodContext,
  now: number,
): Promise<BudgetState[]> {
  const reads = budgets.map((budget) => ({ budget, period: budgetPeriod(budget, now, ctx) }))
  const spent = await readSpend(store, reads)
  return reads.map(({ budget, period }, i) => budgetState(budget, period, spent[i], now))
}
