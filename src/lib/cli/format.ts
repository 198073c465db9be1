/**
 * Number, money and date formatting for the CLI's tables (people, not scripts: `--json` prints raw values),
 * and the cli-table3 table every command prints, in the style of table-style.ts (compact, coloured).
 */
import Table from "cli-table3"
import { formatDecimal } from "../decimal.js"
import { isoDay, isoMinute, wallClock } from "../wall-clock.js"
import { paint } from "./table-style.js"

export { PLAIN, type TableStyle } from "./table-style.js"

/** USD with four decimals (costs of single calls are often fractions of a cent): `$1,234.5678`. */
export function formatUsd(usd: number): string {
  return `$${formatDecimal(usd, 4)}`
}

export function formatCount(n: number): string {
  return formatDecimal(n, 0)
}

/** A share of 0..100 as `12.3%`. */
export function formatShare(percent: number): string {
  return `${percent.toFixed(1)}%`
}

/** `YYYY-MM-DD` when `at` is a midnight in `tz`, else `YYYY-MM-DD HH:MM` (wall time in `tz`). */
export function formatDate(at: Date, tz: string): string {
  const clock = wallClock(at, tz)
  const day = isoDay(clock)
  if (clock.hour === 0 && clock.minute === 0 && clock.second === 0 && at.getUTCMilliseconds() === 0) return day
  return `${day} ${isoMinute(clock)}`
}

export type Align = "left" | "right"

export interface TableOptions {
  align?: Align[]
  /** Colour: the header in bold cyan, total rows in bold, `costColumns` in yellow. */
  colour?: boolean
  /** Indexes of the rows that are totals. */
  totalRows?: number[]
  /** Indexes of the columns that hold costs. */
  costColumns?: number[]
  /** Columns that wrap (at spaces) to at most this many characters, by index: a long list of models. */
  wrap?: Record<number, number>
}

/** A table: a header row, then rows; numeric columns aligned right (`align`, or TableOptions). */
export function renderTable(head: string[], rows: string[][], options: Align[] | TableOptions = {}): string {
  const opts: TableOptions = Array.isArray(options) ? { align: options } : options
  const colour = opts.colour ?? false
  const totals = new Set(opts.totalRows ?? [])
  const costs = new Set(opts.costColumns ?? [])
  const wrap = opts.wrap ?? {}
  // A wrapped column is as wide as its widest cell up to its limit (+2 for the padding); the others fit.
  const widths = head.map((h, c) => {
    const limit = wrap[c]
    if (limit === undefined) return null
    return Math.min(limit, Math.max(h.length, ...rows.map((row) => (row[c] ?? "").length))) + 2
  })
  const wraps = widths.some((w) => w !== null)
  const table = new Table({
    head: head.map((h) => paint(paint(h, "cyan", colour), "bold", colour)),
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_, i) => opts.align?.[i] ?? "left"),
    ...(wraps ? { colWidths: widths, wordWrap: true } : {}),
  })
  rows.forEach((row, r) => {
    table.push(
      row.map((cell, c) => {
        const costed = paint(cell, "yellow", colour && costs.has(c))
        return paint(costed, "bold", colour && totals.has(r))
      }),
    )
  })
  return table.toString()
}
