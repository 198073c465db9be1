/**
 * Period reports over 1M records (SQLite; the queries benchmark's fixture: 60 days, 8 providers x 3 models,
 * 10 nodes), through `usage serve` on a copy of the fixture (latency seen by a loopback client, so it includes
 * HTTP):
 * - GET /api/usage/report?period=day|week|month over all data (the default range of `usage daily|weekly|
 *   monthly`), and period=day in a :30 zone (Asia/Kolkata), whose day edges fall on the 30-minute rollup;
 * - reference: the full-scan GROUP BY day over every record (better-sqlite3, same file), in UTC days, or in
 *   Kolkata days (+5:30) for the Kolkata row; a week or month scan costs the same scan.
 * Goals at 1M and above: median < 20 ms and >= 20x the full scan (the summary's).
 * - whole processes: `usage daily --db` (all data) interleaved with `usage summary --db` on the same file;
 *   goal at 1M: the daily median at most 20 ms above the summary's (plus the CPU-time difference, info).
 * USAGE_NOW pins "now" to the end of the fixture's data; TZ=UTC. BENCH_REPORT_SIZES=100000,… changes sizes.
 */
import { copyFileSync } from "node:fs"
import Database from "better-sqlite3"
import { FIXTURE_END_ISO } from "../lib/data.js"
import { log, removeDb, sqliteFixture, tmpPath } from "../lib/fixtures.js"
import { dayScan, timeSql } from "../lib/full-scan.js"
import { createPool, sequentialGets } from "../lib/load.js"
import { cliTimes, sizeLabel } from "../lib/query-run.js"
import { makeRow } from "../lib/report.js"
import { startService } from "../lib/service.js"
import { summarize } from "../lib/stats.js"

const SIZES = (process.env.BENCH_REPORT_SIZES ?? "1000000").split(",").map(Number)
const COMMAND = "npm run bench -- reports"
const REPORT_PATH = "/api/usage/report"
const KOLKATA_OFFSET_MS = 5.5 * 3_600_000

/** The report requests measured: row id suffix, query string, and which full scan is its reference. */
const REPORTS = [
  { name: "day", query: "period=day", offsetMs: 0 },
  { name: "week", query: "period=week", offsetMs: 0 },
  { name: "month", query: "period=month", offsetMs: 0 },
  { name: "day-kolkata", query: "period=day&tz=Asia/Kolkata", offsetMs: KOLKATA_OFFSET_MS },
]

/** Sequential GETs of every report (and the summary, for context) against `usage serve` on `db`. */
async function serverReports(db, gets) {
  const service = await startService({ db, now: FIXTURE_END_ISO })
  const pool = createPool(service.url, 1)
  try {
    const samples = {}
    for (const report of REPORTS) {
      samples[report.name] = await sequentialGets({
        pool,
        path: `${REPORT_PATH}?${report.query}`,
        count: gets,
        warmup: 8,
      })
    }
    const byModel = summarize(await sequentialGets({ pool, path: `${REPORT_PATH}?period=day&by=model`, count: gets }))
    const summary = summarize(await sequentialGets({ pool, path: "/api/usage/summary", count: gets }))
    return { samples, byModel, summary }
  } finally {
    await pool.close()
    await service.stop()
  }
}

export default {
  title:
    "Daily/weekly/monthly reports at 1M records through the service vs a full-scan GROUP BY day; usage daily --db vs usage summary --db",
  async run({ quick }) {
    const sizes = quick ? [100_000] : SIZES
    const rows = []
    for (const size of sizes) {
      const fixture = await sqliteFixture(size)
      const db = tmpPath(`reports-${size}.db`)
      copyFileSync(fixture, db)
      try {
        const n = sizeLabel(size)
        const { samples, byModel, summary } = await serverReports(db, quick ? 10 : 30)
        const raw = new Database(db, { readonly: true })
        const scanReps = quick ? 3 : 5
        const scans = {}
        for (const offsetMs of new Set(REPORTS.map((r) => r.offsetMs))) {
          const scan = dayScan(offsetMs)
          scans[offsetMs] = timeSql(raw, scan.text, scan.values, scanReps)
        }
        raw.close()
        log(
          `${n}: ${REPORTS.map((r) => `${r.name} ${summarize(samples[r.name]).median.toFixed(2)} ms`).join(", ")}; full scan by day ${summarize(scans[0]).median.toFixed(1)} ms`,
        )
        const goals =
          size >= 1_000_000
            ? [
                { on: "value", op: "<", limit: 20 },
                { on: "compare", op: ">=", limit: 20 },
              ]
            : []
        for (const report of REPORTS) {
          rows.push(
            makeRow({
              id: `query.sqlite.report-${report.name}.${n}`,
              target: `GET ${REPORT_PATH}?${report.query} (all data), ${n} records (sqlite)`,
              unit: "ms",
              samples: samples[report.name],
              ref: {
                name: `full-scan GROUP BY day${report.offsetMs ? " (+5:30)" : ""}`,
                samples: scans[report.offsetMs],
              },
              compare: "speedup",
              goals,
              extra: report.name === "day" ? { byModel, summary } : undefined,
              command: COMMAND,
            }),
          )
        }

        const cli = await cliTimes(db, quick ? 3 : 10, ["summary", "daily"])
        log(
          `${n}: usage daily --db ${summarize(cli.daily).median.toFixed(0)} ms, usage summary --db ${summarize(cli.summary).median.toFixed(0)} ms`,
        )
        const summaryRef = { name: "usage summary --db", samples: cli.summary }
        rows.push(
          makeRow({
            id: `cli.sqlite.daily.${n}`,
            target: `usage daily --db (whole process, all data), ${n} records (sqlite), interleaved with usage summary --db`,
            unit: "ms",
            samples: cli.daily,
            ref: summaryRef,
            compare: "delta",
            goals: size >= 1_000_000 ? [{ on: "compare", op: "<=", limit: 20 }] : [],
            command: COMMAND,
          }),
        )
        if (cli.cpu.summary.length > 0) {
          rows.push(
            makeRow({
              id: `cli.sqlite.daily.${n}.cpu`,
              target: `usage daily --db: CPU time (user+sys) of the process, ${n} records (sqlite)`,
              unit: "ms",
              samples: cli.cpu.daily,
              ref: { name: "usage summary --db CPU", samples: cli.cpu.summary },
              compare: "delta",
              command: COMMAND,
            }),
          )
        }
      } finally {
        removeDb(db)
      }
    }
    return rows
  },
}
