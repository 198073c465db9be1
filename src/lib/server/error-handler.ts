/**
 * The service's one error handler: every failure becomes `{"error": {"code", "message"}}` with the status of
 * its code in ERROR_TABLE (src/lib/errors.ts, which also says which code a bare status stands for and what a
 * client reads for a 5xx), never a stack trace. UsageHubErrors keep their code and details; fastify's own
 * errors (body too large, bad JSON, bad media type, bad Content-Length, a malformed URL, an over-long path
 * parameter) and requests Node's HTTP parser refuses map to the matching code. A 5xx answer carries a
 * generic message only: the detail (driver text, database paths) is logged, never sent.
 */
import { STATUS_CODES as HTTP_REASONS } from "node:http"
import type { Socket } from "node:net"
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from "fastify"
import { codeForStatus, ERROR_TABLE, type ErrorCode, isUsageHubError, publicMessage, UsageHubError } from "../errors.js"
import { authChallenge } from "./auth.js"

/** Longest path parameter the router takes (a provider name is 1 to 128 characters). */
export const MAX_PARAM_LENGTH = 128

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "UNPARSEABLE_BODY",
  FST_ERR_CTP_EMPTY_JSON_BODY: "UNPARSEABLE_BODY",
  FST_ERR_CTP_INVALID_JSON_BODY: "UNPARSEABLE_BODY",
  FST_ERR_VALIDATION: "INVALID_QUERY",
  FST_ERR_BAD_URL: "BAD_USAGE",
  FST_ERR_MAX_PARAM_LENGTH: "INVALID_QUERY",
}

/** Messages of our own for fastify errors whose text is not meant for clients (or quotes the whole URL). */
const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_BAD_URL: "the URL is not valid (malformed percent-encoding in the path)",
  FST_ERR_MAX_PARAM_LENGTH: `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`,
}

/** What a client reads for a failure of the store: the detail (driver text, paths) stays in the service log. */
export const STORE_FAILED_MESSAGE = publicMessage("STORE_ERROR") as string

/**
 * A 5xx for the client: a code the API answers with (ERROR_TABLE's `api`) keeps its code and gets the table's
 * public message (STORE_UNAVAILABLE says why: disk full, read-only); anything else is INTERNAL. Never the detail.
 */
function serverFailure(error: unknown, code: ErrorCode | undefined): UsageHubError {
  const kept: ErrorCode = code && ERROR_TABLE[code].api ? code : "INTERNAL"
  const details = isUsageHubError(error) ? error.details : undefined
  return new UsageHubError(kept, publicMessage(kept, details) ?? "internal error", { cause: error })
}

/**
 * Maps anything thrown in a request to a UsageHubError that is safe to show the client. 4xx errors are the
 * client's own input and keep their message; 5xx answers get a generic message (log the original).
 */
export function toClientError(error: unknown): UsageHubError {
  if (isUsageHubError(error)) return error.status >= 500 ? serverFailure(error, error.code) : error
  const e = error as Partial<FastifyError> & { status?: number }
  const status = e.statusCode ?? e.status
  const code = (e.code && FASTIFY_CODES[e.code]) || (status && status < 500 ? codeForStatus(status) : undefined)
  if (code) {
    const message =
      (e.code && FASTIFY_MESSAGES[e.code]) ??
      (e.code?.startsWith("FST_ERR_CTP_BODY") || code === "UNSUPPORTED_MEDIA_TYPE" ? publicMessage(code) : e.message)
    return new UsageHubError(code, message ?? "bad request")
  }
  if (status && status >= 400 && status < 500) return new UsageHubError("BAD_USAGE", e.message ?? "bad request")
  return serverFailure(error, undefined)
}

/** Answers any failure of a request in the API's error shape. */
function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const clientError = toClientError(error)
  // The detail of a 5xx is in the log only; a request refused during shutdown is expected, not a failure.
  if (clientError.code === "UNREACHABLE") request.log.info("request refused: shutting down")
  else if (clientError.status >= 500) request.log.error({ err: error }, "request failed")
  const body = clientError.toJSON()
  // A 400 for records carries the ingest report too, so clients read `rejected` in one place.
  const extra = clientError.details?.rejected
    ? { accepted: 0, duplicates: 0, rejected: clientError.details.rejected }
    : {}
  const challenge = authChallenge(clientError)
  if (challenge) reply.header("www-authenticate", challenge)
  reply
    .status(clientError.status)
    .type("application/json; charset=utf-8")
    .send({ ...body, ...extra })
}

/**
 * Server options that route fastify's framework errors (raised before a route runs: a malformed URL, an
 * over-long path parameter) and the requests Node's HTTP parser refuses through the same mapping.
 */
export const errorServerOptions: Pick<
  FastifyServerOptions,
  "frameworkErrors" | "clientErrorHandler" | "routerOptions"
> = {
  routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  frameworkErrors: (error, request, reply) => sendError(error, request, reply),
  clientErrorHandler(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket) {
    // A reset connection has nobody to answer.
    if (error.code === "ECONNRESET" || socket.destroyed) return
    const clientError =
      error.code === "HPE_HEADER_OVERFLOW"
        ? new UsageHubError("PAYLOAD_TOO_LARGE", "the request headers are larger than the limit")
        : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? new UsageHubError("REQUEST_TIMEOUT", "the request was not received in time")
          : new UsageHubError("BAD_USAGE", "the request is not valid HTTP")
    this.log.debug({ err: error }, "client error")
    if (socket.writable) {
      const body = JSON.stringify(clientError.toJSON())
      socket.write(
        `HTTP/1.1 ${clientError.status} ${HTTP_REASONS[clientError.status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nX-Content-Type-Options: nosniff\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      )
    }
    socket.destroy(error)
  },
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    sendError(error, request, reply)
  })
  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const error = new UsageHubError("NOT_FOUND", `no route ${request.method} ${request.url.split("?")[0]}`)
    reply.status(404).send(error.toJSON())
  })
}
