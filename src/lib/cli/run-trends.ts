/**
 * `usage trends`: one provider's daily cost, calls and tokens over the last N days (today included), or, with
 * no provider, every provider's (the answer of `GET /api/usage/trends`, costliest first).
 */
import { UsageHubError } from "../errors.js"
import { MAX_TREND_DAYS } from "../query/trends.js"
import type { TrendData } from "../summary-types.js"
import { type ReadFlags, withReadSource } from "./read-source.js"

export interface TrendsFlags extends Omit<ReadFlags, "since" | "until"> {
  /** The provider given as the argument, or as --provider: one of them, or both the same. */
  argument?: string
  provider?: string
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

/** The provider of `usage trends PROVIDER` / `--provider PROVIDER` (undefined: all); bad usage when two differ. */
export function trendsProvider(argument: string | undefined, flag: string | undefined): string | undefined {
  if (argument && flag && argument !== flag)
    throw new UsageHubError("BAD_USAGE", `two providers given (${argument} and --provider ${flag}); give one`)
  return argument || flag || undefined
}

export function runTrends(flags: TrendsFlags): Promise<TrendData | TrendData[]> {
  const provider = trendsProvider(flags.argument, flags.provider)
  const rangeDays = parseDays(flags.days)
  return withReadSource<TrendData | TrendData[]>(flags, ({ reader, tz }) =>
    provider === undefined
      ? reader.allTrends({ node: flags.node, rangeDays, tz })
      : reader.trends({ provider, node: flags.node, rangeDays, tz }),
  )
}
