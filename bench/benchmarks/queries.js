/**
 * Summary and 30-day trends over 10k, 100k and 1M records (SQLite; 60 days, 8 providers x 3 models, 10 nodes,
 * 3 task types), the curve showing they stay flat as records grow:
 * - server side: sequential GET /api/usage/summary and GET /api/usage/provider/anthropic/trends?range=30d
 *   against `usage serve` on a copy of the fixture (latency seen by a loopback client, so it includes HTTP);
 *   also in a :30 time zone (Asia/Kolkata), where every day edge is read from the records table;
 * - reference (3): the full-scan GROUP BY over all records (better-sqlite3, same file);
 * - whole processes: `usage summary --db` and `usage trends --db` against reference (4), a bare
 *   `node --input-type=module -e 'await import("@oclif/core")'`, runs interleaved.
 * USAGE_NOW pins "now" to the end of the fixture's data; TZ=UTC.
 */
import { copyFileSync } from "node:fs"
import Database from "better-sqlite3"
import { FIXTURE_END_ISO, FIXTURE_END_MS, DAY_MS } from "../lib/data.js"
import { log, removeDb, sqliteFixture, tmpPath } from "../lib/fixtures.js"
import { FULL_SCAN_SQL, trendScan } from "../lib/full-scan.js"
import { createPool, sequentialGets } from "../lib/load.js"
import { timeProcess } from "../lib/proc.js"
import { makeRow } from "../lib/report.js"
import { BIN, childEnv, ROOT, startService } from "../lib/service.js"
import { summarize } from "../lib/stats.js"

export const SIZES = (process.env.BENCH_SIZES ?? "10000,100000,1000000").split(",").map(Number)
const BIG = 1_000_000

const label = (n) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`)

/** Times a SQL statement `reps` times (after one warm-up run); ms samples. */
function timeSql(db, sql, params, reps) {
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

/** Whole-process times of the oclif import, `usage summary --db` and `usage trends --db`, interleaved. */
export async function cliTimes(db, reps, extraEnv = {}) {
  const env = childEnv({ USAGE_NOW: FIXTURE_END_ISO, ...extraEnv })
  const commands = {
    oclif: [process.execPath, ["--input-type=module", "-e", 'await import("@oclif/core")']],
    summary: [process.execPath, [BIN, "summary", "--db", db]],
    trends: [process.execPath, [BIN, "trends", "--db", db, "--provider", "anthropic", "--days", "30"]],
  }
  const samples = { oclif: [], summary: [], trends: [] }
  for (let i = -1; i < reps; i++) {
    for (const [name, [cmd, args]] of Object.entries(commands)) {
      const result = await timeProcess(cmd, args, { env, cwd: ROOT })
      if (result.code !== 0) throw new Error(`${name} exited ${result.code}: ${result.stderr.slice(0, 500)}`)
      if (i >= 0) samples[name].push(result.ms)
    }
  }
  return samples
}

export default {
  title: "Summary and 30-day trends at 10k/100k/1M records: server side vs full scan, CLI vs bare oclif import",
  async run({ quick }) {
    const sizes = quick ? SIZES.filter((n) => n <= 100_000) : SIZES
    const rows = []
    const curve = { summary: {}, trends: {} }
    for (const size of sizes) {
      const fixture = await sqliteFixture(size)
      const db = tmpPath(`queries-${size}.db`)
      copyFileSync(fixture, db)
      const isBig = size >= BIG
      const gets = quick ? 10 : 30
      const service = await startService({ db, now: FIXTURE_END_ISO })
      const pool = createPool(service.url, 1)
      let summaryMs
      let trendsMs
      let kolkata
      try {
        summaryMs = await sequentialGets({ pool, path: "/api/usage/summary", count: gets, warmup: 5 })
        trendsMs = await sequentialGets({
          pool,
          path: "/api/usage/provider/anthropic/trends?range=30d",
          count: gets,
          warmup: 5,
        })
        kolkata = {
          summary: summarize(await sequentialGets({ pool, path: "/api/usage/summary?tz=Asia/Kolkata", count: gets })),
          trends: summarize(
            await sequentialGets({
              pool,
              path: "/api/usage/provider/anthropic/trends?range=30d&tz=Asia/Kolkata",
              count: gets,
            }),
          ),
          byModel: summarize(await sequentialGets({ pool, path: "/api/usage/summary?by=model", count: gets })),
        }
      } finally {
        await pool.close()
        await service.stop()
      }
      const raw = new Database(db, { readonly: true })
      const scanReps = quick ? 3 : size >= BIG ? 5 : 10
      const fullScan = timeSql(raw, FULL_SCAN_SQL, [], scanReps)
      const since = FIXTURE_END_MS - (FIXTURE_END_MS % DAY_MS) - 29 * DAY_MS
      const scan = trendScan("anthropic", since)
      const trendScanMs = timeSql(raw, scan.text, scan.values, scanReps)
      raw.close()
      log(
        `${label(size)}: summary ${summarize(summaryMs).median.toFixed(2)} ms, trends ${summarize(trendsMs).median.toFixed(2)} ms, full scan ${summarize(fullScan).median.toFixed(1)} ms`,
      )
      curve.summary[size] = summarize(summaryMs).median
      curve.trends[size] = summarize(trendsMs).median
      const goals = isBig
        ? [
            { on: "value", op: "<", limit: 20 },
            { on: "compare", op: ">=", limit: 20 },
          ]
        : []
      const ref = { name: "full-scan GROUP BY", samples: fullScan }
      rows.push(
        makeRow({
          id: `query.sqlite.summary.${label(size)}`,
          target: `GET /api/usage/summary, ${label(size)} records (SQLite)`,
          unit: "ms",
          samples: summaryMs,
          ref,
          compare: "speedup",
          goals,
          extra: { kolkata: kolkata.summary, byModel: kolkata.byModel },
          command: "npm run bench -- queries",
        }),
        makeRow({
          id: `query.sqlite.trends30d.${label(size)}`,
          target: `GET /api/usage/provider/anthropic/trends?range=30d, ${label(size)} records (SQLite)`,
          unit: "ms",
          samples: trendsMs,
          ref,
          compare: "speedup",
          goals,
          extra: { kolkata: kolkata.trends, trendScanWithoutRollups: summarize(trendScanMs) },
          command: "npm run bench -- queries",
        }),
      )
      const cliReps = quick ? 3 : isBig ? 10 : 5
      const cli = await cliTimes(db, cliReps)
      const oclif = { name: "bare oclif import", samples: cli.oclif }
      const cliGoals = isBig ? [{ on: "compare", op: "<=", limit: 60 }] : []
      rows.push(
        makeRow({
          id: `cli.sqlite.summary.${label(size)}`,
          target: `usage summary --db (whole process), ${label(size)} records`,
          unit: "ms",
          samples: cli.summary,
          ref: oclif,
          compare: "delta",
          goals: cliGoals,
          command: "npm run bench -- queries",
        }),
        makeRow({
          id: `cli.sqlite.trends.${label(size)}`,
          target: `usage trends --db --days 30 (whole process), ${label(size)} records`,
          unit: "ms",
          samples: cli.trends,
          ref: oclif,
          compare: "delta",
          goals: cliGoals,
          command: "npm run bench -- queries",
        }),
      )
      removeDb(db)
    }
    // The curve: latency at the largest size over latency at the smallest (1 = flat; 100 = linear over 10k→1M).
    const [small, large] = [sizes[0], sizes[sizes.length - 1]]
    for (const kind of ["summary", "trends"]) {
      rows.push(
        makeRow({
          id: `query.sqlite.${kind}.curve`,
          target: `${kind}: latency at ${label(large)} / at ${label(small)} records (flat = 1, linear = ${large / small})`,
          unit: "×",
          samples: [curve[kind][large] / curve[kind][small]],
          goals: [{ on: "value", op: "<", limit: 2 }],
          extra: { medians: curve[kind] },
          command: "npm run bench -- queries",
        }),
      )
    }
    return rows
  },
}
