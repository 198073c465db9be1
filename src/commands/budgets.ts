import type { BudgetsAnswer } from "../lib/budgets/budget-types.js"
import { UsageCommand } from "../lib/cli/base-command.js"
import { compactFlag, configFlag, tzFlag } from "../lib/cli/flags.js"
import { Flags } from "../lib/cli/oclif.js"
import { runBudgets } from "../lib/cli/run-budgets.js"
import { tableStyle } from "../lib/cli/table-style.js"

export default class Budgets extends UsageCommand {
  static override summary = "Show each budget's spend in its current period: share, projection, status."
  static override description =
    "Budgets are set in the service's config file (service.budgets, docs/budgets.md). With --endpoint (or USAGE_ENDPOINT, or the config's http endpoint) the central service answers for the whole cluster (GET /api/usage/budgets); with --db (or USAGE_DB, or the default store) they are evaluated here from that store's rollups, with the budgets of --config. Status: ok, warning (from the lowest warnAt threshold), exceeded (from 100%). --json prints the API's answer."
  static override examples = [
    {
      description: "From the central service",
      command: "<%= config.bin %> <%= command.id %> --endpoint http://master-node:3001",
    },
    {
      description: "From a store, with the service's config file",
      command:
        "<%= config.bin %> <%= command.id %> --db /var/lib/usage-hub/usage.db --config /etc/usage-hub/config.json",
    },
    { description: "As JSON", command: "<%= config.bin %> <%= command.id %> --json" },
  ]
  static override enableJsonFlag = true
  static override flags = {
    endpoint: Flags.string({
      description: "Read from the central service at this URL (env USAGE_ENDPOINT).",
      exclusive: ["db"],
      helpGroup: "SOURCE",
    }),
    db: Flags.string({
      description: "Evaluate from this store (SQLite path or postgres://…; env USAGE_DB) with the budgets of --config.",
      exclusive: ["endpoint"],
      helpGroup: "SOURCE",
    }),
    token: Flags.string({ description: "Read token of the service (env USAGE_READ_TOKEN).", helpGroup: "SOURCE" }),
    config: configFlag,
    tz: tzFlag,
    compact: compactFlag,
  }

  async run(): Promise<BudgetsAnswer> {
    const { flags } = await this.parse(Budgets)
    const budgets = await runBudgets(flags)
    if (!this.jsonEnabled()) {
      const { renderBudgets } = await import("../lib/cli/budgets-view.js")
      this.log(renderBudgets(budgets, tableStyle(flags.compact).colour))
    }
    return { budgets }
  }
}
