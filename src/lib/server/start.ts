/**
 * Starts the service: opens the store when given a location (closing it on close), builds the app and
 * listens. Returns the listening URL and a `close()` that stops accepting, finishes in-flight requests and
 * commits, ends SSE streams and closes the store it opened.
 */
import { openAlertStore } from "../budgets/alert-store.js"
import { isUsageHubError, UsageHubError } from "../errors.js"
import { normaliseStoreLocation, redactLocation } from "../store/location.js"
import { openStoreAt } from "../store/open.js"
import type { UsageStore } from "../store/store.js"
import { type AppOptions, createApp, type UsageHubApp } from "./app.js"

export interface StartOptions extends Omit<AppOptions, "store"> {
  /** A store to serve (the caller keeps it open and closes it)… */
  store?: UsageStore
  /** …or a location to open: a SQLite path, `:memory:` or postgres://… */
  db?: string
  /** Default 127.0.0.1. */
  host?: string
  /** Default 3001; 0 picks a free port. */
  port?: number
  /** How long close() lets requests in flight finish before it cuts their connections (default 10 s). */
  shutdownTimeoutMs?: number
  /** SQLite `synchronous` for a store opened from `db` (default: the store's, FULL; `usage serve`: NORMAL). */
  synchronous?: "FULL" | "NORMAL"
}

export interface RunningServer {
  app: UsageHubApp
  store: UsageStore
  /** e.g. http://127.0.0.1:3001 */
  url: string
  port: number
  /** What is served, for the start line: "sqlite /var/lib/usage-hub/usage.db". */
  storeDescription: string
  close(): Promise<void>
}

export const DEFAULT_PORT = 3001
export const DEFAULT_HOST = "127.0.0.1"

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host
}

export async function startServer(options: StartOptions): Promise<RunningServer> {
  const {
    store: given,
    db,
    host = DEFAULT_HOST,
    port = DEFAULT_PORT,
    shutdownTimeoutMs = 10_000,
    synchronous,
    ...appOptions
  } = options
  if (!given && !db) throw new UsageHubError("BAD_USAGE", "startServer needs a store or a db location")
  const location = db === undefined ? undefined : normaliseStoreLocation(db)
  const store = given ?? (await openStoreAt(location!, { create: true, synchronous }))
  const ownsStore = !given
  let app: UsageHubApp
  // Budget alerts are claimed beside the records (their own tables), unless the caller gives a place.
  const opensAlerts = !appOptions.alertStore && location !== undefined
  let alertStore = appOptions.alertStore
  try {
    if (opensAlerts) alertStore = await openAlertStore(location)
    const ownsAlertStore = opensAlerts || appOptions.ownsAlertStore
    app = await createApp({ ...appOptions, store, closeStore: ownsStore, alertStore, ownsAlertStore })
  } catch (error) {
    if (opensAlerts) await alertStore?.close()
    if (ownsStore) await store.close()
    throw error
  }
  try {
    await app.listen({ host, port })
  } catch (error) {
    await app.close()
    if (isUsageHubError(error)) throw error
    const e = error as NodeJS.ErrnoException
    const reason =
      e.code === "EADDRINUSE" ? "address already in use" : e.code === "EACCES" ? "permission denied" : e.message
    throw new UsageHubError("LISTEN_FAILED", `cannot listen on ${urlHost(host)}:${port}: ${reason}`, { cause: error })
  }
  const address = app.server.address()
  const boundPort = typeof address === "object" && address ? address.port : port
  const scheme = appOptions.https ? "https" : "http"
  let closing: Promise<void> | undefined
  return {
    app,
    store,
    url: `${scheme}://${urlHost(host)}:${boundPort}`,
    port: boundPort,
    storeDescription: location === undefined ? store.kind : `${store.kind} ${redactLocation(location)}`,
    close: () => {
      closing ??= (async () => {
        const cut = setTimeout(() => app.server.closeAllConnections(), shutdownTimeoutMs)
        cut.unref()
        try {
          await app.close()
        } finally {
          clearTimeout(cut)
        }
      })()
      return closing
    },
  }
}
