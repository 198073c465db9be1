/**
 * `usage daily|weekly|monthly`: the period report of the chosen source (src/lib/query/report.ts), every
 * provider together unless filtered, over all data or the --since/--until/--last range.
 */

import { type ReportJson, type ReportPeriod, type ReportResult, reportJson } from "../query/report.js"
import type { DimensionFilter } from "../store/store.js"
import { GROUP_BY_VALUES, type GroupBy } from "../summary-types.js"
import { compactFlag, filterFlags, sourceFlags } from "./flags.js"
import { Flags } from "./oclif.js"
import { type ReadFlags, withReadSource } from "./read-source.js"
import { tableStyle } from "./table-style.js"

export interface ReportFlags extends ReadFlags, DimensionFilter {
  by?: GroupBy
  order?: "asc" | "desc"
  /** Weekly only: first day of a week, 0 (Sunday) to 6 (default 1, Monday). */
  startOfWeek?: number
}

export function runReport(period: ReportPeriod, flags: ReportFlags): Promise<ReportResult> {
  const { provider, node, model, agent, project, by, order, startOfWeek } = flags
  return withReadSource(flags, ({ reader, tz, since, until }) =>
    reader.report({ period, provider, node, model, agent, project, by, order, startOfWeek, tz, since, until }),
  )
}

const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]

/** The flags of the three report commands (weekly adds --start-of-week). */
export const reportFlags = {
  ...sourceFlags,
  ...filterFlags,
  by: Flags.string({ description: "Add a breakdown under each row by this dimension.", options: [...GROUP_BY_VALUES] }),
  order: Flags.string({
    description: "Rows oldest first (asc, default) or newest first (desc).",
    options: ["asc", "desc"],
  }),
  compact: compactFlag,
}

export const startOfWeekFlag = Flags.string({
  description: "First day of a week (default monday, as ISO weeks).",
  options: WEEKDAYS,
})

/** Runs a report command: the table (or one line when there is no usage), or the API's JSON with --json. */
export async function reportCommand(
  period: ReportPeriod,
  flags: Omit<ReportFlags, "by" | "order" | "startOfWeek"> & {
    by?: string
    order?: string
    compact?: boolean
    "start-of-week"?: string
  },
  output: { json: boolean; log: (text: string) => void },
): Promise<ReportJson> {
  const view = output.json ? undefined : import("./report-view.js")
  view?.catch(() => {})
  const startOfWeek = flags["start-of-week"] === undefined ? undefined : WEEKDAYS.indexOf(flags["start-of-week"])
  const result = await runReport(period, {
    ...flags,
    by: flags.by as GroupBy | undefined,
    order: flags.order as "asc" | "desc" | undefined,
    startOfWeek,
  })
  if (view) output.log((await view).renderReport(result, tableStyle(flags.compact)))
  return reportJson(result)
}
