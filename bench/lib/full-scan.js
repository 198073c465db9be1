/**
 * Reference (3), what an aggregate costs without rollups: a GROUP BY over every record of the store
 * (provider x node sums, what the summary needs), and the 30-day per-day GROUP BY of one provider that a
 * trend would need. The same SQL text serves SQLite (better-sqlite3) and PostgreSQL (pg).
 */

const SUMS = `COUNT(*) AS calls, SUM(cost_nanos) AS cost_nanos, SUM(input_tokens) AS input_tokens,
  SUM(output_tokens) AS output_tokens, SUM(COALESCE(cache_read_tokens, 0)) AS cache_read_tokens,
  SUM(COALESCE(cache_write_tokens, 0)) AS cache_write_tokens, SUM(COALESCE(reasoning_tokens, 0)) AS reasoning_tokens,
  SUM(COALESCE(unpriced, 0)) AS unpriced_calls`

export const FULL_SCAN_SQL = `SELECT provider, node, ${SUMS} FROM usage_records GROUP BY provider, node`

/** Per-day sums of one provider since a day start; `postgres` picks $n placeholders over ?. */
export function trendScan(provider, sinceMs, postgres = false) {
  const [a, b, c] = postgres ? ["$1", "$2", "$1"] : ["?", "?", "?"]
  return {
    text: `SELECT (ts - ${a}) / 86400000 AS day, ${SUMS} FROM usage_records WHERE provider = ${b} AND ts >= ${c} GROUP BY 1`,
    values: postgres ? [sinceMs, provider] : [sinceMs, provider, sinceMs],
  }
}
