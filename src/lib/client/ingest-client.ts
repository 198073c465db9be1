/**
 * One delivery attempt to `POST /ingest/usage`: a batch of already-serialised record lines sent as
 * `{"node", "records": [...]}`, gzip-compressed, over the global `fetch` (keep-alive in Node and Bun; nock
 * intercepts it; no undici, so the package root stays Bun-safe). The answer is classified for the adapter's
 * retry policy: ok (with the server's report), retry (network, timeout, 408, 429, 5xx; Retry-After read),
 * too-large (413), refused (400: records refused for good), auth (401/403), misconfigured (other 4xx) or
 * unsendable (no request could even be built from the configuration: a token a header cannot carry, a bad URL).
 * The node travels in the body only (a header cannot carry every node id the record schema allows).
 */
import { gzip } from "node:zlib"
import { joinUrl } from "./api-client.js"

export interface IngestRejection {
  index: number
  error: string
}

export type IngestOutcome =
  | { kind: "ok"; status: number; accepted: number; duplicates: number; rejected: IngestRejection[] }
  | { kind: "retry"; status?: number; reason: string; retryAfterMs?: number }
  | { kind: "too-large"; status: 413; reason: string }
  | { kind: "refused"; status: number; reason: string; rejected?: IngestRejection[] }
  | { kind: "auth"; status: number; reason: string }
  | { kind: "misconfigured"; status: number; reason: string }
  /** The request could not be built (nothing was sent): a configuration error that no retry fixes. */
  | { kind: "unsendable"; reason: string }

export interface IngestRequest {
  endpoint: string
  token?: string
  node: string
  /** Records, each already JSON. */
  lines: readonly string[]
  timeoutMs: number
  fetch?: typeof globalThis.fetch
  /** Aborts the attempt (close()); the batch is then not acknowledged. */
  signal?: AbortSignal
}

function gzipAsync(data: string): Promise<Buffer> {
  return new Promise((resolve, reject) => gzip(data, { level: 6 }, (err, out) => (err ? reject(err) : resolve(out))))
}

/** Builds the request body from serialised records without parsing them again. */
export function ingestBody(node: string, lines: readonly string[]): string {
  return `{"node":${JSON.stringify(node)},"records":[${lines.join(",")}]}`
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000)
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? undefined : Math.max(0, at - now)
}

function describeFailure(error: unknown): string {
  const err = error as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } }
  const code = err?.cause?.code ?? err?.code
  const message = err?.cause?.message ?? err?.message ?? String(error)
  return code && !message.includes(code) ? `${code} ${message}` : message
}

function readRejected(body: unknown): IngestRejection[] | undefined {
  const b = body as { rejected?: unknown; error?: { rejected?: unknown } } | undefined
  const list = Array.isArray(b?.rejected)
    ? b.rejected
    : Array.isArray(b?.error?.rejected)
      ? b.error.rejected
      : undefined
  if (!list) return undefined
  return list
    .filter((r): r is { index: number; error?: unknown } => typeof (r as { index?: unknown })?.index === "number")
    .map((r) => ({ index: r.index, error: typeof r.error === "string" ? r.error : JSON.stringify(r.error) }))
}

function errorMessage(body: unknown, fallback: string): string {
  const message = (body as { error?: { message?: unknown } } | undefined)?.error?.message
  return typeof message === "string" ? message : fallback
}

/** The request's headers, or why they cannot be built (never quoting the token). */
function buildRequest(url: string, token: string | undefined): Headers | string {
  try {
    new URL(url)
  } catch {
    return "the endpoint is not a valid URL"
  }
  const headers = new Headers({
    "content-type": "application/json",
    "content-encoding": "gzip",
    accept: "application/json",
  })
  if (token) {
    try {
      headers.set("authorization", `Bearer ${token}`)
    } catch {
      return "the token cannot be sent in an HTTP header (it holds a control character or one beyond U+00FF)"
    }
  }
  return headers
}

/** Sends one batch and classifies the answer. Never throws for HTTP or network trouble. */
export async function postIngest(request: IngestRequest): Promise<IngestOutcome> {
  const url = joinUrl(request.endpoint, "/ingest/usage")
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort(new Error(`no answer within ${request.timeoutMs} ms`))
  }, request.timeoutMs)
  const onAbort = () => controller.abort(request.signal?.reason)
  request.signal?.addEventListener("abort", onAbort, { once: true })
  if (request.signal?.aborted) onAbort()
  const fetchImpl = request.fetch ?? globalThis.fetch
  try {
    // Built (and so validated) before anything is sent: an error here is the configuration's, not the
    // network's, and must not be retried as if the service were unreachable.
    const built = buildRequest(url, request.token)
    if (typeof built === "string") return { kind: "unsendable", reason: `cannot build a request to ${url}: ${built}` }
    const headers = built
    const body = await gzipAsync(ingestBody(request.node, request.lines))
    let status: number
    let text: string
    let retryAfter: string | null
    try {
      const response = await fetchImpl(url, { method: "POST", headers, body, signal: controller.signal })
      status = response.status
      retryAfter = response.headers.get("retry-after")
      // The body is read under the same deadline: a reply cut off mid-body is a failed attempt.
      text = await response.text()
    } catch (error) {
      const reason = timedOut ? `no answer within ${request.timeoutMs} ms` : describeFailure(error)
      return { kind: "retry", reason: `cannot reach ${request.endpoint}: ${reason}` }
    }
    let json: unknown
    try {
      json = text ? JSON.parse(text) : undefined
    } catch {
      json = undefined
    }
    const retryAfterMs = parseRetryAfter(retryAfter)
    const fallback = `${url} answered ${status}`
    if (status >= 200 && status < 300) {
      const report = json as { accepted?: unknown; duplicates?: unknown } | undefined
      if (typeof report?.accepted !== "number") {
        // Not the service's report (a proxy page, or a body cut short): the records may not be stored.
        return { kind: "retry", status, reason: `${fallback} without an ingest report` }
      }
      return {
        kind: "ok",
        status,
        accepted: report.accepted,
        duplicates: typeof report.duplicates === "number" ? report.duplicates : 0,
        rejected: readRejected(json) ?? [],
      }
    }
    const reason = errorMessage(json, fallback)
    if (status === 408 || status === 429 || status >= 500) return { kind: "retry", status, reason, retryAfterMs }
    if (status === 413) return { kind: "too-large", status, reason }
    if (status === 400 || status === 422) return { kind: "refused", status, reason, rejected: readRejected(json) }
    if (status === 401 || status === 403) return { kind: "auth", status, reason }
    return { kind: "misconfigured", status, reason }
  } finally {
    clearTimeout(timer)
    request.signal?.removeEventListener("abort", onAbort)
  }
}
