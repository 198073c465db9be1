/**
 * Summary and 30-day trends over 10k, 100k and 1M records (SQLite; 60 days, 8 providers x 3 models, 10 nodes,
 * 3 task types), the curve showing they stay flat as records grow:
 * - server side: sequential GET /api/usage/summary and GET /api/usage/provider/anthropic/trends?range=30d
 *   against `usage serve` on a copy of the fixture (latency seen by a loopback client, so it includes HTTP);
 *   also in a :30 time zone (Asia/Kolkata), where every day edge is read from the records table;
 * - reference (3): the full-scan GROUP BY over all records (better-sqlite3, same file);
 * - whole processes: `usage summary --db` and `usage trends --db` against reference (4), a bare
 *   `node --input-type=module -e 'await import("@oclif/core")'`, runs interleaved.
 * USAGE_NOW pins "now" to the end of the fixture's data; TZ=UTC. BENCH_SIZES=10000,…,10000000 changes sizes.
 */
import { copyFileSync } from "node:fs"
import Database from "better-sqlite3"
import { DAY_MS, FIXTURE_END_MS } from "../lib/data.js"
import { log, removeDb, sqliteFixture, tmpPath } from "../lib/fixtures.js"
import { FULL_SCAN_SQL, timeSql, trendScan } from "../lib/full-scan.js"
import { cliRows, cliTimes, curveRows, queryRows, serverQueries, sizeLabel } from "../lib/query-run.js"
import { makeRow } from "../lib/report.js"
import { summarize } from "../lib/stats.js"

export const SIZES = (process.env.BENCH_SIZES ?? "10000,100000,1000000").split(",").map(Number)
export const TREND_SINCE_MS = FIXTURE_END_MS - (FIXTURE_END_MS % DAY_MS) - 29 * DAY_MS
const COMMAND = "npm run bench -- queries"

export default {
  title: "Summary and 30-day trends at 10k/100k/1M records: server side vs full scan, CLI vs bare oclif import",
  async run({ quick }) {
    const sizes = quick ? SIZES.filter((n) => n <= 100_000) : SIZES
    const rows = []
    const curve = { summary: {}, trends: {}, fullScan: {} }
    for (const size of sizes) {
      const fixture = await sqliteFixture(size)
      const db = tmpPath(`queries-${size}.db`)
      copyFileSync(fixture, db)
      try {
        const { summaryMs, trendsMs, more } = await serverQueries(db, quick ? 10 : 30)
        const raw = new Database(db, { readonly: true })
        const scanReps = quick ? 3 : size >= 1_000_000 ? 5 : 10
        const fullScanMs = timeSql(raw, FULL_SCAN_SQL, [], scanReps)
        const scan = trendScan("anthropic", TREND_SINCE_MS)
        const trendScanMs = timeSql(raw, scan.text, scan.values, scanReps)
        raw.close()
        curve.summary[size] = summarize(summaryMs).median
        curve.trends[size] = summarize(trendsMs).median
        curve.fullScan[size] = summarize(fullScanMs).median
        log(
          `${sizeLabel(size)}: summary ${curve.summary[size].toFixed(2)} ms, trends ${curve.trends[size].toFixed(2)} ms, full scan ${summarize(fullScanMs).median.toFixed(1)} ms`,
        )
        const common = { makeRow, backend: "sqlite", size, command: COMMAND }
        rows.push(...queryRows({ ...common, summaryMs, trendsMs, fullScanMs, trendScanMs, more }))
        const cli = await cliTimes(db, quick ? 3 : size >= 1_000_000 ? 10 : 5)
        rows.push(...cliRows({ ...common, cli }))
      } finally {
        removeDb(db)
      }
    }
    rows.push(...curveRows({ makeRow, backend: "sqlite", curve, command: COMMAND }))
    return rows
  },
}
