/**
 * A chaos-only entry point: the built service (dist/lib/server's startServer, the same app as `usage serve`)
 * over a real SQLite store whose database is FULL while the file FULL_FLAG exists: the store's connection is
 * capped at its current page count (`PRAGMA max_page_count`), so every write that needs a page fails with
 * SQLite's own SQLITE_FULL through the store's real code path; when the flag file goes away the cap is lifted
 * (space came back). Production code never reads FULL_FLAG: only this script does.
 *   FULL_FLAG=/tmp/x/full node chaos/lib/serve-with-faults.js --db <path> --port <port>
 */
import { existsSync } from "node:fs"
import { parseArgs } from "node:util"
import { startServer } from "../../dist/lib/server/index.js"
import { SqliteStore } from "../../dist/lib/store/sqlite/store.js"

const { values } = parseArgs({
  options: { db: { type: "string" }, port: { type: "string" }, "log-level": { type: "string", default: "warn" } },
})
const flag = process.env.FULL_FLAG
if (!values.db || !values.port || !flag) {
  console.error("usage: FULL_FLAG=<file> node chaos/lib/serve-with-faults.js --db <path> --port <port>")
  process.exit(2)
}
const store = await SqliteStore.open(values.db, { synchronous: "NORMAL" })
// The store's own connection (private in TypeScript): the only place SQLite's page cap applies.
const db = store.db
const UNCAPPED = db.pragma("max_page_count", { simple: true })
let full = false
const watch = setInterval(() => {
  const now = existsSync(flag)
  if (now === full) return
  full = now
  db.pragma(`max_page_count = ${full ? db.pragma("page_count", { simple: true }) : UNCAPPED}`)
  console.error(`serve-with-faults: the database is ${full ? "full" : "writable again"}`)
}, 50)
const server = await startServer({ store, host: "127.0.0.1", port: Number(values.port), logLevel: values["log-level"] })
console.log(`usage-hub listening on ${server.url} (sqlite ${values.db}, full while ${flag} exists)`)
const stop = async () => {
  clearInterval(watch)
  await server.close()
  await store.close()
  process.exit(0)
}
process.once("SIGTERM", stop)
process.once("SIGINT", stop)
