/**
 * `usage trends` for people: one row per day (cost, calls, input and output tokens) with an inline bar of the
 * day's cost against the dearest day, then the total and the daily average. Without a provider, one row per
 * day with one cost column per provider (costliest first), the day's total, calls and bar, and a Total row.
 * Days oldest first (`--order desc` reverses); compact drops the token columns (or the per-provider ones) and
 * halves the bar.
 */
import type { TrendData } from "../summary-types.js"
import { type Align, formatCount, formatUsd, PLAIN, renderTable, type TableStyle } from "./format.js"

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
export const BAR_WIDTH = 24

/** A bar of `value / max` of `width` cells in eighths of a cell (a non-zero value shows at least a sliver). */
export function bar(value: number, max: number, width = BAR_WIDTH): string {
  if (max <= 0 || value <= 0) return ""
  const eighths = Math.max(1, Math.round((value / max) * width * 8))
  return "█".repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]
}

export type DateOrder = "asc" | "desc"

export interface TrendsStyle extends TableStyle {
  /** Days oldest first (asc, the default) or newest first. */
  order?: DateOrder
}

const DEFAULT_STYLE: TrendsStyle = { ...PLAIN, order: "asc" }

function ordered<T>(rows: T[], order: DateOrder | undefined): T[] {
  return order === "desc" ? [...rows].reverse() : rows
}

const alignments = (head: string[], left: (i: number) => boolean): Align[] =>
  head.map((_, i) => (left(i) ? "left" : "right"))

export function renderTrends(trends: TrendData, style: TrendsStyle = DEFAULT_STYLE): string {
  const { compact, colour } = style
  const width = compact ? BAR_WIDTH / 2 : BAR_WIDTH
  const max = Math.max(0, ...trends.dataPoints.map((p) => p.cost))
  const rows = ordered(trends.dataPoints, style.order).map((p) => [
    p.date,
    formatUsd(p.cost),
    formatCount(p.calls),
    ...(compact ? [] : [formatCount(p.inputTokens), formatCount(p.outputTokens)]),
    bar(p.cost, max, width),
  ])
  const head = ["Date", "Cost", "Calls", ...(compact ? [] : ["Input tokens", "Output tokens"]), "Daily cost"]
  const align = alignments(head, (i) => i === 0 || i === head.length - 1)
  return [
    `${trends.provider}, last ${plural(trends.rangeDays)}`,
    renderTable(head, rows, { align, colour, costColumns: [1] }),
    `Total ${formatUsd(trends.totalCost)}, average ${formatUsd(trends.avgDailyCost)} a day`,
  ].join("\n")
}

function plural(days: number): string {
  return days === 1 ? "1 day" : `${days} days`
}

/**
 * `usage trends` without a provider: every provider side by side over the same `rangeDays` days (compact: the
 * day's total, calls and bar only).
 */
export function renderAllTrends(trends: TrendData[], rangeDays: number, style: TrendsStyle = DEFAULT_STYLE): string {
  if (trends.length === 0) return `No usage recorded in the last ${plural(rangeDays)}.`
  const { compact, colour } = style
  const shown = compact ? [] : trends
  const dates = trends[0].dataPoints.map((p) => p.date)
  const dayCost = dates.map((_, i) => trends.reduce((acc, t) => acc + t.dataPoints[i].cost, 0))
  const dayCalls = dates.map((_, i) => trends.reduce((acc, t) => acc + t.dataPoints[i].calls, 0))
  const max = Math.max(0, ...dayCost)
  const width = compact ? BAR_WIDTH / 2 : BAR_WIDTH
  const rows = ordered(
    dates.map((date, i) => [
      date,
      ...shown.map((t) => formatUsd(t.dataPoints[i].cost)),
      formatUsd(dayCost[i]),
      formatCount(dayCalls[i]),
      bar(dayCost[i], max, width),
    ]),
    style.order,
  )
  const total = trends.reduce((acc, t) => acc + t.totalCost, 0)
  rows.push([
    "Total",
    ...shown.map((t) => formatUsd(t.totalCost)),
    formatUsd(total),
    formatCount(dayCalls.reduce((a, b) => a + b, 0)),
    "",
  ])
  const head = ["Date", ...shown.map((t) => t.provider), "Total", "Calls", "Daily cost"]
  const align = alignments(head, (i) => i === 0 || i === head.length - 1)
  const costColumns = head.map((_, i) => i).filter((i) => i > 0 && i <= shown.length + 1)
  const table = renderTable(head, rows, { align, colour, totalRows: [rows.length - 1], costColumns })
  const providers = compact ? ` (${trends.map((t) => t.provider).join(", ")})` : ""
  return [
    `All providers${providers}, last ${plural(rangeDays)}`,
    table,
    `Total ${formatUsd(total)}, average ${formatUsd(rangeDays > 0 ? total / rangeDays : 0)} a day`,
  ].join("\n")
}
