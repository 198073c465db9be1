/**
 * `usage summary`: the summary of the chosen source for each provider's current period, or a range. When the
 * current periods are empty but there are records, the day of the last one (for the hint that suggests
 * `--since`), found from the rollups by a day report (query/report.ts).
 */
import type { DimensionFilter } from "../store/store.js"
import type { GroupBy, UsageSummaryResult } from "../summary-types.js"
import { type ReadFlags, withReadSource } from "./read-source.js"

export interface SummaryFlags extends ReadFlags, DimensionFilter {
  by?: GroupBy
}

export interface SummaryAnswer {
  result: UsageSummaryResult
  /** The day (YYYY-MM-DD in the zone) of the last matching record, when only past periods have any. */
  lastRecordDay?: string
}

export function runSummary(flags: SummaryFlags, options: { hints?: boolean } = {}): Promise<SummaryAnswer> {
  const { provider, node, model, agent, project, by } = flags
  return withReadSource(flags, async ({ reader, tz, since, until }) => {
    const result = await reader.summary({ provider, node, model, agent, project, by, tz, since, until })
    const ranged = since !== undefined || until !== undefined
    const pastOnly =
      !ranged &&
      Object.keys(result.summaries).length > 0 &&
      Object.values(result.summaries).every((s) => s.callCount === 0)
    if (!options.hints || !pastOnly) return { result }
    const days = await reader.report({ period: "day", provider, node, model, agent, project, tz })
    return { result, lastRecordDay: days.rows.at(-1)?.period }
  })
}
