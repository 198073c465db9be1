/**
 * `GET /api/usage/sessions` and `GET /api/usage/nodes` over 1M records (60 days, 10 nodes, sessions of 5-64
 * calls, every record in a session), on SQLite (the queries benchmark's fixture, a copy per run) and on
 * PostgreSQL (the same records in a cached database, bench/lib/postgres-fixture.js; rows not measured when the
 * server is unreachable), through `usage serve` (latency seen by a loopback client, so it includes HTTP):
 * - the 50 newest sessions of all data (the default of `usage sessions`), also over the last 7 days and for one
 *   provider (a filter on the calls of each session);
 * - reference: the full scan that the session aggregate replaces, a GROUP BY (node, session) over every record
 *   ordered by last call (better-sqlite3 or pg, same database).
 * Goals at 1M and above: median <= 50 ms and >= 10x the full scan. BENCH_SESSION_SIZES=100000,… changes sizes;
 * BENCH_SESSION_BACKENDS=sqlite or postgres runs one backend.
 */
import { copyFileSync } from "node:fs"
import Database from "better-sqlite3"
import { DAY_MS, FIXTURE_END_ISO, FIXTURE_END_MS } from "../lib/data.js"
import { log, removeDb, sqliteFixture, tmpPath } from "../lib/fixtures.js"
import { createPool, sequentialGets } from "../lib/load.js"
import { postgresFixture, timePg } from "../lib/postgres-fixture.js"
import { sizeLabel } from "../lib/query-run.js"
import { adminClient } from "../lib/raw-postgres.js"
import { makeRow, missingRow } from "../lib/report.js"
import { startService } from "../lib/service.js"
import { summarize } from "../lib/stats.js"

const SIZES = (process.env.BENCH_SESSION_SIZES ?? "1000000").split(",").map(Number)
const BACKENDS = (process.env.BENCH_SESSION_BACKENDS ?? "sqlite,postgres").split(",")
const COMMAND = "npm run bench -- sessions"

/** The 50 newest sessions computed from the records: what a store without the session aggregate must do. */
const sessionsScanSql = (distinctModels) => `SELECT node, session_id, MIN(ts) AS first_ts, MAX(ts) AS last_ts,
  COUNT(*) AS calls, SUM(cost_nanos) AS cost_nanos, SUM(input_tokens) AS input_tokens,
  SUM(output_tokens) AS output_tokens, SUM(COALESCE(cache_read_tokens, 0)) AS cache_read_tokens,
  SUM(COALESCE(cache_write_tokens, 0)) AS cache_write_tokens, SUM(COALESCE(reasoning_tokens, 0)) AS reasoning_tokens,
  ${distinctModels} AS models
FROM usage_records WHERE session_id IS NOT NULL GROUP BY node, session_id ORDER BY last_ts DESC LIMIT 50`
const SQLITE_SCAN_SQL = sessionsScanSql("group_concat(DISTINCT model)")
const POSTGRES_SCAN_SQL = sessionsScanSql("string_agg(DISTINCT model, ',')")
const SESSION_COUNT_SQL = "SELECT COUNT(*) AS n FROM usage_sessions"

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

/** Sequential GETs of the sessions (and, for context, filtered sessions and the nodes) on `usage serve`. */
async function serverSessions(db, gets) {
  const service = await startService({ db, now: FIXTURE_END_ISO })
  const pool = createPool(service.url, 1)
  try {
    const sessionsMs = await sequentialGets({ pool, path: "/api/usage/sessions", count: gets, warmup: 8 })
    const week = new Date(FIXTURE_END_MS - 7 * DAY_MS).toISOString()
    const more = {
      lastWeek: summarize(await sequentialGets({ pool, path: `/api/usage/sessions?since=${week}`, count: gets })),
      oneProvider: summarize(await sequentialGets({ pool, path: "/api/usage/sessions?provider=openai", count: gets })),
      limit1000: summarize(await sequentialGets({ pool, path: "/api/usage/sessions?limit=1000", count: gets })),
      nodes: summarize(await sequentialGets({ pool, path: "/api/usage/nodes", count: gets })),
    }
    return { sessionsMs, more }
  } finally {
    await pool.close()
    await service.stop()
  }
}

/** The row of one backend: `scan()` gives the full scan's samples and the store's session count. */
async function measure({ backend, db, size, quick, scan }) {
  const n = sizeLabel(size)
  const { sessionsMs, more } = await serverSessions(db, quick ? 10 : 30)
  const { scanMs, sessionCount } = await scan(quick ? 3 : 5)
  log(
    `${backend} ${n}: sessions ${summarize(sessionsMs).median.toFixed(2)} ms (${sessionCount} sessions), full scan ${summarize(scanMs).median.toFixed(1)} ms`,
  )
  return makeRow({
    id: `query.${backend}.sessions.${n}`,
    target: `GET /api/usage/sessions (50 newest), ${n} records, ${sessionCount} sessions (${backend})`,
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
  })
}

async function sqliteRow(size, quick) {
  const fixture = await sqliteFixture(size)
  const db = tmpPath(`sessions-${size}.db`)
  copyFileSync(fixture, db)
  try {
    const scan = async (reps) => {
      const raw = new Database(db, { readonly: true })
      try {
        return {
          scanMs: timeSql(raw, SQLITE_SCAN_SQL, reps),
          sessionCount: raw.prepare(SESSION_COUNT_SQL).pluck().get(),
        }
      } finally {
        raw.close()
      }
    }
    return await measure({ backend: "sqlite", db, size, quick, scan })
  } finally {
    removeDb(db)
  }
}

async function postgresRow(size, quick) {
  try {
    await (await adminClient()).end()
  } catch (error) {
    const id = `query.postgres.sessions.${sizeLabel(size)}`
    return missingRow({
      id,
      target: `${id} (postgres)`,
      reason: `PostgreSQL unreachable (USAGE_BENCH_PG, USAGE_TEST_PG or the local default): ${error.message}`,
      command: COMMAND,
    })
  }
  const url = await postgresFixture(size)
  const scan = async (reps) => {
    const scanMs = await timePg(url, POSTGRES_SCAN_SQL, [], reps)
    const pg = (await import("pg")).default
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      return { scanMs, sessionCount: Number((await client.query(SESSION_COUNT_SQL)).rows[0].n) }
    } finally {
      await client.end()
    }
  }
  return measure({ backend: "postgres", db: url, size, quick, scan })
}

export default {
  title:
    "Sessions (50 newest) and nodes at 1M records (SQLite, PostgreSQL) through the service vs a full scan of the records",
  async run({ quick }) {
    const sizes = quick ? [100_000] : SIZES
    const rows = []
    for (const size of sizes) {
      if (BACKENDS.includes("sqlite")) rows.push(await sqliteRow(size, quick))
      if (BACKENDS.includes("postgres")) rows.push(await postgresRow(size, quick))
    }
    return rows
  },
}
