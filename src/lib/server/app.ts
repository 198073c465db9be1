/**
 * Builds the fastify instance of the service: logger, error handlers, auth per route, metrics, the group
 * committer and SSE hub wired to the store, the budgets (evaluated after each commit), the routes and the dashboard. It does not listen (see
 * start.ts) and closes what it owns on `app.close()`: SSE streams first, then (when asked) the store.
 */
import { readFileSync } from "node:fs"
import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify"
import type { AlertStore } from "../budgets/alert-store.js"
import { BudgetService, type BudgetTuning } from "../budgets/budget-service.js"
import { registerBudgetsRoute } from "../budgets/budgets-route.js"
import { type Clock, systemClock } from "../clock.js"
import type { ServiceConfig } from "../config.js"
import { UsageHubError } from "../errors.js"
import { type ResetSchedules, resolveTimeZone } from "../periods.js"
import { storeReader } from "../query/store-reader.js"
import type { SummaryQuery } from "../query/summary.js"
import type { UsageStore } from "../store/store.js"
import { checkToken, parseTokenOption, redactUrl, requireRouteAuth, type TokenSource } from "./auth.js"
import { type ConnectionLimits, httpServerOptions, resolveConnectionLimits } from "./connection-limits.js"
import { registerDashboard } from "./dashboard.js"
import { errorServerOptions, installErrorHandlers } from "./error-handler.js"
import { type CommitTouched, GroupCommitter } from "./group-commit.js"
import { DEFAULT_BODY_LIMIT, DEFAULT_MAX_RECORDS } from "./ingest-body.js"
import { createMetrics, durationObserver } from "./metrics.js"
import { registerRoutes } from "./routes.js"
import { SseHub, type SseTimers, summaryAffectedBy } from "./sse.js"

/** Groups the committer runs at once on a PostgreSQL store (its pool holds 10 connections by default). */
const POSTGRES_COMMIT_CONCURRENCY = 3

export interface AppOptions {
  store: UsageStore
  /** Close the store when the app closes (default false: the caller owns it). */
  closeStore?: boolean
  /** Time zone of periods and days (default: the process's local zone). */
  tz?: string
  clock?: Clock
  schedules?: ResetSchedules
  /** Ingest tokens: a TokenSource, or an option value (comma-separated tokens or a file). None: ingest is open. */
  ingestToken?: TokenSource | string
  /** Read tokens, likewise. None: reads are open. */
  readToken?: TokenSource | string
  /** Body limit in bytes after decompression (default 16 MiB). */
  bodyLimit?: number
  /** Records per request (default 50,000). */
  maxRecords?: number
  /** pino level; "silent" (the default here) turns logging off. Request logs appear at "info". */
  logLevel?: string
  /** Where log lines go (default stdout). */
  logStream?: { write(line: string): void }
  /** SSE heartbeat period (default 15 s). */
  heartbeatMs?: number
  /** Live updates (sse.ts): least time between two updates of one query, their share of the time, streams per token. */
  sse?: { minIntervalMs?: number; maxShare?: number; maxStreamsPerOwner?: number; timers?: SseTimers }
  /** Also export process metrics (CPU, memory, event loop) on /metrics. */
  processMetrics?: boolean
  https?: { cert: string | Buffer; key: string | Buffer }
  /** Timeouts and the connection cap (default: connection-limits.ts, docs/operations.md). */
  connections?: Partial<ConnectionLimits>
  /** The config file's `service` object: budgets and alert webhooks (docs/budgets.md). */
  service?: ServiceConfig
  /** Where budget alerts are claimed and queued (default: in memory); closed with the app when `ownsAlertStore`. */
  alertStore?: AlertStore
  ownsAlertStore?: boolean
  /** Budget evaluation and webhook retry timings (tests shorten them). */
  budgetTuning?: BudgetTuning
}

export interface UsageHubApp extends FastifyInstance {
  /** Waits until queued commits and SSE updates are done (tests, shutdown). */
  usageHubIdle(): Promise<void>
  /** Batches waiting for a commit (tests: a request has reached the committer). */
  usageHubWaiting(): number
  /** Records left the store outside ingestion (retention's prune): every live summary is computed again. */
  usageHubChanged(): void
  /** The budgets: `configure()` applies a reloaded `service` config. */
  usageHubBudgets: BudgetService
}

function packageVersion(): string {
  try {
    return JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")).version
  } catch {
    return "0.0.0"
  }
}

const tokenSource = (value: TokenSource | string | undefined, name: string): TokenSource | undefined =>
  typeof value === "string" ? parseTokenOption(value, name) : value

export async function createApp(options: AppOptions): Promise<UsageHubApp> {
  const tz = resolveTimeZone(options.tz)
  const clock = options.clock ?? systemClock
  const ingestTokens = tokenSource(options.ingestToken, "ingest token")
  const readTokens = tokenSource(options.readToken, "read token")
  const limits = {
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    maxRecords: options.maxRecords ?? DEFAULT_MAX_RECORDS,
  }
  const connections = resolveConnectionLimits(options.connections)
  const serverOptions: FastifyServerOptions & { https?: AppOptions["https"]; http?: object } = {
    logger: {
      level: options.logLevel ?? "silent",
      ...(options.logStream ? { stream: options.logStream } : {}),
      serializers: {
        req: (req: { method: string; url: string; ip?: string }) => ({
          method: req.method,
          url: redactUrl(req.url),
          ip: req.ip,
        }),
      },
    },
    bodyLimit: limits.bodyLimit,
    // Slow or idle clients are cut: header, whole-request, idle and keep-alive timeouts (connection-limits.ts).
    connectionTimeout: connections.idleTimeoutMs,
    requestTimeout: connections.requestTimeoutMs,
    keepAliveTimeout: connections.keepAliveTimeoutMs,
    http: httpServerOptions(connections),
    forceCloseConnections: "idle",
    // While closing, requests still arriving get the API's 503 from the onRequest hook, not fastify's body.
    return503OnClosing: false,
    ...errorServerOptions,
  }
  if (options.https) serverOptions.https = { ...options.https, ...httpServerOptions(connections) }
  const app = Fastify(serverOptions) as unknown as UsageHubApp
  if (connections.maxConnections > 0) app.server.maxConnections = connections.maxConnections

  const store = options.store
  const metrics = createMetrics(store, { process: options.processMetrics })
  const hub = new SseHub<SummaryQuery, CommitTouched>({
    summarize: storeReader({ store, clock, schedules: options.schedules }).summary,
    affects: summaryAffectedBy,
    heartbeatMs: options.heartbeatMs,
    ...options.sse,
    onClientsChanged: (n) => metrics.sseClients.set(n),
    onError: (error) => app.log.error({ err: error }, "SSE summary failed"),
  })
  const budgets = new BudgetService({
    store,
    alerts: options.alertStore,
    ownsAlerts: options.ownsAlertStore,
    tz,
    schedules: options.schedules,
    now: () => clock().getTime(),
    onAlert: (alert) => hub.broadcast("budget", JSON.stringify(alert)),
    log: (message, error) => app.log.warn(error ? { err: error } : {}, message),
    ...options.budgetTuning,
  })
  const committer = new GroupCommitter(store, {
    // PostgreSQL commits wait on the network and lock rollup rows in key order: overlap a few. SQLite has one
    // writer, and its commits run on this thread anyway.
    concurrency: store.kind === "postgres" ? POSTGRES_COMMIT_CONCURRENCY : 1,
    onCommit: (event) => {
      metrics.commits.inc()
      if (event.accepted > 0) metrics.recordsAccepted.inc(event.accepted)
      if (event.duplicates > 0) metrics.recordsDuplicate.inc(event.duplicates)
      // Only a commit that stored something changes a summary, and only the summaries of what it touched.
      if (event.accepted > 0) hub.notify(event.touched)
      if (event.accepted > 0) budgets.onCommit(event.records, event.results)
    },
  })
  app.decorate("usageHubChanged", () => hub.notify())
  app.decorate("usageHubWaiting", () => committer.waiting)
  app.decorate("usageHubBudgets", budgets)
  app.decorate("usageHubIdle", async () => {
    await committer.idle()
    await hub.settled()
  })

  installErrorHandlers(app)
  // Auth fails closed: a route registered without `config.auth` stops the start.
  requireRouteAuth(app)
  // While closing, answers to requests still in flight close their keep-alive connection, so close() ends.
  let closing = false
  // Hooks in callback style (no promise per request per hook): they run on every request.
  app.addHook("onRequest", (request, _reply, done) => {
    if (closing) return done(new UsageHubError("UNREACHABLE", "the service is shutting down; retry shortly"))
    const config = request.routeOptions.config
    try {
      if (config.auth === "ingest") checkToken(ingestTokens, request, "ingest", false, readTokens)
      else if (config.auth === "read") checkToken(readTokens, request, "read", config.queryToken === true, ingestTokens)
    } catch (error) {
      return done(error as Error)
    }
    done()
  })
  const observeDuration = durationObserver(metrics)
  app.addHook("onResponse", (request, reply, done) => {
    observeDuration(request.method, request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000)
    done()
  })
  app.addHook("onSend", (request, reply, _payload, done) => {
    // An answer given before the body arrived (401/403 from auth, 413 from a Content-Length over the limit)
    // closes the connection rather than waiting on a client that may dribble the body it promised.
    if (closing || !request.raw.complete) reply.header("connection", "close")
    // Browsers take every answer as the type it declares (no sniffing JSON or CSV into HTML or script).
    reply.header("x-content-type-options", "nosniff")
    done()
  })
  app.addHook("preClose", async () => {
    closing = true
    hub.close()
  })
  app.addHook("onClose", async () => {
    await committer.idle()
    await hub.settled()
    await budgets.close()
    if (options.closeStore) await store.close()
  })

  registerRoutes(app, {
    store,
    committer,
    metrics,
    hub,
    limits,
    clock,
    tz,
    schedules: options.schedules,
    startedAt: Date.now(),
    version: packageVersion(),
  })
  registerBudgetsRoute(app, budgets)
  registerDashboard(app)
  if (options.service) await budgets.configure(options.service)
  await app.ready()
  return app
}
