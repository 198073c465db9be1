/**
 * The routes of the service (docs/api.md). Each handler parses its input, calls the query plans,
 * the group committer or the store, and answers; auth is declared per route (`config.auth`) and checked by
 * the app's onRequest hook.
 */
import { createHash } from "node:crypto"
import type { FastifyInstance, FastifyRequest } from "fastify"
import type { Clock } from "../clock.js"
import { UsageHubError } from "../errors.js"
import type { ResetSchedules } from "../periods.js"
import { allTrendsPlan } from "../query/all-trends.js"
import { runPlan } from "../query/plan.js"
import { reportJson } from "../query/report.js"
import { storeReader } from "../query/store-reader.js"
import type { SummaryQuery } from "../query/summary.js"
import type { UsageStore } from "../store/store.js"
import { parseAllTrendsQuery } from "./all-trends.js"
import { presentedToken } from "./auth.js"
import { STORE_FAILED_MESSAGE } from "./error-handler.js"
import { registerExportRoute } from "./export-route.js"
import type { CommitTouched, GroupCommitter } from "./group-commit.js"
import { decompressHook, type IngestBody, type IngestLimits, registerIngestParsers } from "./ingest-body.js"
import { headerNode, noValidRecord, prepareBatch } from "./ingest-records.js"
import type { ServiceMetrics } from "./metrics.js"
import { openApiDocument } from "./openapi.js"
import { registerOtlpRoute } from "./otlp-route.js"
import { parseReportQuery, parseStreamQuery, parseSummaryQuery, parseTrendsQuery } from "./query-params.js"
import { registerSessionRoutes } from "./sessions-route.js"
import type { SseHub } from "./sse.js"

export type RouteAuth = "ingest" | "read" | "public"

declare module "fastify" {
  interface FastifyContextConfig {
    auth?: RouteAuth
    /** Accept the token as `?token=` too (SSE). */
    queryToken?: boolean
  }
}

export interface RouteContext {
  store: UsageStore
  committer: GroupCommitter
  metrics: ServiceMetrics
  hub: SseHub<SummaryQuery, CommitTouched>
  limits: IngestLimits
  clock: Clock
  tz: string
  schedules?: ResetSchedules
  startedAt: number
  version: string
}

/** Who holds a live stream, for the per-token cap: the token presented (its digest), else the client's address. */
function streamOwner(request: FastifyRequest): string {
  const token = presentedToken(request, true)
  return token ? `token:${createHash("sha256").update(token).digest("base64")}` : `ip:${request.ip}`
}

/** The 200 of POST /ingest/usage, for fastify's compiled serializer (cheaper than JSON.stringify). */
const INGEST_RESULT_SCHEMA = {
  type: "object",
  properties: {
    accepted: { type: "integer" },
    duplicates: { type: "integer" },
    rejected: {
      type: "array",
      items: { type: "object", properties: { index: { type: "integer" }, error: { type: "string" } } },
    },
  },
} as const

export function registerRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const defaults = { tz: ctx.tz }
  const reader = storeReader({ store: ctx.store, clock: ctx.clock, tz: ctx.tz, schedules: ctx.schedules })

  app.register(async (ingest) => {
    registerIngestParsers(ingest, ctx.limits)
    ingest.post<{ Body: IngestBody | undefined }>(
      "/ingest/usage",
      {
        config: { auth: "ingest" },
        preParsing: decompressHook(ctx.limits.bodyLimit),
        bodyLimit: ctx.limits.bodyLimit,
        schema: { response: { 200: INGEST_RESULT_SCHEMA } },
      },
      async (request, reply) => {
        const { records, rejected } = prepareBatch(request.body, headerNode(request.headers["x-usage-node"]))
        if (rejected.length > 0) ctx.metrics.recordsRejected.inc(rejected.length)
        if (records.length === 0) throw noValidRecord(rejected)
        // Accepted and duplicate records are counted once per commit (app.ts, onCommit).
        const result = await ctx.committer.submit(records)
        return reply.send({ accepted: result.accepted, duplicates: result.duplicates, rejected })
      },
    )
  })
  registerOtlpRoute(app, ctx)
  registerSessionRoutes(app, ctx)

  app.get("/api/usage/summary", { config: { auth: "read" } }, async (request) =>
    reader.summary(parseSummaryQuery(request.query, defaults)),
  )

  app.get<{ Params: { provider: string } }>(
    "/api/usage/provider/:provider/trends",
    { config: { auth: "read" } },
    async (request) => reader.trends(parseTrendsQuery(request.params.provider, request.query, defaults)),
  )

  app.get("/api/usage/trends", { config: { auth: "read" } }, async (request) =>
    runPlan(allTrendsPlan(parseAllTrendsQuery(request.query, defaults), ctx.clock()), ctx.store),
  )

  app.get("/api/usage/report", { config: { auth: "read" } }, async (request) =>
    reportJson(await reader.report(parseReportQuery(request.query, defaults))),
  )

  registerExportRoute(app, ctx)

  app.get("/api/usage/stream", { config: { auth: "read", queryToken: true } }, async (request, reply) => {
    const { key, query } = parseStreamQuery(request.query, defaults)
    const owner = streamOwner(request)
    if (!ctx.hub.hasRoom(owner))
      throw new UsageHubError(
        "TOO_MANY_STREAMS",
        "this token (or address) holds the most live streams allowed; close some (dashboards) and retry",
      )
    reply.hijack()
    await ctx.hub.add(reply.raw, key, query, owner)
  })

  app.get("/healthz", { config: { auth: "public" } }, async (request, reply) => {
    const uptimeSeconds = Math.round((Date.now() - ctx.startedAt) / 1000)
    try {
      const stats = await ctx.store.stats()
      return {
        status: "ok",
        version: ctx.version,
        uptimeSeconds,
        store: { kind: ctx.store.kind, status: "ok", ...stats },
      }
    } catch (error) {
      // The endpoint is public: the store's detail (driver text, paths) goes to the log only.
      request.log.error({ err: error }, "health check: the store failed")
      return reply.status(503).send({
        status: "error",
        version: ctx.version,
        uptimeSeconds,
        store: { kind: ctx.store.kind, status: "error", error: STORE_FAILED_MESSAGE },
      })
    }
  })

  app.get("/metrics", { config: { auth: "read" } }, async (_request, reply) => {
    const text = await ctx.metrics.registry.metrics()
    return reply.type(ctx.metrics.registry.contentType).send(text)
  })

  const document = openApiDocument(ctx.version)
  app.get("/openapi.json", { config: { auth: "public" } }, async () => document)
}
