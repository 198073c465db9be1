/**
 * Store locations, the one way every caller (the CLI's sources, `usage serve`, migrate-file, prune) names a
 * store: `:memory:`, a SQLite path, or a `postgres://`/`postgresql://` URL. Normalising (paths made absolute,
 * `~` expanded, `:memory:` and URLs kept as given) and redacting (a URL's password never reaches a message).
 * Pure: loads no store and no driver.
 */
import { resolve } from "node:path"
import { type Env, expandHome } from "../paths.js"
import { redactUrl } from "./store-error.js"

/** Whether a location names a PostgreSQL store (`postgres://` or `postgresql://`, any case). */
export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location)
}

/** `:memory:` and postgres:// URLs are kept as they are; paths get `~` expanded and are made absolute. */
export function normaliseStoreLocation(location: string, env: Env = process.env): string {
  if (location === ":memory:" || isPostgresLocation(location)) return location
  return resolve(expandHome(location, env))
}

/** A location for messages: a PostgreSQL URL without its password, anything else as it is. */
export function redactLocation(location: string): string {
  return isPostgresLocation(location) ? redactUrl(location) : location
}
