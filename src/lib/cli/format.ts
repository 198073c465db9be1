/**
 * Number, money and date formatting for the CLI's tables (people, not scripts: `--json` prints raw values),
 * and the cli-table3 table style every command uses (no colours, so piped output stays plain text).
 */
import Table from "cli-table3"
import { formatDecimal } from "../decimal.js"
import { isoDay, isoMinute, wallClock } from "../wall-clock.js"

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

/** A plain table: a header row, then rows; numeric columns aligned right. */
export function renderTable(head: string[], rows: string[][], align: Align[] = []): string {
  const table = new Table({
    head,
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_, i) => align[i] ?? "left"),
  })
  for (const row of rows) table.push(row)
  return table.toString()
}
