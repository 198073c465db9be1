/**
 * Cached PostgreSQL fixtures for the benchmarks that only read (reports, sessions): a database of N records
 * over the 60 days ending at FIXTURE_END (the SQLite fixture's data, seed 42, loaded through the store's own
 * insertBatches as bench/benchmarks/postgres.js loads its databases, then VACUUM ANALYZE as autovacuum
 * would), kept between runs on the server of PG_ADMIN_URL as `usage_hub_fixture_<N>_<key>`. The key hashes the
 * PostgreSQL migrations' SQL, the rollup levels and the generator version, so a changed schema builds a new
 * database (the stale one of the same size is dropped). A database is built under a temporary name and
 * renamed when complete, so an interrupted build is never used. `timePg` times a statement through pg.
 */
import { createHash } from "node:crypto"
import { chunks, DATA_VERSION, DAY_MS, FIXTURE_END_MS, generateRecords, toStored } from "./data.js"
import { log, storeApi } from "./fixtures.js"
import { adminClient, databaseUrl, dropDatabase } from "./raw-postgres.js"

const DIST = new URL("../../dist/lib/", import.meta.url)
const PREFIX = "usage_hub_fixture_"

async function fixtureKey() {
  const { MIGRATIONS } = await import(new URL("store/postgres/schema.js", DIST).href)
  const { ROLLUP_LEVELS, NARROW_LEVELS } = await import(new URL("store/rollup.js", DIST).href)
  return createHash("sha1")
    .update(`postgres:${DATA_VERSION}`)
    .update(JSON.stringify(MIGRATIONS))
    .update(JSON.stringify([...ROLLUP_LEVELS, ...(NARROW_LEVELS ?? [])].map((l) => [l.name, l.table])))
    .digest("hex")
    .slice(0, 10)
}

/**
 * The URL of a PostgreSQL database of `count` records (built on first use), or throws when the server is
 * unreachable (the caller reports its rows as not measured).
 */
export async function postgresFixture(count) {
  const admin = await adminClient()
  try {
    const name = `${PREFIX}${count}_${await fixtureKey()}`
    const { rows } = await admin.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [
      `${PREFIX}${count}\\_%`,
    ])
    if (rows.some((r) => r.datname === name)) return databaseUrl(name)
    for (const r of rows) await dropDatabase(admin, r.datname)
    const building = `${name}_b${process.pid}`
    await dropDatabase(admin, building)
    await admin.query(`CREATE DATABASE ${building}`)
    const t0 = Date.now()
    const { openStore } = await storeApi()
    const store = await openStore(databaseUrl(building))
    try {
      const records = generateRecords({ count, startMs: FIXTURE_END_MS - 60 * DAY_MS, endMs: FIXTURE_END_MS, seed: 42 })
      let done = 0
      for (const chunk of chunks(records, 20_000)) {
        await store.insertBatches([chunk.map((r) => toStored(r))])
        done += chunk.length
        if (count >= 500_000 && done % 200_000 === 0) log(`PostgreSQL fixture ${count}: ${done} records`)
      }
    } finally {
      await store.close()
    }
    const pg = (await import("pg")).default
    const client = new pg.Client({ connectionString: databaseUrl(building) })
    await client.connect()
    try {
      await client.query("VACUUM ANALYZE")
    } finally {
      await client.end()
    }
    await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`)
    log(`built PostgreSQL fixture of ${count} records in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    return databaseUrl(name)
  } finally {
    await admin.end()
  }
}

/** Times `text` on a connected pg `client`, `reps` times after one warm-up run; ms samples. */
export async function timeQuery(client, text, values, reps) {
  await client.query(text, values)
  const samples = []
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    await client.query(text, values)
    samples.push(performance.now() - t0)
  }
  return samples
}

/** Times `text` through pg on `url` (a connection of its own), as timeQuery does; ms samples. */
export async function timePg(url, text, values, reps) {
  const pg = (await import("pg")).default
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await timeQuery(client, text, values, reps)
  } finally {
    await client.end()
  }
}
