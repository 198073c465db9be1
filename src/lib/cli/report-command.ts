/**
 * The one class behind `usage daily`, `usage weekly` and `usage monthly`: their flags, help and `run()`, which
 * differ only in the period (src/commands/<name>.ts name it and, for weekly, add --start-of-week).
 */

import type { ReportJson, ReportPeriod } from "../query/report.js"
import { UsageCommand } from "./base-command.js"
import { ux } from "./oclif.js"
import { reportCommand, reportFlags } from "./run-report.js"

/** The help a report command shows: `unit` is the period as a word (day, week, month). */
export function reportHelp(period: ReportPeriod, unit: string, rows: string) {
  return {
    summary: `Show usage per ${unit} of every provider: cost, calls, tokens and models, one row per ${rows}.`,
    description:
      "Periods are in --tz (default the local zone); only periods with usage are rows, oldest first (--order desc " +
      "reverses), then a Total row. All data unless --since/--until/--last; --by adds a breakdown under each row. " +
      `Reads the same sources as \`usage summary\`; --json prints the API's report (GET /api/usage/report?period=${period}).`,
    examples: [
      { description: `Every ${unit}, all providers`, command: "<%= config.bin %> <%= command.id %>" },
      {
        description: "Per model, newest first, from the central service",
        command: "<%= config.bin %> <%= command.id %> --by model --order desc --endpoint http://master-node:3001",
      },
      { description: "As JSON, from a store", command: "<%= config.bin %> <%= command.id %> --db ./usage.db --json" },
    ],
  }
}

export abstract class ReportCommand extends UsageCommand {
  static override enableJsonFlag = true
  static override flags = reportFlags

  /** The period this command reports by. */
  protected abstract readonly period: ReportPeriod

  /**
   * The JSON as oclif prints it without a theme (JSON.stringify's, indented by 2), without oclif's colouring
   * pass, which tokenizes the text with a regular expression per token even when it has no colours to add
   * (~6 ms for the 61 days of a daily report, ~45 ms with --by model). A theme's colours still go through it.
   */
  protected override logJson(json: unknown): void {
    if (this.config.theme?.json) super.logJson(json)
    else ux.stdout(JSON.stringify(json, null, 2))
  }

  async run(): Promise<ReportJson> {
    const { flags } = await this.parse(this.ctor as typeof ReportCommand)
    return reportCommand(this.period, flags, { json: this.jsonEnabled(), log: (text) => this.log(text) })
  }
}
