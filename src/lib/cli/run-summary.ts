/** `usage summary`: the summary of the chosen source for each provider's current period, or a range. */
import type { GroupBy, UsageSummaryResult } from "../summary-types.js"
import { type ReadFlags, withReadSource } from "./read-source.js"

export interface SummaryFlags extends ReadFlags {
  provider?: string
  node?: string
  by?: GroupBy
}

export function runSummary(flags: SummaryFlags): Promise<UsageSummaryResult> {
  return withReadSource(flags, ({ reader, tz, since, until }) =>
    reader.summary({ provider: flags.provider, node: flags.node, by: flags.by, tz, since, until }),
  )
}
