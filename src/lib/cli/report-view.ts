/**
 * `usage daily|weekly|monthly` for people: one row per period (cost, calls, tokens, models), sub-rows per
 * breakdown value with `--by` (dearest first), and a Total row; the models wrap within 40 characters; compact
 * keeps period, cost, calls, input and output. No usage at all is one line.
 */
import type { ReportResult, ReportTotals } from "../query/report.js"
import { type Align, formatCount, formatUsd, PLAIN, renderTable, type TableStyle } from "./format.js"

const PERIOD_TITLES = { day: "Date", week: "Week", month: "Month" } as const
const TITLES = { day: "Daily usage", week: "Weekly usage", month: "Monthly usage" } as const
/** The Models column wraps beyond this many characters. */
const MODELS_WIDTH = 40

function numbers(t: ReportTotals, compact: boolean): string[] {
  const base = [
    formatUsd(t.totalCost),
    formatCount(t.callCount),
    formatCount(t.inputTokens),
    formatCount(t.outputTokens),
  ]
  if (compact) return base
  return [...base, formatCount(t.cacheReadTokens), formatCount(t.cacheWriteTokens), formatCount(t.reasoningTokens)]
}

export function renderReport(report: ReportResult, style: TableStyle = PLAIN): string {
  const { compact, colour } = style
  if (report.rows.length === 0) return `No usage found${report.since || report.until ? " in this range" : ""}.`
  const head = [PERIOD_TITLES[report.period], "Cost", "Calls", "Input", "Output"]
  if (!compact) head.push("Cache read", "Cache write", "Reasoning", "Models")
  const align: Align[] = head.map((_, i) => (i === 0 || i === 8 ? "left" : "right"))
  const rows: string[][] = []
  for (const row of report.rows) {
    rows.push([row.period, ...numbers(row, compact), ...(compact ? [] : [row.models.join(", ")])])
    for (const entry of row.breakdown ?? []) {
      rows.push([`  ${entry.key === "" ? "(none)" : entry.key}`, ...numbers(entry, compact), ...(compact ? [] : [""])])
    }
  }
  rows.push(["Total", ...numbers(report.totals, compact), ...(compact ? [] : [""])])
  const title = `${TITLES[report.period]} (${report.tz}${report.by ? `, by ${report.by}` : ""})`
  const wrap: Record<number, number> = compact ? {} : { 8: MODELS_WIDTH }
  const table = renderTable(head, rows, { align, colour, totalRows: [rows.length - 1], costColumns: [1], wrap })
  return [title, table].join("\n")
}
