/**
 * The PostgreSQL the tests use (`USAGE_TEST_PG`, default the machine's local server) and the one way a suite
 * skips, with a clear message, when it is not reachable.
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
