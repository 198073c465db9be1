/**
 * A small client of the service's read API (`GET /api/usage/summary`, `/api/usage/provider/:p/trends`,
 * `/api/usage/export`, `/healthz`) over the global `fetch` (plugin-safe: no undici). Bearer read token, a
 * timeout, the server's `{"error": {code, message}}` turned into a UsageHubError with that code, a network
 * failure into UNREACHABLE. Dates in answers are revived into Date objects so results equal the library's
 * in-memory shapes.
 */
import type { BudgetsAnswer } from "../budgets/budget-types.js"
import { codeForStatus, type ErrorCode, isErrorCode, UsageHubError } from "../errors.js"
import type { ExportFormat } from "../export-format.js"
import { type ReportJson, type ReportQuery, type ReportResult, reportFromJson } from "../query/report.js"
import type { NodesJson, SessionsJson, SessionsQuery } from "../query/sessions.js"
import { parseRecord, type UsageRecord } from "../record.js"
import type { GroupBy, TrendData, UsageSummaryResult } from "../summary-types.js"

export type FetchLike = typeof globalThis.fetch

export interface ApiClientOptions {
  /** Base URL of `usage serve`, e.g. http://master-node:3001 (a path prefix is kept). */
  endpoint: string
  /** Bearer token for `/api/*` (the read token). */
  token?: string
  /** Give up on a request after this long without an answer (and, for streams, without a chunk). Default 10 s. */
  timeoutMs?: number
  /** The fetch to use (tests); default the global one. */
  fetch?: FetchLike
}

export interface SummaryParams {
  provider?: string
  node?: string
  model?: string
  agent?: string
  project?: string
  since?: Date | string
  until?: Date | string
  tz?: string
  by?: GroupBy
}

export interface TrendsParams {
  rangeDays?: number
  node?: string
  tz?: string
}

export interface ExportParams {
  provider?: string
  node?: string
  model?: string
  agent?: string
  project?: string
  since?: Date | string
  until?: Date | string
}

type Query = Record<string, string | number | Date | undefined>

/** Joins a base URL (trailing slashes dropped) and a path. */
export function joinUrl(endpoint: string, path: string): string {
  return endpoint.replace(/\/+$/, "") + path
}

function queryString(params: Query): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === "") continue
    search.set(key, value instanceof Date ? value.toISOString() : String(value))
  }
  const text = search.toString()
  return text ? `?${text}` : ""
}

function describeCause(error: unknown): string {
  const err = error as { message?: string; cause?: { code?: string; message?: string } }
  const cause = err?.cause
  if (cause?.code) return cause.message ? `${cause.code} ${cause.message}` : cause.code
  return err?.message ?? String(error)
}

/** The UsageHubError for a non-2xx answer: the server's own code and message when it sent them. */
export async function errorFromResponse(response: Response, url: string): Promise<UsageHubError> {
  let body: unknown
  const text = await response.text().catch(() => "")
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error
  const code = isErrorCode(error?.code) ? error.code : undefined
  const message =
    typeof error?.message === "string" ? error.message : `${url} answered ${response.status} ${response.statusText}`
  if (code) return new UsageHubError(code, message, { details: { status: response.status } })
  // No code in the body (a proxy's answer): the code the status stands for (errors.ts), else the upstream failed.
  const fallback: ErrorCode = codeForStatus(response.status) ?? "UPSTREAM_ERROR"
  return new UsageHubError(fallback, message, { details: { status: response.status } })
}

/** Revives the ISO dates of a summary answer (periodStart, nextReset, generatedAt, since, until). */
export function reviveSummary(json: unknown): UsageSummaryResult {
  const result = json as UsageSummaryResult & Record<string, unknown>
  for (const summary of Object.values(result.summaries ?? {})) {
    summary.periodStart = new Date(summary.periodStart)
    summary.nextReset = new Date(summary.nextReset)
  }
  if (result.generatedAt !== undefined) result.generatedAt = new Date(result.generatedAt)
  if (result.since !== undefined) result.since = new Date(result.since)
  if (result.until !== undefined) result.until = new Date(result.until)
  return result
}

/** An answer parsed by its zod schema (loaded by the caller), else UPSTREAM_ERROR naming the path. */
function checkedAnswer<T>(
  schema: { safeParse(value: unknown): { success: true; data: T } | { success: false; error: { message: string } } },
  json: unknown,
  path: string,
): T {
  const parsed = schema.safeParse(json)
  if (!parsed.success)
    throw new UsageHubError("UPSTREAM_ERROR", `${path} answered an unexpected shape: ${parsed.error.message}`)
  return parsed.data
}

/** Aborts after `ms` unless `touch()`ed (an idle timer: each chunk of a stream restarts it). */
function idleAbort(ms: number): { signal: AbortSignal; touch(): void; clear(): void } {
  const controller = new AbortController()
  let timer: ReturnType<typeof setTimeout> | undefined
  const arm = () => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => controller.abort(new Error(`no answer within ${ms} ms`)), ms)
  }
  arm()
  return {
    signal: controller.signal,
    touch: arm,
    clear: () => {
      if (timer) clearTimeout(timer)
    },
  }
}

export class UsageApiClient {
  readonly endpoint: string
  private readonly token?: string
  private readonly timeoutMs: number
  private readonly fetchImpl: FetchLike

  constructor(options: ApiClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, "")
    this.token = options.token
    this.timeoutMs = options.timeoutMs ?? 10_000
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  }

  /** GET a path; resolves with the (ok) response, whose body is still to read under `timer`. */
  private async get(
    path: string,
    accept: string,
  ): Promise<{ response: Response; url: string; timer: ReturnType<typeof idleAbort> }> {
    const url = joinUrl(this.endpoint, path)
    const timer = idleAbort(this.timeoutMs)
    const headers: Record<string, string> = { accept }
    if (this.token) headers.authorization = `Bearer ${this.token}`
    let response: Response
    try {
      response = await this.fetchImpl(url, { headers, signal: timer.signal })
    } catch (error) {
      timer.clear()
      const why = timer.signal.aborted ? `no answer within ${this.timeoutMs} ms` : describeCause(error)
      throw new UsageHubError("UNREACHABLE", `cannot reach ${this.endpoint}: ${why}`, { cause: error })
    }
    if (!response.ok) {
      try {
        throw await errorFromResponse(response, url)
      } finally {
        timer.clear()
      }
    }
    return { response, url, timer }
  }

  private async getJson(path: string): Promise<unknown> {
    const { response, timer } = await this.get(path, "application/json")
    try {
      return await response.json()
    } catch (error) {
      const why = timer.signal.aborted ? `no answer within ${this.timeoutMs} ms` : describeCause(error)
      throw new UsageHubError("UNREACHABLE", `cannot reach ${this.endpoint}: ${why}`, { cause: error })
    } finally {
      timer.clear()
    }
  }

  /** `GET /api/usage/summary`: per-provider summaries of the current period (or a range), dates revived. */
  async summary(params: SummaryParams = {}): Promise<UsageSummaryResult> {
    return reviveSummary(await this.getJson(`/api/usage/summary${queryString({ ...params })}`))
  }

  /** `GET /api/usage/provider/:provider/trends`. */
  async trends(provider: string, params: TrendsParams = {}): Promise<TrendData> {
    const query = queryString({ days: params.rangeDays, node: params.node, tz: params.tz })
    return (await this.getJson(`/api/usage/provider/${encodeURIComponent(provider)}/trends${query}`)) as TrendData
  }

  /** `GET /api/usage/trends`: every provider's trend with usage in the range (or `provider`'s alone), costliest first. */
  async allTrends(params: TrendsParams & { provider?: string } = {}): Promise<TrendData[]> {
    const query = queryString({ days: params.rangeDays, provider: params.provider, node: params.node, tz: params.tz })
    return (await this.getJson(`/api/usage/trends${query}`)) as TrendData[]
  }

  /** `GET /api/usage/report?period=day|week|month`: a period report, dates revived. */
  async report(query: ReportQuery): Promise<ReportResult> {
    const { period, provider, node, model, agent, project, since, until, tz, by, startOfWeek, order } = query
    const params = { period, provider, node, model, agent, project, since, until, tz, by, startOfWeek, order }
    return reportFromJson(period, (await this.getJson(`/api/usage/report${queryString(params)}`)) as ReportJson)
  }

  /** `GET /api/usage/budgets`: every budget in its current period. */
  async budgets(): Promise<BudgetsAnswer> {
    return (await this.getJson("/api/usage/budgets")) as BudgetsAnswer
  }

  /** `GET /api/usage/sessions`: the sessions report, checked against its schema (an odd answer is UPSTREAM_ERROR). */
  async sessions(query: SessionsQuery = {}): Promise<SessionsJson> {
    const { provider, node, model, agent, project, since, until, tz, limit, order } = query
    const params = { provider, node, model, agent, project, since, until, tz, limit, order }
    const json = await this.getJson(`/api/usage/sessions${queryString(params)}`)
    const { sessionsJsonSchema } = await import("../query/sessions-schema.js")
    return checkedAnswer(sessionsJsonSchema, json, "/api/usage/sessions")
  }

  /** `GET /api/usage/nodes`: each node's last receipt time and calls in the last hour. */
  async nodes(): Promise<NodesJson> {
    const json = await this.getJson("/api/usage/nodes")
    const { nodesJsonSchema } = await import("../query/sessions-schema.js")
    return checkedAnswer(nodesJsonSchema, json, "/api/usage/nodes")
  }

  /** `GET /healthz`. */
  async health(): Promise<Record<string, unknown>> {
    return (await this.getJson("/healthz")) as Record<string, unknown>
  }

  /** `GET /api/usage/export` in any format, as raw chunks (for piping to stdout or a file). */
  async *exportRaw(params: ExportParams = {}, format: ExportFormat = "ndjson"): AsyncGenerator<Uint8Array> {
    const path = `/api/usage/export${queryString({ ...params, format })}`
    const accept = format === "csv" ? "text/csv" : format === "ndjson" ? "application/x-ndjson" : "application/json"
    const { response, timer } = await this.get(path, accept)
    try {
      if (!response.body) return
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        timer.touch()
        yield chunk
      }
    } catch (error) {
      if (error instanceof UsageHubError) throw error
      const why = timer.signal.aborted ? `no data within ${this.timeoutMs} ms` : describeCause(error)
      throw new UsageHubError("UNREACHABLE", `export from ${this.endpoint} broke off: ${why}`, { cause: error })
    } finally {
      timer.clear()
    }
  }

  /** All matching records, streamed as NDJSON and parsed into records (timestamps as Date), in chunks. */
  async *exportRecords(params: ExportParams = {}, chunkSize = 1000): AsyncGenerator<UsageRecord[]> {
    const decoder = new TextDecoder()
    let pending = ""
    let chunk: UsageRecord[] = []
    let line = 0
    const take = (text: string): void => {
      line += 1
      if (text.trim() === "") return
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch {
        throw new UsageHubError("UPSTREAM_ERROR", `export line ${line} is not JSON`)
      }
      const parsed = parseRecord(value)
      if (!parsed.ok) throw new UsageHubError("UPSTREAM_ERROR", `export line ${line} is not a record: ${parsed.error}`)
      chunk.push(parsed.record)
    }
    for await (const bytes of this.exportRaw(params, "ndjson")) {
      pending += decoder.decode(bytes, { stream: true })
      const lines = pending.split("\n")
      pending = lines.pop() ?? ""
      for (const text of lines) take(text)
      if (chunk.length >= chunkSize) {
        yield chunk
        chunk = []
      }
    }
    pending += decoder.decode()
    take(pending)
    if (chunk.length > 0) yield chunk
  }

  /** All matching records in one array. */
  async allRecords(params: ExportParams = {}): Promise<UsageRecord[]> {
    const out: UsageRecord[] = []
    for await (const chunk of this.exportRecords(params)) for (const r of chunk) out.push(r)
    return out
  }
}
