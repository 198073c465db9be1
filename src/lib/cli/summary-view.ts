/**
 * `usage summary` for people: one row per provider for its current billing period (or the asked range) with
 * cost, share of the total, calls, tokens (cache and reasoning tokens when any are known), unpriced calls,
 * nodes, and for current periods the period start and next reset, then a total row (said to add periods of
 * different lengths when it does, with the total per period kind under the table); with `--by` a second table
 * per model, node, task type, agent or project, with its own total. Rows by cost, dearest first (`--order asc`
 * reverses). Compact tables keep name, cost, share, calls, input and output. Every value shown is in the
 * `--json` output (the API's shape).
 */
import type { GroupBy, ProviderUsageSummary, UsageSummaryResult } from "../summary-types.js"
import {
  type Align,
  formatCount,
  formatDate,
  formatShare,
  formatUsd,
  PLAIN,
  renderTable,
  type TableStyle,
} from "./format.js"

const BY_LABEL: Record<GroupBy, string> = {
  provider: "Provider",
  model: "Model",
  node: "Node",
  taskType: "Task type",
  agent: "Agent",
  project: "Project",
}

interface Totals {
  totalCost: number
  callCount: number
  totalInputTokens: number
  totalOutputTokens: number
  totalCacheReadTokens?: number
  totalCacheWriteTokens?: number
  totalReasoningTokens?: number
  unpricedCalls?: number
}

/** The optional token columns present in the data (a column of zeros only says "not known here"); none when compact. */
function optionalColumns(rows: Totals[], compact: boolean): Array<{ title: string; value: (row: Totals) => number }> {
  if (compact) return []
  const columns = [
    { title: "Cache read", value: (r: Totals) => r.totalCacheReadTokens ?? 0 },
    { title: "Cache write", value: (r: Totals) => r.totalCacheWriteTokens ?? 0 },
    { title: "Reasoning", value: (r: Totals) => r.totalReasoningTokens ?? 0 },
  ]
  return columns.filter((c) => rows.some((r) => c.value(r) > 0))
}

function sum(rows: Totals[], pick: (r: Totals) => number | undefined): number {
  return rows.reduce((acc, r) => acc + (pick(r) ?? 0), 0)
}

function shareOf(cost: number, total: number, given?: number): number {
  if (given !== undefined) return given
  return total > 0 ? (cost / total) * 100 : 0
}

/** Whether the answer holds any call at all. */
export function hasUsage(result: UsageSummaryResult): boolean {
  return Object.values(result.summaries).some((s) => s.callCount > 0)
}

/** What the empty answer was asked with, for its hints. */
export interface EmptyContext {
  /** The provider filter given, if any. */
  provider?: string
  /** The day of the last matching record, when only past periods have records. */
  lastRecordDay?: string
}

/**
 * What is printed when there is nothing to show: one line, then a hint when one helps: the known providers
 * when a provider filter matched nothing (names match exactly), or when the last record was and `--since`
 * when every record is in a past period.
 */
export function emptySummaryLine(result: UsageSummaryResult, context: EmptyContext = {}): string {
  const ranged = result.since !== undefined || result.until !== undefined
  if (result.knownProviders && context.provider !== undefined) {
    const known = result.knownProviders
    if (known.length === 0) return "No usage recorded yet."
    const near = known.find((p) => p.toLowerCase() === context.provider!.toLowerCase())
    return [
      `No usage recorded for provider ${JSON.stringify(context.provider)} (provider names match exactly).`,
      near ? `Did you mean --provider ${near}?` : `Known providers: ${known.join(", ")}.`,
    ].join("\n")
  }
  if (ranged) return "No usage recorded in that range."
  if (context.lastRecordDay) {
    return [
      "No usage recorded for the current period.",
      `The last record is from ${context.lastRecordDay}: try --since ${context.lastRecordDay.slice(0, 8)}01 (or --last 3m).`,
    ].join("\n")
  }
  return "No usage recorded for the current period."
}

/**
 * The end of a range in words: an end at midnight names the last whole day included ("through 2026-11-03",
 * as a bare `--until 2026-11-03` reads), any other end the exclusive instant ("until 2026-11-03 10:00").
 */
export function rangeEnd(until: Date | undefined, tz: string): string {
  if (!until) return "until now"
  const shown = formatDate(until, tz)
  if (shown.length > 10) return `until ${shown}`
  return `through ${formatDate(new Date(until.getTime() - 1), tz).slice(0, 10)}`
}

export type SortOrder = "asc" | "desc"

function isRanged(result: UsageSummaryResult): boolean {
  return result.since !== undefined || result.until !== undefined
}

/** The period kinds (weekly, monthly) the Total adds, when it adds more than one. */
function mixedKinds(result: UsageSummaryResult): string[] {
  if (isRanged(result)) return []
  const kinds = Object.keys(result.totalsByResetType ?? {})
  return kinds.length > 1 ? kinds : []
}

function heading(result: UsageSummaryResult): string {
  const tz = result.tz
  if (isRanged(result)) {
    const from = result.since ? formatDate(result.since, tz) : "the beginning"
    return `Usage from ${from} ${rangeEnd(result.until, tz)} (${tz})`
  }
  const kinds = mixedKinds(result)
  const mixed = kinds.length > 0 ? `; the Total adds ${kinds.join(" and ")} periods` : ""
  return `Usage for the current billing period of each provider (${tz})${mixed}`
}

/** Under the table, when the Total adds periods of different lengths: the total of each kind. */
function totalsByKind(result: UsageSummaryResult): string | undefined {
  const kinds = mixedKinds(result)
  if (kinds.length === 0) return undefined
  const totals = result.totalsByResetType ?? {}
  return kinds
    .map((kind) => {
      const t = totals[kind as keyof typeof totals]!
      return `Total of the ${kind} periods: ${formatUsd(t.totalCost)} (${formatCount(t.callCount)} calls)`
    })
    .join("\n")
}

/** By cost, dearest first (then by name); `asc` reverses. */
function byCost<T>(rows: T[], cost: (row: T) => number, name: (row: T) => string, order: SortOrder): T[] {
  const sorted = [...rows].sort((a, b) => cost(b) - cost(a) || (name(a) < name(b) ? -1 : 1))
  return order === "asc" ? sorted.reverse() : sorted
}

type Column = ReturnType<typeof optionalColumns>[number]

/**
 * The metric columns both tables share: cost, share, calls, tokens (and the known optional ones), unpriced,
 * nodes (not in the table by node, where it would always say 1); compact: cost, share, calls, input, output.
 */
function metricHead(extra: Column[], compact: boolean, nodes = true): string[] {
  if (compact) return ["Cost", "Share", "Calls", "Input", "Output"]
  const head = ["Cost", "Share", "Calls", "Input tokens", "Output tokens", ...extra.map((c) => c.title), "Unpriced"]
  return nodes ? [...head, "Nodes"] : head
}

function metricCells(row: Totals, share: number, nodes: number | undefined, extra: Column[], compact: boolean) {
  const cells = [
    formatUsd(row.totalCost),
    formatShare(share),
    formatCount(row.callCount),
    formatCount(row.totalInputTokens),
    formatCount(row.totalOutputTokens),
  ]
  if (compact) return cells
  cells.push(...extra.map((c) => formatCount(c.value(row))), formatCount(row.unpricedCalls ?? 0))
  return nodes === undefined ? cells : [...cells, formatCount(nodes)]
}

function providerTable(result: UsageSummaryResult, order: SortOrder, style: TableStyle): string {
  const { compact, colour } = style
  const all = Object.values(result.summaries) as ProviderUsageSummary[]
  const rows = byCost(
    all,
    (s) => s.totalCost,
    (s) => s.provider,
    order,
  )
  const extra = optionalColumns(rows, compact)
  const metrics = metricHead(extra, compact)
  // A range is the same for every provider (the heading says it): no period columns then, nor when compact.
  const periods = !isRanged(result) && !compact
  const head = ["Provider", ...metrics, ...(periods ? ["Period start", "Next reset"] : [])]
  const align: Align[] = ["left", ...metrics.map((): Align => "right"), "left", "left"]
  const body = rows.map((s) => [
    s.provider,
    ...metricCells(s, shareOf(s.totalCost, result.totalCost, s.share), s.nodes ?? 0, extra, compact),
    ...(periods ? [formatDate(s.periodStart, result.tz), formatDate(s.nextReset, result.tz)] : []),
  ])
  const total: Totals = {
    totalCost: result.totalCost,
    callCount: sum(rows, (r) => r.callCount),
    totalInputTokens: sum(rows, (r) => r.totalInputTokens),
    totalOutputTokens: sum(rows, (r) => r.totalOutputTokens),
    totalCacheReadTokens: sum(rows, (r) => r.totalCacheReadTokens),
    totalCacheWriteTokens: sum(rows, (r) => r.totalCacheWriteTokens),
    totalReasoningTokens: sum(rows, (r) => r.totalReasoningTokens),
    unpricedCalls: sum(rows, (r) => r.unpricedCalls),
  }
  const label = mixedKinds(result).length > 0 ? "Total (mixed periods)" : "Total"
  const share = result.totalCost > 0 ? 100 : 0
  body.push([label, ...metricCells(total, share, result.nodes.length, extra, compact), ...(periods ? ["", ""] : [])])
  return renderTable(head, body, { align, colour, totalRows: [body.length - 1], costColumns: [1] })
}

function breakdownTable(result: UsageSummaryResult, order: SortOrder, style: TableStyle): string | undefined {
  const { compact, colour } = style
  const breakdown = result.breakdown
  if (!breakdown || breakdown.by === "provider") return undefined
  const groups = byCost(
    breakdown.groups,
    (g) => g.totalCost,
    (g) => g.key,
    order,
  )
  const extra = optionalColumns(groups, compact)
  const withNodes = breakdown.by !== "node"
  const metrics = metricHead(extra, compact, withNodes)
  const align: Align[] = ["left", ...metrics.map((): Align => "right")]
  // Records without an agent or project group under "" (none).
  const body = groups.map((g) => [
    g.key === "" ? "(none)" : g.key,
    ...metricCells(g, g.share, withNodes ? g.nodes : undefined, extra, compact),
  ])
  const total: Totals = {
    totalCost: result.totalCost,
    callCount: sum(groups, (g) => g.callCount),
    totalInputTokens: sum(groups, (g) => g.totalInputTokens),
    totalOutputTokens: sum(groups, (g) => g.totalOutputTokens),
    totalCacheReadTokens: sum(groups, (g) => g.totalCacheReadTokens),
    totalCacheWriteTokens: sum(groups, (g) => g.totalCacheWriteTokens),
    totalReasoningTokens: sum(groups, (g) => g.totalReasoningTokens),
    unpricedCalls: sum(groups, (g) => g.unpricedCalls),
  }
  const share = result.totalCost > 0 ? 100 : 0
  body.push(["Total", ...metricCells(total, share, withNodes ? result.nodes.length : undefined, extra, compact)])
  const options = { align, colour, totalRows: [body.length - 1], costColumns: [1] }
  return `By ${BY_LABEL[breakdown.by].toLowerCase()}:\n${renderTable([BY_LABEL[breakdown.by], ...metrics], body, options)}`
}

/** The whole human output of `usage summary` (without a trailing newline). */
export function renderSummary(
  result: UsageSummaryResult,
  order: SortOrder = "desc",
  empty: EmptyContext = {},
  style: TableStyle = PLAIN,
): string {
  if (!hasUsage(result)) return emptySummaryLine(result, empty)
  const tables = [providerTable(result, order, style), totalsByKind(result), breakdownTable(result, order, style)]
  return [heading(result), ...tables].filter(Boolean).join("\n")
}
