import { UsageCommand } from "../lib/cli/base-command.js"
import { reportCommand, reportFlags, startOfWeekFlag } from "../lib/cli/run-report.js"
import type { ReportJson } from "../lib/query/report.js"

export default class Weekly extends UsageCommand {
  static override summary =
    "Show usage per week of every provider: cost, calls, tokens and models, one row per week (Monday first unless --start-of-week)."
  static override description =
    "Periods are in --tz (default the local zone); only periods with usage are rows, oldest first (--order desc " +
    "reverses), then a Total row. All data unless --since/--until/--last; --by adds a breakdown under each row. " +
    "Reads the same sources as `usage summary`; --json prints the API's report (GET /api/usage/report?period=week)."
  static override examples = [
    { description: "Every week, all providers", command: "<%= config.bin %> <%= command.id %>" },
    {
      description: "Per model, newest first, from the central service",
      command: "<%= config.bin %> <%= command.id %> --by model --order desc --endpoint http://master-node:3001",
    },
    { description: "As JSON, from a store", command: "<%= config.bin %> <%= command.id %> --db ./usage.db --json" },
  ]
  static override enableJsonFlag = true
  static override flags = {
    ...reportFlags,
    "start-of-week": startOfWeekFlag,
  }

  async run(): Promise<ReportJson> {
    const { flags } = await this.parse(Weekly)
    return reportCommand("week", flags, { json: this.jsonEnabled(), log: (text) => this.log(text) })
  }
}
