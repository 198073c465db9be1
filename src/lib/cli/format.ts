/**
 * Number, money and date formatting for the CLI's tables (people, not scripts: `--json` prints raw values),
 * and the cli-table3 table style every command uses (no colours, so piped output stays plain text).
 */
import Table from "cli-table3"

const money4 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 4, maximumFractionDigits: 4 })
const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 })

/** USD with four decimals (costs of single calls are often fractions of a cent): `$1,234.5678`. */
export function formatUsd(usd: number): string {
  return `$${money4.format(usd)}`
}

export function formatCount(n: number): string {
  return integer.format(n)
}

/** A share of 0..100 as `12.3%`. */
export function formatShare(percent: number): string {
  return `${percent.toFixed(1)}%`
}

const dateTimeFormatters = new Map<string, Intl.DateTimeFormat>()

/** `YYYY-MM-DD` when `at` is a midnight in `tz`, else `YYYY-MM-DD HH:MM` (wall time in `tz`). */
export function formatDate(at: Date, tz: string): string {
  let fmt = dateTimeFormatters.get(tz)
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-CA", {
      timeZone: tz,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hourCycle: "h23",
    })
    dateTimeFormatters.set(tz, fmt)
  }
  const p = Object.fromEntries(fmt.formatToParts(at).map((part) => [part.type, part.value]))
  const day = `${p.year}-${p.month}-${p.day}`
  if (p.hour === "00" && p.minute === "00" && p.second === "00" && at.getUTCMilliseconds() === 0) return day
  return `${day} ${p.hour}:${p.minute}`
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
