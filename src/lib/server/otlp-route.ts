/**
 * `POST /v1/logs` (ingest token): OpenTelemetry logs over OTLP/HTTP JSON, so a machine running Claude Code reports
 * with no install (docs/collectors.md). Claude Code's `api_request` events become records (otlp.ts), validated and
 * committed exactly as `POST /ingest/usage` does (prepareBatch, the group committer); other events are
 * acknowledged and ignored. Answers the OTLP way: 200 `{}`, or 200 with `partialSuccess` when some were refused.
 * gzip and deflate bodies are accepted; protobuf (`application/x-protobuf`) is 415 with the setting to change.
 */
import type { FastifyInstance } from "fastify"
import { UsageHubError } from "../errors.js"
import { decompressHook } from "./ingest-body.js"
import { headerNode, prepareBatch } from "./ingest-records.js"
import { claudeCodeEvents, countLogRecords, type OtlpLogsRequest, otlpAnswer, parseOtlpLogsJson } from "./otlp.js"
import type { RouteContext } from "./routes.js"

export const OTLP_LOGS_PATH = "/v1/logs"

const PROTOBUF_MESSAGE =
  "OTLP/HTTP protobuf is not supported: send OTLP/HTTP JSON (set OTEL_EXPORTER_OTLP_PROTOCOL=http/json, or OTEL_EXPORTER_OTLP_LOGS_PROTOCOL=http/json)"

/** The 200 of POST /v1/logs, for fastify's compiled serializer. */
const OTLP_RESULT_SCHEMA = {
  type: "object",
  properties: {
    partialSuccess: {
      type: "object",
      properties: { rejectedLogRecords: { type: "integer" }, errorMessage: { type: "string" } },
    },
  },
} as const

export function registerOtlpRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.register(async (otlp) => {
    otlp.removeAllContentTypeParsers()
    const options = { parseAs: "buffer" as const, bodyLimit: ctx.limits.bodyLimit }
    otlp.addContentTypeParser("application/json", options, (_request, body: Buffer, done) => {
      let parsed: OtlpLogsRequest
      try {
        parsed = parseOtlpLogsJson(body)
      } catch (error) {
        return done(error as Error, undefined)
      }
      const count = countLogRecords(parsed)
      if (count > ctx.limits.maxRecords) {
        const message = `the body holds ${count} log records, more than the limit of ${ctx.limits.maxRecords} (lower OTEL_BLRP_MAX_EXPORT_BATCH_SIZE)`
        return done(new UsageHubError("PAYLOAD_TOO_LARGE", message), undefined)
      }
      done(null, parsed)
    })
    otlp.addContentTypeParser(["application/x-protobuf", "application/protobuf"], (_request, _payload, done) => {
      done(new UsageHubError("UNSUPPORTED_MEDIA_TYPE", PROTOBUF_MESSAGE), undefined)
    })
    otlp.addContentTypeParser("*", (request, _payload, done) => {
      const type = JSON.stringify(request.headers["content-type"] ?? "")
      done(
        new UsageHubError(
          "UNSUPPORTED_MEDIA_TYPE",
          `unsupported Content-Type ${type}: send OTLP/HTTP JSON (application/json)`,
        ),
        undefined,
      )
    })
    otlp.post<{ Body: OtlpLogsRequest | undefined }>(
      OTLP_LOGS_PATH,
      {
        config: { auth: "ingest" },
        preParsing: decompressHook(ctx.limits.bodyLimit),
        bodyLimit: ctx.limits.bodyLimit,
        schema: { response: { 200: OTLP_RESULT_SCHEMA } },
      },
      async (request, reply) => {
        if (!request.body) throw new UsageHubError("UNPARSEABLE_BODY", "the body is empty")
        const { items, paths } = claudeCodeEvents(request.body)
        const fallbackNode = headerNode(request.headers["x-usage-node"])
        const { records, rejected } = prepareBatch({ format: "json", items }, fallbackNode)
        if (rejected.length > 0) ctx.metrics.recordsRejected.inc(rejected.length)
        // Accepted and duplicate records are counted once per commit (app.ts, onCommit).
        if (records.length > 0) await ctx.committer.submit(records)
        return reply.send(otlpAnswer(rejected, paths))
      },
    )
  })
}
