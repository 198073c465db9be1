import { ReportCommand, reportHelp } from "../lib/cli/report-command.js"
import { reportFlags, startOfWeekFlag } from "../lib/cli/run-report.js"

const help = reportHelp("week", "week", "week (Monday first unless --start-of-week)")

export default class Weekly extends ReportCommand {
  static override summary = help.summary
  static override description = help.description
  static override examples = help.examples
  static override flags = { ...reportFlags, "start-of-week": startOfWeekFlag }
  protected readonly period = "week"
}
