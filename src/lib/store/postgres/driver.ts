/**
 * Loads pg, the PostgreSQL driver, for the PostgreSQL store and the budget alert store. With a synchronous
 * `require`: pg is CommonJS (~45 files with its dependencies), and an ES-module import of CommonJS costs each
 * file an asynchronous read and a parse of its exports (`import("pg")` took 203 ms and `require("pg")` 178 ms
 * in a bare process here, `node -e ''` 109 ms). When loaded, pg asks whether it runs in Cloudflare Workers:
 * without a global `navigator` (Node 20) it constructs a `Response`, which loads Node's fetch (~20 ms of a CLI
 * run). A `navigator` with a Node user agent, present only during the load, gives the same answer (not Workers)
 * without it.
 */
import { createRequire } from "node:module"
import type pg from "pg"

export type PgDriver = typeof pg

let driver: PgDriver | undefined

/** pg's default export (Pool, Client, types), loaded once. */
export function loadDriver(): PgDriver {
  if (driver) return driver
  const require = createRequire(import.meta.url)
  const global = globalThis as { navigator?: unknown }
  if (global.navigator !== undefined) driver = require("pg") as PgDriver
  else {
    global.navigator = { userAgent: `Node.js/${process.versions.node}` }
    try {
      driver = require("pg") as PgDriver
    } finally {
      delete global.navigator
    }
  }
  return driver
}
