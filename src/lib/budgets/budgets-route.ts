/**
 * `GET /api/usage/budgets` (read token): every budget in its current period, read from the rollups.
 */
import type { FastifyInstance } from "fastify"
import type { BudgetService } from "./budget-service.js"
import type { BudgetsAnswer } from "./budget-types.js"

export function registerBudgetsRoute(app: FastifyInstance, budgets: BudgetService): void {
  app.get(
    "/api/usage/budgets",
    { config: { auth: "read" } },
    async (): Promise<BudgetsAnswer> => ({
      budgets: await budgets.list(),
    }),
  )
}
