/**
 * `usage-hub/store`: opens a store by location. `:memory:` or a path -> SQLite, `postgres://` or
 * `postgresql://` -> PostgreSQL. The drivers are imported lazily: each backend class imports its driver
 * (better-sqlite3, pg) with a dynamic `import()` inside its `open()`, so importing this module (and the
 * classes it exports, for tests and instanceof checks) loads no driver and no native addon; only opening a
 * store of a kind loads that kind's driver. Errors are UsageHubError("STORE_ERROR"), one line naming the
 * location (never a password).
 */

import { UsageHubError } from "../errors.js"
import { expandHome } from "../paths.js"
import { PostgresStore, type PostgresStoreOptions } from "./postgres/store.js"
import { SqliteStore, type SqliteStoreOptions } from "./sqlite/store.js"
import type { UsageStore } from "./store.js"

export type { AggregateRow, InsertResult, RecordFilter, StoreStats, UsageStore } from "./store.js"
export { PostgresStore, type PostgresStoreOptions, SqliteStore, type SqliteStoreOptions }

export type OpenStoreOptions = SqliteStoreOptions & PostgresStoreOptions

export type StoreKind = "sqlite" | "postgres"

export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location)
}

/** Which backend a location names. */
export function storeKindOf(location: string): StoreKind {
  return isPostgresLocation(location) ? "postgres" : "sqlite"
}

/** Opens (creating and migrating when needed) the store at `location`. */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<UsageStore> {
  if (location.trim() === "")
    throw new UsageHubError("STORE_ERROR", "no store location given (a path, :memory: or postgres://…)")
  if (isPostgresLocation(location)) return PostgresStore.open(location, options)
  return SqliteStore.open(location === ":memory:" ? location : expandHome(location), options)
}
