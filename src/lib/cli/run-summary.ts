/** `usage summary`: the summary of the chosen source for each provider's current period, or a range. */
import type { GroupBy, UsageSummaryResult } from "../summary-types.js"
import { type ReadFlags, withReadSource } from "./read-source.js"

export interface SummaryFlags extends ReadFlags {
  provider?: string
  node?: string
  model?: string
  agent?: string
  project?: string
  by?: GroupBy
}

export function runSummary(flags: SummaryFlags): Promise<UsageSummaryResult> {
  const { provider, node, model, agent, project, by } = flags
  return withReadSource(flags, ({ reader, tz, since, until }) =>
    reader.summary({ provider, node, model, agent, project, by, tz, since, until }),
  )
}
