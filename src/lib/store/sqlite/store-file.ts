/**
 * Which file a SQLite store was opened on, for the code that opens its own connection to the same database
 * (the export worker: worker-export.ts). `openStore` remembers the resolved path of every file-backed SQLite
 * store it opens; an in-memory store, a PostgreSQL store or a store opened otherwise has none, and callers
 * then keep to the store's own methods.
 */

const files = new WeakMap<object, string>()

/** Records that `store` is the SQLite database at the absolute path `file`. */
export function rememberSqliteFile(store: object, file: string): void {
  files.set(store, file)
}

/** The absolute path of the SQLite file `store` was opened on, if `openStore` opened it on one. */
export function sqliteFileOf(store: object): string | undefined {
  return files.get(store)
}
