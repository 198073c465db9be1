import { ReportCommand, reportHelp } from "../lib/cli/report-command.js"

const help = reportHelp("day", "day", "calendar day")

export default class Daily extends ReportCommand {
  static override summary = help.summary
  static override description = help.description
  static override examples = help.examples
  protected readonly period = "day"
}
