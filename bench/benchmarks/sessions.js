/**
 * `GET /api/usage/sessions` and `GET /api/usage/nodes` over 1M records (SQLite; the queries benchmark's
 * fixture: 60 days, 10 nodes, sessions of 5-64 calls, every record in a session), through `usage serve` on a
 * copy of the fixture (latency seen by a loopback client, so it includes HTTP):
 * - the 50 newest sessions of all data (the default of `usage sessions`), also over the last 7 days and for one
 *   provider (a filter on the calls of each session);
 * - reference: the full scan that the session aggregate replaces, a GROUP BY (node, session) over every record
 *   ordered by last call (better-sqlite3, same file).
 * Goals at 1M and above: median <= 50 ms and >= 10x the full scan. BENCH_SESSION_SIZES=100000,… changes sizes.
 */
import { copyFileSync } from "node:fs"
import Database from "better-sqlite3"
import { DAY_MS, FIXTURE_END_ISO, FIXTURE_END_MS } from "../lib/data.js"
import { log, removeDb, sqliteFixture, tmpPath } from "../lib/fixtures.js"
import { createPool, sequentialGets } from "../lib/load.js"
import { sizeLabel } from "../lib/query-run.js"
import { makeRow } from "../lib/report.js"
import { startService } from "../lib/service.js"
import { summarize } from "../lib/stats.js"

const SIZES = (process.env.BENCH_SESSION_SIZES ?? "1000000").split(",").map(Number)
const COMMAND = "npm run bench -- sessions"

/** The 50 newest sessions computed from the records: what a store without the session aggregate must do. */
const SESSIONS_SCAN_SQL = `SELECT node, session_id, MIN(ts) AS first_ts, MAX(ts) AS last_ts, COUNT(*) AS calls,
  SUM(cost_nanos) AS cost_nanos, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
  SUM(COALESCE(cache_read_tokens, 0)) AS cache_read_tokens, SUM(COALESCE(cache_write_tokens, 0)) AS cache_write_tokens,
  SUM(COALESCE(reasoning_tokens, 0)) AS reasoning_tokens, group_concat(DISTINCT model) AS models
FROM usage_records WHERE session_id IS NOT NULL GROUP BY node, session_id ORDER BY last_ts DESC LIMIT 50`

function timeSql(db, sql, reps) {
  const statement = db.prepare(sql)
  statement.all()
  const samples = []
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    statement.all()
    samples.push(performance.now() - t0)
  }
  return samples
}

export default {
  title: "Sessions (50 newest) and nodes at 1M records through the service vs a full scan of the records",
  async run({ quick }) {
    const sizes = quick ? [100_000] : SIZES
    const rows = []
    for (const size of sizes) {
      const fixture = await sqliteFixture(size)
      const db = tmpPath(`sessions-${size}.db`)
      copyFileSync(fixture, db)
      try {
        const gets = quick ? 10 : 30
        const service = await startService({ db, now: FIXTURE_END_ISO })
        const pool = createPool(service.url, 1)
        let sessionsMs
        let more
        try {
          sessionsMs = await sequentialGets({ pool, path: "/api/usage/sessions", count: gets, warmup: 8 })
          const week = new Date(FIXTURE_END_MS - 7 * DAY_MS).toISOString()
          more = {
            lastWeek: summarize(await sequentialGets({ pool, path: `/api/usage/sessions?since=${week}`, count: gets })),
            oneProvider: summarize(
              await sequentialGets({ pool, path: "/api/usage/sessions?provider=openai", count: gets }),
            ),
            limit1000: summarize(await sequentialGets({ pool, path: "/api/usage/sessions?limit=1000", count: gets })),
            nodes: summarize(await sequentialGets({ pool, path: "/api/usage/nodes", count: gets })),
          }
        } finally {
          await pool.close()
          await service.stop()
        }
        const raw = new Database(db, { readonly: true })
        const scanMs = timeSql(raw, SESSIONS_SCAN_SQL, quick ? 3 : 5)
        const sessionCount = raw.prepare("SELECT COUNT(*) FROM usage_sessions").pluck().get()
        raw.close()
        const n = sizeLabel(size)
        log(
          `${n}: sessions ${summarize(sessionsMs).median.toFixed(2)} ms (${sessionCount} sessions), full scan ${summarize(scanMs).median.toFixed(1)} ms`,
        )
        rows.push(
          makeRow({
            id: `query.sqlite.sessions.${n}`,
            target: `GET /api/usage/sessions (50 newest), ${n} records, ${sessionCount} sessions (sqlite)`,
            unit: "ms",
            samples: sessionsMs,
            ref: { name: "full-scan GROUP BY session", samples: scanMs },
            compare: "speedup",
            goals:
              size >= 1_000_000
                ? [
                    { on: "value", op: "<=", limit: 50 },
                    { on: "compare", op: ">=", limit: 10 },
                  ]
                : [],
            extra: more,
            command: COMMAND,
          }),
        )
      } finally {
        removeDb(db)
      }
    }
    return rows
  },
}
