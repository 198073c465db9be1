/**
 * The independent oracle of the period reports (daily, weekly, monthly): each record's day in a zone by Intl
 * (not the library's zone code), weeks and months by arithmetic on that date, and exact sums per period
 * (costs in nano-dollars as BigInt).
 */
import { toNanos } from "../../src/lib/money.js"

export type OraclePeriod = "day" | "week" | "month"

/** The fields of a record the oracle sums (a StoredRecord, or a record of `usage export --json`). */
export interface OracleRecord {
  timestamp: Date | string
  estimatedCost: number
  inputTokens: number
  outputTokens: number
  cacheReadTokens?: number
  model: string
}

/** The period holding `at` in `tz`: `YYYY-MM-DD` (a day, or a week's first day) or `YYYY-MM`. */
export function periodOf(at: Date, period: OraclePeriod, tz: string, startOfWeek = 1): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(at)
    .reduce<Record<string, string>>((acc, p) => Object.assign(acc, { [p.type]: p.value }), {})
  if (period === "month") return `${parts.year}-${parts.month}`
  const day = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day))
  if (period === "day") return new Date(day).toISOString().slice(0, 10)
  const back = (new Date(day).getUTCDay() - startOfWeek + 7) % 7
  return new Date(day - back * 86_400_000).toISOString().slice(0, 10)
}

export interface PeriodSum {
  nanos: bigint
  calls: number
  input: number
  output: number
  cacheRead: number
  models: Set<string>
}

/** Exact sums per period of `records` in `tz`, in date order. */
export function periodSums(
  records: OracleRecord[],
  period: OraclePeriod,
  tz: string,
  startOfWeek?: number,
): Map<string, PeriodSum> {
  const sums = new Map<string, PeriodSum>()
  for (const r of records) {
    const key = periodOf(new Date(r.timestamp), period, tz, startOfWeek)
    const s = sums.get(key) ?? { nanos: 0n, calls: 0, input: 0, output: 0, cacheRead: 0, models: new Set() }
    s.nanos += BigInt(toNanos(r.estimatedCost))
    s.calls += 1
    s.input += r.inputTokens
    s.output += r.outputTokens
    s.cacheRead += r.cacheReadTokens ?? 0
    s.models.add(r.model)
    sums.set(key, s)
  }
  return new Map([...sums.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))
}
