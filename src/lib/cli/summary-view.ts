/**
 * `usage summary` for people: one row per provider for its current billing period (or the asked range) with
 * cost, share of the total, calls, tokens (cache and reasoning tokens when any are known), unpriced calls,
 * nodes, period start and next reset, then a total row; with `--by` a second table per model, node or task
 * type. Every value shown is in the `--json` output (the API's shape).
 */
import type { ProviderUsageSummary, UsageSummaryResult } from "../summary-types.js"
import { type Align, formatCount, formatDate, formatShare, formatUsd, renderTable } from "./format.js"

const BY_LABEL = { provider: "Provider", model: "Model", node: "Node", taskType: "Task type" } as const

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

function heading(result: UsageSummaryResult): string {
  const tz = result.tz
  if (result.since || result.until) {
    const from = result.since ? formatDate(result.since, tz) : "the beginning"
    const to = result.until ? formatDate(result.until, tz) : "now"
    return `Usage from ${from} until ${to} (${tz})`
  }
  return `Usage for the current billing period of each provider (${tz})`
}

function providerTable(result: UsageSummaryResult): string {
  const rows = Object.values(result.summaries) as Array<ProviderUsageSummary & { share?: number }>
  const extra = optionalColumns(rows)
  const ranged = result.since !== undefined
  const head = [
    "Provider",
    "Cost",
    "Share",
    "Calls",
    "Input tokens",
    "Output tokens",
    ...extra.map((c) => c.title),
    "Unpriced",
    "Nodes",
    ranged ? "From" : "Period start",
    "Next reset",
  ]
  const align: Align[] = ["left", ...Array<Align>(head.length - 3).fill("right"), "left", "left"]
  const body = rows.map((s) => [
    s.provider,
    formatUsd(s.totalCost),
    formatShare(shareOf(s.totalCost, result.totalCost, s.share)),
    formatCount(s.callCount),
    formatCount(s.totalInputTokens),
    formatCount(s.totalOutputTokens),
    ...extra.map((c) => formatCount(c.value(s))),
    formatCount(s.unpricedCalls ?? 0),
    formatCount(s.nodes ?? 0),
    formatDate(s.periodStart, result.tz),
    formatDate(s.nextReset, result.tz),
  ])
  body.push([
    "Total",
    formatUsd(result.totalCost),
    formatShare(result.totalCost > 0 ? 100 : 0),
    formatCount(sum(rows, (r) => r.callCount)),
    formatCount(sum(rows, (r) => r.totalInputTokens)),
    formatCount(sum(rows, (r) => r.totalOutputTokens)),
    ...extra.map((c) => formatCount(sum(rows, c.value))),
    formatCount(sum(rows, (r) => r.unpricedCalls)),
    formatCount(result.nodes.length),
    "",
    "",
  ])
  return renderTable(head, body, align)
}

function breakdownTable(result: UsageSummaryResult): string | undefined {
  const breakdown = result.breakdown
  if (!breakdown || breakdown.by === "provider") return undefined
  const extra = optionalColumns(breakdown.groups)
  const head = [
    BY_LABEL[breakdown.by],
    "Cost",
    "Share",
    "Calls",
    "Input tokens",
    "Output tokens",
    ...extra.map((c) => c.title),
    "Unpriced",
    "Nodes",
  ]
  const align: Align[] = ["left", ...Array<Align>(head.length - 1).fill("right")]
  const body = breakdown.groups.map((g) => [
    g.key,
    formatUsd(g.totalCost),
    formatShare(g.share),
    formatCount(g.callCount),
    formatCount(g.totalInputTokens),
    formatCount(g.totalOutputTokens),
    ...extra.map((c) => formatCount(c.value(g))),
    formatCount(g.unpricedCalls),
    formatCount(g.nodes),
  ])
  return `By ${BY_LABEL[breakdown.by].toLowerCase()}:\n${renderTable(head, body, align)}`
}

/** The whole human output of `usage summary` (without a trailing newline). */
export function renderSummary(result: UsageSummaryResult): string {
  if (!hasUsage(result)) return emptySummaryLine(result)
  return [heading(result), providerTable(result), breakdownTable(result)].filter(Boolean).join("\n")
}
