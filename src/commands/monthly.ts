import { ReportCommand, reportHelp } from "../lib/cli/report-command.js"

const help = reportHelp("month", "month", "calendar month")

export default class Monthly extends ReportCommand {
  static override summary = help.summary
  static override description = help.description
  static override examples = help.examples
  protected readonly period = "month"
}
