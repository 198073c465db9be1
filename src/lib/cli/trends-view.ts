/**
 * `usage trends` for people: one row per day (cost, calls, input and output tokens) with an inline bar of the
 * day's cost against the dearest day, then the total and the daily average. Without a provider, one row per
 * day with one cost column per provider (costliest first), the day's total, calls and bar, and a Total row.
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
  return [
    `${trends.provider}, last ${plural(trends.rangeDays)}`,
    table,
    `Total ${formatUsd(trends.totalCost)}, average ${formatUsd(trends.avgDailyCost)} a day`,
  ].join("\n")
}

function plural(days: number): string {
  return days === 1 ? "1 day" : `${days} days`
}

/** `usage trends` without a provider: every provider side by side over the same `rangeDays` days. */
export function renderAllTrends(trends: TrendData[], rangeDays: number): string {
  if (trends.length === 0) return `No usage recorded in the last ${plural(rangeDays)}.`
  const dates = trends[0].dataPoints.map((p) => p.date)
  const dayCost = dates.map((_, i) => trends.reduce((acc, t) => acc + t.dataPoints[i].cost, 0))
  const dayCalls = dates.map((_, i) => trends.reduce((acc, t) => acc + t.dataPoints[i].calls, 0))
  const max = Math.max(0, ...dayCost)
  const rows = dates.map((date, i) => [
    date,
    ...trends.map((t) => formatUsd(t.dataPoints[i].cost)),
    formatUsd(dayCost[i]),
    formatCount(dayCalls[i]),
    bar(dayCost[i], max),
  ])
  const total = trends.reduce((acc, t) => acc + t.totalCost, 0)
  rows.push([
    "Total",
    ...trends.map((t) => formatUsd(t.totalCost)),
    formatUsd(total),
    formatCount(dayCalls.reduce((a, b) => a + b, 0)),
    "",
  ])
  const head = ["Date", ...trends.map((t) => t.provider), "Total", "Calls", "Daily cost"]
  const align = head.map((_, i) => (i === 0 || i === head.length - 1 ? "left" : "right") as "left" | "right")
  return [
    `All providers, last ${plural(rangeDays)}`,
    renderTable(head, rows, align),
    `Total ${formatUsd(total)}, average ${formatUsd(rangeDays > 0 ? total / rangeDays : 0)} a day`,
  ].join("\n")
}
