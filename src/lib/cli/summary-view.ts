/**
 * `usage summary` for people: one row per provider for its current billing period (or the asked range) with
 * cost, share of the total, calls, tokens (cache and reasoning tokens when any are known), unpriced calls,
 * nodes, period start and next reset, then a total row; with `--by` a second table per model, node or task
 * type. Every value shown is in the `--json` output (the API's shape).
 */
import type { GroupBy, ProviderUsageSummary, UsageSummaryResult } from "../summary-types.js"
import { type Align, formatCount, formatDate, formatShare, formatUsd, renderTable } from "./format.js"

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

/** The optional token columns present in the data (a column of zeros only says "not known here"). */
function optionalColumns(rows: Totals[]): Array<{ title: string; value: (row: Totals) => number }> {
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

/** The one line printed when there is nothing to show. */
export function emptySummaryLine(result: UsageSummaryResult): string {
  const ranged = result.since !== undefined || result.until !== undefined
  return ranged ? "No usage recorded in that range." : "No usage recorded for the current period."
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

function heading(result: UsageSummaryResult): string {
  const tz = result.tz
  if (result.since || result.until) {
    const from = result.since ? formatDate(result.since, tz) : "the beginning"
    return `Usage from ${from} ${rangeEnd(result.until, tz)} (${tz})`
  }
  return `Usage for the current billing period of each provider (${tz})`
}

type Column = ReturnType<typeof optionalColumns>[number]

/** The metric columns both tables share: cost, share, calls, tokens (and the known optional ones), unpriced, nodes. */
function metricHead(extra: Column[]): string[] {
  return ["Cost", "Share", "Calls", "Input tokens", "Output tokens", ...extra.map((c) => c.title), "Unpriced", "Nodes"]
}

function metricCells(row: Totals, share: number, nodes: number, extra: Column[]): string[] {
  return [
    formatUsd(row.totalCost),
    formatShare(share),
    formatCount(row.callCount),
    formatCount(row.totalInputTokens),
    formatCount(row.totalOutputTokens),
    ...extra.map((c) => formatCount(c.value(row))),
    formatCount(row.unpricedCalls ?? 0),
    formatCount(nodes),
  ]
}

function providerTable(result: UsageSummaryResult): string {
  const rows = Object.values(result.summaries) as ProviderUsageSummary[]
  const extra = optionalColumns(rows)
  const metrics = metricHead(extra)
  const head = ["Provider", ...metrics, result.since ? "From" : "Period start", "Next reset"]
  const align: Align[] = ["left", ...metrics.map((): Align => "right"), "left", "left"]
  const body = rows.map((s) => [
    s.provider,
    ...metricCells(s, shareOf(s.totalCost, result.totalCost, s.share), s.nodes ?? 0, extra),
    formatDate(s.periodStart, result.tz),
    formatDate(s.nextReset, result.tz),
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
  body.push(["Total", ...metricCells(total, result.totalCost > 0 ? 100 : 0, result.nodes.length, extra), "", ""])
  return renderTable(head, body, align)
}

function breakdownTable(result: UsageSummaryResult): string | undefined {
  const breakdown = result.breakdown
  if (!breakdown || breakdown.by === "provider") return undefined
  const extra = optionalColumns(breakdown.groups)
  const metrics = metricHead(extra)
  const align: Align[] = ["left", ...metrics.map((): Align => "right")]
  // Records without an agent or project group under "" (none).
  const body = breakdown.groups.map((g) => [
    g.key === "" ? "(none)" : g.key,
    ...metricCells(g, g.share, g.nodes, extra),
  ])
  return `By ${BY_LABEL[breakdown.by].toLowerCase()}:\n${renderTable([BY_LABEL[breakdown.by], ...metrics], body, align)}`
}

/** The whole human output of `usage summary` (without a trailing newline). */
export function renderSummary(result: UsageSummaryResult): string {
  if (!hasUsage(result)) return emptySummaryLine(result)
  return [heading(result), providerTable(result), breakdownTable(result)].filter(Boolean).join("\n")
}
