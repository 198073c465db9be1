/**
 * Reference (3), what an aggregate costs without rollups: a GROUP BY over every record of the store
 * (provider x node sums, what the summary needs), the 30-day per-day GROUP BY of one provider that a
 * trend would need, and the per-day GROUP BY over all records that a daily report would need. The same SQL
 * text serves SQLite (better-sqlite3) and PostgreSQL (pg). `timeSql` times one on better-sqlite3.
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

/**
 * Per-day sums over every record, days starting at `offsetMs` past UTC midnight's instant in a zone of fixed
 * offset (Asia/Kolkata: +5:30 = 19_800_000): the full scan a daily report replaces. No placeholders.
 */
export function dayScan(offsetMs = 0) {
  return {
    text: `SELECT (ts + ${Math.trunc(offsetMs)}) / 86400000 AS day, ${SUMS} FROM usage_records GROUP BY 1`,
    values: [],
  }
}

/** Times a SQL statement on better-sqlite3 `reps` times after one warm-up run; ms samples. */
export function timeSql(db, sql, params, reps) {
  const statement = db.prepare(sql)
  statement.all(...params)
  const samples = []
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    statement.all(...params)
    samples.push(performance.now() - t0)
  }
  return samples
}
