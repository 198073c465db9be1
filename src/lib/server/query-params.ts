/**
 * The query strings of the read endpoints, validated with zod: summary (filters, range, tz, by), trends
 * (`range=7d|30d` or `days=N`), export (format and filters) and the SSE stream (a summary query plus the
 * `token` that EventSource has to send in the URL). Unknown parameters are ignored; bad values are 400.
 */
import { z } from "zod"
import { UsageHubError } from "../errors.js"
import { EXPORT_FORMATS, type ExportFormat } from "../export-format.js"
import { resolveTimeZone } from "../periods.js"
import { REPORT_PERIODS, type ReportQuery } from "../query/report.js"
import type { SessionsQuery } from "../query/sessions.js"
import type { SummaryQuery } from "../query/summary.js"
import type { TrendsQuery } from "../query/trends.js"
import { MAX_TREND_DAYS } from "../query/trends.js"
import { describeIssues } from "../record.js"
import type { RecordFilter } from "../store/store.js"
import { GROUP_BY_VALUES } from "../summary-types.js"
import { parseTimeRange } from "../time-range.js"

const text = (max: number) => z.string().min(1).max(max)

const filterShape = {
  provider: text(128).optional(),
  node: text(128).optional(),
  model: text(256).optional(),
  agent: text(64).optional(),
  project: text(256).optional(),
  since: text(64).optional(),
  until: text(64).optional(),
  tz: text(64).optional(),
}

const summarySchema = z.object({ ...filterShape, by: z.enum(GROUP_BY_VALUES).optional() })
const trendsSchema = z.object({
  range: z.enum(["7d", "30d"]).optional(),
  days: z
    .string()
    .regex(/^\d{1,3}$/, "must be a whole number of days")
    .transform(Number)
    .pipe(z.number().int().min(1).max(MAX_TREND_DAYS))
    .optional(),
  node: text(128).optional(),
  tz: text(64).optional(),
})
const reportSchema = z.object({
  ...filterShape,
  period: z.enum(REPORT_PERIODS),
  by: z.enum(GROUP_BY_VALUES).optional(),
  order: z.enum(["asc", "desc"]).optional(),
  startOfWeek: z.enum(["0", "1", "2", "3", "4", "5", "6"]).transform(Number).optional(),
})
const exportSchema = z.object({ ...filterShape, format: z.enum(EXPORT_FORMATS).optional() })
const sessionsSchema = z.object({
  ...filterShape,
  limit: z
    .string()
    .regex(/^\d{1,5}$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(1).max(10_000))
    .optional(),
  order: z.enum(["asc", "desc"]).optional(),
})

function parse<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const raw = (query ?? {}) as Record<string, unknown>
  for (const [key, value] of Object.entries(raw)) {
    if (Array.isArray(value)) throw new UsageHubError("INVALID_QUERY", `${key} must be given once`)
  }
  const result = schema.safeParse(raw)
  if (!result.success) throw new UsageHubError("INVALID_QUERY", describeIssues(result.error))
  return result.data
}

/**
 * The filter of a query and its zone: `tz=` when given, else the service's. Dates without a zone in
 * `since`/`until` are read in that zone (never in the process's local zone).
 */
function filterOf(
  q: {
    provider?: string
    node?: string
    model?: string
    agent?: string
    project?: string
    since?: string
    until?: string
    tz?: string
  },
  defaults: { tz: string },
): { tz: string; filter: RecordFilter } {
  const tz = resolveQueryTz(q.tz, defaults)
  const { provider, node, model, agent, project } = q
  return { tz, filter: { provider, node, model, agent, project, ...parseTimeRange(q.since, q.until, tz) } }
}

/** A time zone from the query (INVALID_QUERY when unknown), else the service's. */
function resolveQueryTz(tz: string | undefined, defaults: { tz: string }): string {
  if (tz === undefined) return defaults.tz
  try {
    return resolveTimeZone(tz)
  } catch (error) {
    throw new UsageHubError("INVALID_QUERY", (error as Error).message)
  }
}

export function parseSummaryQuery(query: unknown, defaults: { tz: string }): SummaryQuery {
  const q = parse(summarySchema, query)
  const { tz, filter } = filterOf(q, defaults)
  return { ...filter, tz, by: q.by }
}

/** `GET /api/usage/report`: period (day|week|month), the summary's filters, range and tz, by, order, startOfWeek. */
export function parseReportQuery(query: unknown, defaults: { tz: string }): ReportQuery {
  const q = parse(reportSchema, query)
  const { tz, filter } = filterOf(q, defaults)
  return { ...filter, tz, period: q.period, by: q.by, order: q.order, startOfWeek: q.startOfWeek }
}

/** `GET /api/usage/sessions`: the summary's filters, range and tz, limit (1..10000, default 50), order. */
export function parseSessionsQuery(query: unknown, defaults: { tz: string }): SessionsQuery {
  const q = parse(sessionsSchema, query)
  const { tz, filter } = filterOf(q, defaults)
  return { ...filter, tz, limit: q.limit, order: q.order }
}

export function parseTrendsQuery(provider: string, query: unknown, defaults: { tz: string }): TrendsQuery {
  const q = parse(trendsSchema, query)
  if (q.range !== undefined && q.days !== undefined) {
    throw new UsageHubError("INVALID_QUERY", "give range or days, not both")
  }
  if (provider.length < 1 || provider.length > 128) {
    throw new UsageHubError("INVALID_QUERY", "provider must be 1 to 128 characters")
  }
  const rangeDays = q.days ?? (q.range === "30d" ? 30 : 7)
  return { provider, rangeDays, node: q.node, tz: resolveQueryTz(q.tz, defaults) }
}

export function parseExportQuery(
  query: unknown,
  defaults: { tz: string },
): { format: ExportFormat; filter: RecordFilter } {
  const q = parse(exportSchema, query)
  return { format: q.format ?? "json", filter: filterOf(q, defaults).filter }
}

/** The stream's summary query, and a key that is equal for clients asking the same thing. */
export function parseStreamQuery(query: unknown, defaults: { tz: string }): { key: string; query: SummaryQuery } {
  const raw = { ...((query ?? {}) as Record<string, unknown>) }
  delete raw.token
  const summary = parseSummaryQuery(raw, defaults)
  const key = JSON.stringify([
    summary.provider,
    summary.node,
    summary.model,
    summary.agent,
    summary.project,
    summary.since?.getTime(),
    summary.until?.getTime(),
    summary.tz,
    summary.by,
  ])
  return { key, query: summary }
}
