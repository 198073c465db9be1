/** `usage trends`: one provider's daily cost, calls and tokens over the last N days (today included). */
import { UsageHubError } from "../errors.js"
import { MAX_TREND_DAYS } from "../query/trends.js"
import type { TrendData } from "../summary-types.js"
import { type ReadFlags, withReadSource } from "./read-source.js"

export interface TrendsFlags extends Omit<ReadFlags, "since" | "until"> {
  provider: string
  node?: string
  /** As typed: a whole number of days from 1 to 366 (`7d`, `30d` too, as the API's `range=`). */
  days?: string
}

export function parseDays(value: string | undefined, fallback = 7): number {
  if (value === undefined) return fallback
  const text = value.trim().replace(/d$/i, "")
  const days = /^\d{1,4}$/.test(text) ? Number(text) : Number.NaN
  if (!(days >= 1 && days <= MAX_TREND_DAYS)) {
    throw new UsageHubError(
      "BAD_USAGE",
      `invalid --days ${JSON.stringify(value)}: expected a whole number of days from 1 to ${MAX_TREND_DAYS}`,
    )
  }
  return days
}

export function runTrends(flags: TrendsFlags): Promise<TrendData> {
  const rangeDays = parseDays(flags.days)
  return withReadSource(flags, ({ reader, tz }) =>
    reader.trends({ provider: flags.provider, node: flags.node, rangeDays, tz }),
  )
}
