/**
 * `usage trends` for people: one row per day (cost, calls, input and output tokens) with an inline bar of the
 * day's cost against the dearest day, then the total and the daily average.
 */
import type { TrendData } from "../summary-types.js"
import { formatCount, formatUsd, renderTable } from "./format.js"

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]
export const BAR_WIDTH = 24

/** A bar of `value / max` of `width` cells in eighths of a cell (a non-zero value shows at least a sliver). */
export function bar(value: number, max: number, width = BAR_WIDTH): string {
  if (max <= 0 || value <= 0) return ""
  const eighths = Math.max(1, Math.round((value / max) * width * 8))
  return "█".repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]
}

export function renderTrends(trends: TrendData): string {
  const max = Math.max(0, ...trends.dataPoints.map((p) => p.cost))
  const rows = trends.dataPoints.map((p) => [
    p.date,
    formatUsd(p.cost),
    formatCount(p.calls),
    formatCount(p.inputTokens),
    formatCount(p.outputTokens),
    bar(p.cost, max),
  ])
  const table = renderTable(["Date", "Cost", "Calls", "Input tokens", "Output tokens", "Daily cost"], rows, [
    "left",
    "right",
    "right",
    "right",
    "right",
    "left",
  ])
  const days = trends.rangeDays === 1 ? "1 day" : `${trends.rangeDays} days`
  return [
    `${trends.provider}, last ${days}`,
    table,
    `Total ${formatUsd(trends.totalCost)}, average ${formatUsd(trends.avgDailyCost)} a day`,
  ].join("\n")
}
