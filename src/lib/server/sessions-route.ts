/**
 * `GET /api/usage/sessions` (the sessions report: src/lib/query/sessions.ts) and `GET /api/usage/nodes` (each
 * node's last receipt time and calls in the last hour, at the service's clock), both read-token routes answered
 * from the store's aggregates kept at insert.
 */
import type { FastifyInstance } from "fastify"
import { storeNodes, storeSessions } from "../query/sessions.js"
import { parseSessionsQuery } from "./query-params.js"
import type { RouteContext } from "./routes.js"

export function registerSessionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  app.get("/api/usage/sessions", { config: { auth: "read" } }, async (request) =>
    storeSessions(ctx.store, parseSessionsQuery(request.query, { tz: ctx.tz })),
  )
  app.get("/api/usage/nodes", { config: { auth: "read" } }, async () => storeNodes(ctx.store, ctx.clock()))
}
