/**
 * Reference (6), the ceiling of ingestion into PostgreSQL through `pg`: multi-row inserts into the store's
 * own `usage_records` table (same schema and primary key, created by the store's migration), 1000 rows per
 * statement as one `INSERT … SELECT FROM unnest(column arrays) ON CONFLICT DO NOTHING`, each statement its own
 * transaction (synchronous_commit as the server has it), no rollups. Also the admin helpers that create and
 * drop the benchmark's databases.
 */
import pg from "pg"
import { RECORD_COLUMNS } from "./raw-sqlite.js"

const TYPES = [
  "text",
  "text",
  "bigint",
  "text",
  "text",
  "text",
  "text",
  "bigint",
  "bigint",
  "bigint",
  "bigint",
  "bigint",
  "bigint",
  "smallint",
  "text",
  "text",
]
/** The reference's statement: one multi-row insert of column arrays (RECORD_COLUMNS order). */
export const INSERT = `INSERT INTO usage_records (${RECORD_COLUMNS.join(", ")})
SELECT * FROM unnest(${TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(", ")}) ON CONFLICT DO NOTHING`

export const PG_ADMIN_URL =
  process.env.USAGE_BENCH_PG ?? process.env.USAGE_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test"

/** The URL of database `name` on the admin URL's server. */
export function databaseUrl(name) {
  const url = new URL(PG_ADMIN_URL)
  url.pathname = `/${name}`
  return url.toString()
}

export async function adminClient() {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 })
  await client.connect()
  return client
}

export async function createDatabase(admin, name) {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  await admin.query(`CREATE DATABASE ${name}`)
  return databaseUrl(name)
}

export async function dropDatabase(admin, name) {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
}

export async function openRawPg(url) {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  return {
    client,
    /** Inserts `rows` (positional, raw-sqlite.js order) `txSize` per statement; returns { inserted, ms }. */
    async insertAll(rows, txSize = 1000) {
      const t0 = performance.now()
      let inserted = 0
      for (let i = 0; i < rows.length; i += txSize) {
        const chunk = rows.slice(i, i + txSize)
        const columns = TYPES.map((_, c) => chunk.map((row) => row[c]))
        inserted += (await client.query(INSERT, columns)).rowCount
      }
      return { inserted, ms: performance.now() - t0 }
    },
    close: () => client.end(),
  }
}
