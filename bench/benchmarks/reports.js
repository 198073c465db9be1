/**
 * Period reports over 1M records, on SQLite (the queries benchmark's fixture: 60 days, 8 providers x 3
 * models, 10 nodes, a copy per run) and on PostgreSQL (the same records in a cached database,
 * bench/lib/postgres-fixture.js; rows not measured when the server is unreachable), through `usage serve`
 * (latency seen by a loopback client, so it includes HTTP):
 * - GET /api/usage/report?period=day|week|month over all data (the default range of `usage daily|weekly|
 *   monthly`), and period=day in a :30 zone (Asia/Kolkata, +5:30), whose day edges fall on the 30-minute
 *   rollup, and in a :30 zone with DST (America/St_Johns, -2:30 then -3:30 from 2026-11-01);
 * - reference: the full-scan GROUP BY day over every record (better-sqlite3 or pg, same database), in UTC
 *   days, or in days of the zone's fixed offset for the zoned rows (+5:30, -3:30: the same scan whatever the
 *   DST); a week or month scan costs the same scan.
 * Goals at 1M and above: median < 20 ms and >= 20x the full scan (the summary's).
 * - whole processes: `usage daily --db` (all data) interleaved with `usage summary --db` on the same store;
 *   goal at 1M: the daily median at most 20 ms above the summary's (plus the CPU-time difference, info).
 * USAGE_NOW pins "now" to the end of the fixture's data; TZ=UTC. BENCH_REPORT_SIZES=100000,… changes sizes;
 * BENCH_REPORT_BACKENDS=sqlite or postgres runs one backend.
 */
import { copyFileSync } from "node:fs"
import Database from "better-sqlite3"
import { FIXTURE_END_ISO } from "../lib/data.js"
import { log, removeDb, sqliteFixture, tmpPath } from "../lib/fixtures.js"
import { dayScan, timeSql } from "../lib/full-scan.js"
import { createPool, sequentialGets } from "../lib/load.js"
import { postgresFixture, timePg } from "../lib/postgres-fixture.js"
import { cliTimes, sizeLabel } from "../lib/query-run.js"
import { adminClient } from "../lib/raw-postgres.js"
import { makeRow, missingRow } from "../lib/report.js"
import { startService } from "../lib/service.js"
import { summarize } from "../lib/stats.js"

const SIZES = (process.env.BENCH_REPORT_SIZES ?? "1000000").split(",").map(Number)
const BACKENDS = (process.env.BENCH_REPORT_BACKENDS ?? "sqlite,postgres").split(",")
const COMMAND = "npm run bench -- reports"
const REPORT_PATH = "/api/usage/report"
const HOUR_MS = 3_600_000

/** The report requests measured: row id suffix, query string, and the fixed offset of its full scan. */
const REPORTS = [
  { name: "day", query: "period=day", offsetMs: 0 },
  { name: "week", query: "period=week", offsetMs: 0 },
  { name: "month", query: "period=month", offsetMs: 0 },
  { name: "day-kolkata", query: "period=day&tz=Asia/Kolkata", offsetMs: 5.5 * HOUR_MS, offset: "+5:30" },
  { name: "day-st-johns", query: "period=day&tz=America/St_Johns", offsetMs: -3.5 * HOUR_MS, offset: "-3:30" },
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

/** The full scan by day at each offset the reports use: `time(text, values)` gives its samples. */
async function dayScans(time) {
  const scans = {}
  for (const offsetMs of new Set(REPORTS.map((r) => r.offsetMs))) {
    const scan = dayScan(offsetMs)
    scans[offsetMs] = await time(scan.text, scan.values)
  }
  return scans
}

/** Measures one backend's store `db` (a SQLite file or a postgres:// URL) and returns its rows. */
async function measure({ backend, db, size, quick, scans }) {
  const n = sizeLabel(size)
  const rows = []
  const { samples, byModel, summary } = await serverReports(db, quick ? 10 : 30)
  const scanMs = await scans()
  log(
    `${backend} ${n}: ${REPORTS.map((r) => `${r.name} ${summarize(samples[r.name]).median.toFixed(2)} ms`).join(", ")}; full scan by day ${summarize(scanMs[0]).median.toFixed(1)} ms`,
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
        id: `query.${backend}.report-${report.name}.${n}`,
        target: `GET ${REPORT_PATH}?${report.query} (all data), ${n} records (${backend})`,
        unit: "ms",
        samples: samples[report.name],
        ref: {
          name: `full-scan GROUP BY day${report.offset ? ` (${report.offset})` : ""}`,
          samples: scanMs[report.offsetMs],
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
    `${backend} ${n}: usage daily --db ${summarize(cli.daily).median.toFixed(0)} ms, usage summary --db ${summarize(cli.summary).median.toFixed(0)} ms`,
  )
  rows.push(
    makeRow({
      id: `cli.${backend}.daily.${n}`,
      target: `usage daily --db (whole process, all data), ${n} records (${backend}), interleaved with usage summary --db`,
      unit: "ms",
      samples: cli.daily,
      ref: { name: "usage summary --db", samples: cli.summary },
      compare: "delta",
      goals: size >= 1_000_000 ? [{ on: "compare", op: "<=", limit: 20 }] : [],
      command: COMMAND,
    }),
  )
  if (cli.cpu.summary.length > 0) {
    rows.push(
      makeRow({
        id: `cli.${backend}.daily.${n}.cpu`,
        target: `usage daily --db: CPU time (user+sys) of the process, ${n} records (${backend})`,
        unit: "ms",
        samples: cli.cpu.daily,
        ref: { name: "usage summary --db CPU", samples: cli.cpu.summary },
        compare: "delta",
        command: COMMAND,
      }),
    )
  }
  return rows
}

async function sqliteRows(size, quick) {
  const fixture = await sqliteFixture(size)
  const db = tmpPath(`reports-${size}.db`)
  copyFileSync(fixture, db)
  try {
    const scans = async () => {
      const raw = new Database(db, { readonly: true })
      try {
        return await dayScans(async (text, values) => timeSql(raw, text, values, quick ? 3 : 5))
      } finally {
        raw.close()
      }
    }
    return await measure({ backend: "sqlite", db, size, quick, scans })
  } finally {
    removeDb(db)
  }
}

async function postgresRows(size, quick) {
  try {
    await (await adminClient()).end()
  } catch (error) {
    const n = sizeLabel(size)
    const ids = [...REPORTS.map((r) => `query.postgres.report-${r.name}.${n}`), `cli.postgres.daily.${n}`]
    return ids.map((id) =>
      missingRow({
        id,
        target: `${id} (postgres)`,
        reason: `PostgreSQL unreachable (USAGE_BENCH_PG, USAGE_TEST_PG or the local default): ${error.message}`,
        command: COMMAND,
      }),
    )
  }
  const url = await postgresFixture(size)
  const scans = () => dayScans((text, values) => timePg(url, text, values, quick ? 3 : 5))
  return measure({ backend: "postgres", db: url, size, quick, scans })
}

export default {
  title:
    "Daily/weekly/monthly reports at 1M records (SQLite, PostgreSQL) through the service vs a full-scan GROUP BY day; usage daily --db vs usage summary --db",
  async run({ quick }) {
    const sizes = quick ? [100_000] : SIZES
    const rows = []
    for (const size of sizes) {
      if (BACKENDS.includes("sqlite")) rows.push(...(await sqliteRows(size, quick)))
      if (BACKENDS.includes("postgres")) rows.push(...(await postgresRows(size, quick)))
    }
    return rows
  },
}
