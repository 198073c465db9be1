/**
 * `usage-hub/store`: opens a store by location (`openStore`, src/lib/store/open.ts): `:memory:` or a path ->
 * SQLite, `postgres://` or `postgresql://` -> PostgreSQL; and the store classes. The drivers are imported lazily: each backend class imports its driver
 * (better-sqlite3, pg) with a dynamic `import()` inside its `open()`, so importing this module (and the
 * classes it exports, for tests and instanceof checks) loads no driver and no native addon; only opening a
 * store of a kind loads that kind's driver. Errors are UsageHubError("STORE_ERROR"), one line naming the
 * location (never a password).
 */

import { PostgresStore, type PostgresStoreOptions } from "./postgres/store.js"
import { SqliteStore, type SqliteStoreOptions } from "./sqlite/store.js"

export { isPostgresLocation, normaliseStoreLocation, redactLocation } from "./location.js"
export { type OpenStoreOptions, openStore, openStoreAt, type StoreKind, storeKindOf } from "./open.js"
export type { AggregateRow, InsertResult, RecordFilter, StoreStats, UsageStore } from "./store.js"
export { PostgresStore, type PostgresStoreOptions, SqliteStore, type SqliteStoreOptions }
