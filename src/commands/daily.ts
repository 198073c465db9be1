import { UsageCommand } from "../lib/cli/base-command.js"
import { reportCommand, reportFlags } from "../lib/cli/run-report.js"
import type { ReportJson } from "../lib/query/report.js"

export default class Daily extends UsageCommand {
  static override summary =
    "Show usage per day of every provider: cost, calls, tokens and models, one row per calendar day."
  static override description =
    "Periods are in --tz (default the local zone); only periods with usage are rows, oldest first (--order desc " +
    "reverses), then a Total row. All data unless --since/--until/--last; --by adds a breakdown under each row. " +
    "Reads the same sources as `usage summary`; --json prints the API's report (GET /api/usage/report?period=day)."
  static override examples = [
    { description: "Every day, all providers", command: "<%= config.bin %> <%= command.id %>" },
    {
      description: "Per model, newest first, from the central service",
      command: "<%= config.bin %> <%= command.id %> --by model --order desc --endpoint http://master-node:3001",
    },
    { description: "As JSON, from a store", command: "<%= config.bin %> <%= command.id %> --db ./usage.db --json" },
  ]
  static override enableJsonFlag = true
  static override flags = {
    ...reportFlags,
  }

  async run(): Promise<ReportJson> {
    const { flags } = await this.parse(Daily)
    return reportCommand("day", flags, { json: this.jsonEnabled(), log: (text) => this.log(text) })
  }
}
