/**
 * Store query benchmark (stores helper's measurement, not part of the timed unit tests): loads N records
 * over D days with realistic cardinalities (bench/lib/data.js: 8 providers x 3 models x 10 nodes x 3 task
 * types) into a SQLite file and/or a PostgreSQL schema, then times, server-side (in process, no HTTP):
 *   - a full summary (summaryPlan: 1 + 2P aggregate calls) and a 30-day trend (trendsPlan: 30 calls),
 *     in UTC, Europe/Paris and Asia/Kolkata (a :30 zone: every day edge goes to the records table);
 *   - the same plans answered by a reference without rollups: GROUP BY over the records table (using
 *     its timestamp index), and a forced full scan.
 * Prints medians and the speed-up. Data sets are cached between runs (delete them with --fresh).
 * With --ingest, measures writes instead: 100k live records (20 ms apart) in 1000-record batches into a new
 * store, one batch per transaction and five per transaction (group commit), against inserting the same rows
 * into the same records table without rollups.
 *
 *   npx tsc -p tsconfig.build.json && node bench/store-rollups.js [--backend sqlite|postgres|both]
 *     [--records 1000000] [--days 60] [--runs 21] [--ref-runs 3] [--fresh] [--ingest] [--pg postgres://postgres@127.0.0.1:5432/test]
 */
import { existsSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import Database from "better-sqlite3"
import pg from "pg"
import { runPlan } from "../dist/lib/query/plan.js"
import { summaryPlan } from "../dist/lib/query/summary.js"
import { trendsPlan } from "../dist/lib/query/trends.js"
import { PostgresStore } from "../dist/lib/store/postgres/store.js"
import { RECORD_COLUMNS, toRecordRow } from "../dist/lib/store/record-row.js"
import { foldKeyNodeSums, GROUP_COLUMN } from "../dist/lib/store/rollup.js"
import { STORE_TABLES } from "../dist/lib/store/sql-query.js"
import { SqliteStore } from "../dist/lib/store/sqlite/store.js"
import { chunks, DAY_MS, FIXTURE_END_MS, generateRecords, toStored } from "./lib/data.js"
import { INSERT as RAW_PG_INSERT } from "./lib/raw-postgres.js"
import { fmt, summarize } from "./lib/stats.js"

const { values: args } = parseArgs({
  options: {
    backend: { type: "string", default: "both" },
    records: { type: "string", default: "1000000" },
    days: { type: "string", default: "60" },
    runs: { type: "string", default: "21" },
    "ref-runs": { type: "string", default: "3" },
    fresh: { type: "boolean", default: false },
    ingest: { type: "boolean", default: false },
    pg: { type: "string", default: process.env.USAGE_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test" },
  },
})
const COUNT = Number(args.records)
const DAYS = Number(args.days)
const RUNS = Number(args.runs)
const REF_RUNS = Number(args["ref-runs"])
const NOW = new Date(FIXTURE_END_MS)
const ZONES = ["UTC", "Europe/Paris", "Asia/Kolkata"]
const TAG = `${COUNT}_${DAYS}d`

const SUMS =
  "COUNT(*) AS calls, 0 AS cost_usd, SUM(cost_nanos) AS cost_nanos, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, " +
  "SUM(COALESCE(cache_read_tokens, 0)) AS cache_read_tokens, SUM(COALESCE(cache_write_tokens, 0)) AS cache_write_tokens, " +
  "SUM(COALESCE(reasoning_tokens, 0)) AS reasoning_tokens, SUM(COALESCE(unpriced, 0)) AS unpriced_calls"

/** The records-only GROUP BY an implementation without rollups would run. */
function referenceSql(filter, groupBy, param, fullScan) {
  const where = []
  const values = []
  const add = (v) => {
    values.push(v)
    return param(values.length)
  }
  if (filter.provider !== undefined) where.push(`provider = ${add(filter.provider)}`)
  if (filter.node !== undefined) where.push(`node = ${add(filter.node)}`)
  // +0 hides the column from the planner: a full scan whatever the indexes.
  const ts = fullScan ? "ts + 0" : "ts"
  if (filter.since) where.push(`${ts} >= ${add(filter.since.getTime())}`)
  if (filter.until) where.push(`${ts} < ${add(filter.until.getTime())}`)
  const text = `SELECT ${GROUP_COLUMN[groupBy]} AS k, node, ${SUMS} FROM usage_records${where.length ? ` WHERE ${where.join(" AND ")}` : ""} GROUP BY k, node`
  return { text, values }
}

function sqliteReference(path, fullScan) {
  const db = new Database(path, { readonly: true })
  const cache = new Map()
  return {
    aggregate: async (filter, groupBy) => {
      const { text, values } = referenceSql(filter, groupBy, () => "?", fullScan)
      if (!cache.has(text)) cache.set(text, db.prepare(text))
      const st = cache.get(text)
      return foldKeyNodeSums(st.all(...values))
    },
    close: async () => db.close(),
  }
}

function postgresReference(url, schema, fullScan) {
  const pool = new pg.Pool({ connectionString: url, max: 2, options: `-c search_path=${schema}` })
  return {
    aggregate: async (filter, groupBy) => {
      const { text, values } = referenceSql(filter, groupBy, (n) => `$${n}`, fullScan)
      return foldKeyNodeSums((await pool.query(text, values)).rows)
    },
    close: () => pool.end(),
  }
}

async function load(store) {
  const have = (await store.stats()).records
  if (have === COUNT) return console.log(`  reusing ${fmt(have)} records`)
  if (have !== 0) throw new Error(`store holds ${have} records, not ${COUNT}: rerun with --fresh`)
  const started = performance.now()
  const records = generateRecords({
    count: COUNT,
    startMs: FIXTURE_END_MS - DAYS * DAY_MS,
    endMs: FIXTURE_END_MS,
    seed: 7,
  })
  let done = 0
  for (const chunk of chunks(records, 5000)) {
    await store.insert(chunk.map((r) => toStored(r)))
    done += chunk.length
    if (done % 100_000 === 0) process.stdout.write(`\r  loading ${fmt(done)}…`)
  }
  const seconds = (performance.now() - started) / 1000
  console.log(
    `\r  loaded ${fmt(COUNT)} records in ${seconds.toFixed(1)} s (${fmt(COUNT / seconds)} records/s, batches of 5000)`,
  )
}

/** Median wall time (ms) of `fn` over RUNS runs after one warm-up. */
async function time(fn, runs = RUNS) {
  await fn()
  const samples = []
  for (let i = 0; i < runs; i++) {
    const t = performance.now()
    await fn()
    samples.push(performance.now() - t)
  }
  return summarize(samples)
}

async function measure(name, store, references) {
  console.log(`\n${name}: ${fmt((await store.stats()).records)} records, ${fmt((await store.stats()).bytes / 1e6)} MB`)
  const rows = []
  for (const tz of ZONES) {
    const plans = {
      summary: () => summaryPlan({ tz }, NOW),
      "summary by model": () => summaryPlan({ tz, by: "model" }, NOW),
      "trend 30d": () => trendsPlan({ provider: "anthropic", rangeDays: 30, tz }, NOW),
    }
    for (const [what, plan] of Object.entries(plans)) {
      const ours = await time(() => runPlan(plan(), store))
      const check = JSON.stringify(await runPlan(plan(), store))
      const row = { what: `${what} (${tz})`, rollups: ours.median }
      for (const [refName, ref] of Object.entries(references)) {
        const theirs = await time(() => runPlan(plan(), ref), REF_RUNS)
        if (JSON.stringify(await runPlan(plan(), ref)) !== check) throw new Error(`${refName} disagrees on ${row.what}`)
        row[refName] = theirs.median
      }
      rows.push(row)
    }
  }
  const refNames = Object.keys(references)
  console.log(["query".padEnd(34), "rollups".padStart(10), ...refNames.map((r) => `${r}`.padStart(22))].join(" "))
  for (const row of rows) {
    console.log(
      [
        row.what.padEnd(34),
        fmt(row.rollups, "ms").padStart(10),
        ...refNames.map((r) => `${fmt(row[r], "ms")} (${fmt(row[r] / row.rollups)}x)`.padStart(22)),
      ].join(" "),
    )
  }
}

/** Live traffic: 100k records 20 ms apart, in batches of 1000 (what senders post). */
function liveBatches() {
  const startMs = FIXTURE_END_MS - 100_000 * 20
  const records = generateRecords({ count: 100_000, startMs, endMs: FIXTURE_END_MS, seed: 3 })
  return [...chunks(records, 1000)].map((batch) => batch.map((r) => toStored(r)))
}

/** Records per second of three write paths over the same batches: per-batch commits, group commits, raw rows. */
async function measureIngest(name, open, rawInsert) {
  const batches = liveBatches()
  const third = Math.floor(batches.length / 3)
  const rate = async (label, fn) => {
    const t = performance.now()
    const n = await fn()
    console.log(`  ${label.padEnd(48)} ${fmt(n / ((performance.now() - t) / 1000), "records/s")}`)
  }
  console.log(`\n${name} ingestion, 1000-record batches of live records`)
  const store = await open()
  await rate("store, one batch per transaction", async () => {
    for (const batch of batches.slice(0, third)) await store.insert(batch)
    return third * 1000
  })
  await rate("store, five batches per transaction", async () => {
    for (let i = third; i < 2 * third; i += 5) await store.insertBatches(batches.slice(i, Math.min(i + 5, 2 * third)))
    return third * 1000
  })
  await store.close()
  await rate("records table alone (no rollups), one per txn", async () => {
    for (const batch of batches.slice(2 * third, 3 * third)) await rawInsert(batch.map(toRecordRow))
    return third * 1000
  })
}

if (args.ingest) {
  if (args.backend !== "postgres") {
    const path = join(tmpdir(), `usage-hub-bench-ingest-${process.pid}.db`)
    const store = await SqliteStore.open(path)
    const db = new Database(path)
    db.pragma("synchronous = FULL")
    const insert = db.prepare(
      `INSERT INTO usage_records (${RECORD_COLUMNS.join(", ")}) VALUES (${RECORD_COLUMNS.map((c) => `@${c}`).join(", ")}) ON CONFLICT DO NOTHING`,
    )
    const rawTx = db.transaction((rows) => {
      for (const row of rows) insert.run(row)
    })
    await measureIngest(
      "SQLite",
      async () => store,
      async (rows) => rawTx(rows),
    )
    db.close()
    for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true })
  }
  if (args.backend !== "sqlite") {
    const schema = `usage_hub_bench_ingest_${process.pid}`
    const store = await PostgresStore.open(args.pg, { schema })
    const pool = new pg.Pool({ connectionString: args.pg, max: 2, options: `-c search_path=${schema}` })
    await measureIngest(
      "PostgreSQL",
      async () => store,
      async (rows) => {
        await pool.query(
          RAW_PG_INSERT,
          RECORD_COLUMNS.map((c) => rows.map((r) => r[c])),
        )
      },
    )
    await pool.query(`DROP SCHEMA ${schema} CASCADE`)
    await pool.end()
  }
  process.exit(0)
}

if (args.backend === "sqlite" || args.backend === "both") {
  const path = join(tmpdir(), `usage-hub-bench-${TAG}.db`)
  if (args.fresh) for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true })
  console.log(`SQLite ${path}${existsSync(path) ? "" : " (new)"}`)
  const store = await SqliteStore.open(path)
  await load(store)
  const refs = { "records+index": sqliteReference(path, false), "full scan": sqliteReference(path, true) }
  await measure("SQLite", store, refs)
  for (const ref of Object.values(refs)) await ref.close()
  await store.close()
}

if (args.backend === "postgres" || args.backend === "both") {
  const schema = `usage_hub_bench_${TAG}`
  if (args.fresh) {
    const client = new pg.Client({ connectionString: args.pg })
    await client.connect()
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await client.end()
  }
  console.log(`\nPostgreSQL ${args.pg} schema ${schema}`)
  const store = await PostgresStore.open(args.pg, { schema })
  await load(store)
  const analyze = new pg.Client({ connectionString: args.pg, options: `-c search_path=${schema}` })
  await analyze.connect()
  await analyze.query(`VACUUM ANALYZE ${STORE_TABLES.join(", ")}`)
  await analyze.end()
  const refs = {
    "records+index": postgresReference(args.pg, schema, false),
    "full scan": postgresReference(args.pg, schema, true),
  }
  await measure("PostgreSQL", store, refs)
  for (const ref of Object.values(refs)) await ref.close()
  await store.close()
}
