/**
 * The PostgreSQL the tests use (`USAGE_TEST_PG`, default the machine's local server), the one way a suite
 * skips, with a clear message, when it is not reachable, and the one way a test gets a place of its own there:
 * a schema of this run (`testSchemas`) or a fresh database (`freshDatabase`), both dropped afterwards.
 */
import pg from "pg"

export const PG_TEST_URL = process.env.USAGE_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test"

/** Skips the calling suite (from a `before` hook) when PostgreSQL does not answer. */
export async function skipWithoutPostgres(context: Mocha.Context, url = PG_TEST_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    await client.end()
  } catch (error) {
    console.log(`    (PostgreSQL not reachable at ${url}: ${(error as Error).message || error}; skipping)`)
    context.skip()
  }
}

/** Runs `fn` with a client connected to `url`, ended afterwards. */
export async function withPgClient<T>(fn: (client: pg.Client) => Promise<T>, url = PG_TEST_URL): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

export interface TestSchemas {
  /** A new schema name of this run (`<prefix>_<pid>_<time>_<n>`). */
  next(): string
  /** Drops every schema handed out (an `after` hook). */
  drop(): Promise<void>
}

/** Schema names unique to this run, each dropped by `drop()`. */
export function testSchemas(prefix: string): TestSchemas {
  const run = `${prefix}_${process.pid}_${Date.now().toString(36)}`
  const made: string[] = []
  return {
    next() {
      const schema = `${run}_${made.length}`
      made.push(schema)
      return schema
    },
    async drop() {
      if (made.length === 0) return
      const schemas = made.splice(0)
      await withPgClient(async (client) => {
        for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      })
    },
  }
}

/** A fresh database (dropped by `drop()`), or undefined when PostgreSQL is not reachable. */
export async function freshDatabase(url = PG_TEST_URL): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
  try {
    await admin.connect()
  } catch {
    return undefined
  }
  const name = `usage_cli_${process.pid}_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const at = new URL(url)
  at.pathname = `/${name}`
  return {
    url: at.toString(),
    async drop() {
      await withPgClient((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`), url)
    },
  }
}
