/**
 * Opens a store by location: `:memory:` or a path -> SQLite, `postgres://` or `postgresql://` -> PostgreSQL.
 * Each backend's module (and, inside its `open()`, its driver) is imported only when a store of that kind is
 * opened, so a SQLite run of the CLI never loads the PostgreSQL store (nor `node:crypto`), and importing this
 * module loads neither. `openStoreAt` is the callers' door (the CLI's commands, `usage serve`): any failure
 * is one STORE_ERROR line naming the location without its password.
 */
import { resolve } from "node:path"
import { isUsageHubError, UsageHubError } from "../errors.js"
import { expandHome } from "../paths.js"
import { isPostgresLocation, redactLocation } from "./location.js"
import type { PostgresStoreOptions } from "./postgres/store.js"
import type { SqliteStoreOptions } from "./sqlite/store.js"
import { rememberSqliteFile } from "./sqlite/store-file.js"
import type { UsageStore } from "./store.js"

export type OpenStoreOptions = SqliteStoreOptions & PostgresStoreOptions

export type StoreKind = "sqlite" | "postgres"

/** Which backend a location names. */
export function storeKindOf(location: string): StoreKind {
  return isPostgresLocation(location) ? "postgres" : "sqlite"
}

/** Opens (creating and migrating when needed) the store at `location`. */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<UsageStore> {
  if (location.trim() === "")
    throw new UsageHubError("STORE_ERROR", "no store location given (a path, :memory: or postgres://…)")
  if (isPostgresLocation(location)) {
    const { PostgresStore } = await import("./postgres/store.js")
    return PostgresStore.open(location, options)
  }
  const { SqliteStore } = await import("./sqlite/store.js")
  if (location === ":memory:") return SqliteStore.open(location, options)
  const file = resolve(expandHome(location))
  const store = await SqliteStore.open(file, options)
  rememberSqliteFile(store, file)
  return store
}

/**
 * Opens the store at a location for a command or the service. Reads open an existing store only
 * (`create: false`); writes (migrate-file, serve) create it. A failure that is not already a UsageHubError
 * becomes one STORE_ERROR line naming the location without its password.
 */
export async function openStoreAt(
  location: string,
  options: { create: boolean; synchronous?: "FULL" | "NORMAL" },
): Promise<UsageStore> {
  try {
    return await openStore(location, { create: options.create, synchronous: options.synchronous })
  } catch (error) {
    if (isUsageHubError(error)) throw error
    throw new UsageHubError(
      "STORE_ERROR",
      `cannot open store ${redactLocation(location)}: ${(error as Error).message.split("\n")[0]}`,
      { cause: error },
    )
  }
}
