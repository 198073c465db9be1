/**
 * The query string of `GET /api/usage/trends` (every provider's trend in one answer: src/lib/query/all-trends.ts).
 */
import { UsageHubError } from "../errors.js"
import type { AllTrendsQuery } from "../query/all-trends.js"
import { parseTrendsQuery } from "./query-params.js"

/** The query string of `GET /api/usage/trends`: the trends parameters (range or days, node, tz) and `provider`. */
export function parseAllTrendsQuery(query: unknown, defaults: { tz: string }): AllTrendsQuery {
  const provider = (query as Record<string, unknown> | undefined)?.provider
  if (provider !== undefined && typeof provider !== "string")
    throw new UsageHubError("INVALID_QUERY", "provider must be given once")
  // The one-provider parser checks the rest, and the provider's length when one is given.
  const parsed = parseTrendsQuery(provider ?? "*", query, defaults)
  return { ...parsed, provider }
}
