/**
 * Range bounds given by people: `since`/`until` on the API and the CLI. An ISO date (YYYY-MM-DD, or YYYYMMDD)
 * is midnight of that day in the query's time zone; a date-time without a zone is that wall-clock time in the
 * zone; an instant with `Z` or an offset is taken as written. One parser for the service and the read
 * commands. The CLI's own rules (a bare `--until` date covers its whole day, `--last 7d|4w|3m`) are
 * `parseCliTimeRange`; the API keeps `until` exclusive (`parseTimeRange`).
 */
import { daysInMonth, isCalendarDate, isClockTime } from "./calendar.js"
import { UsageHubError } from "./errors.js"
import { resolveTimeZone } from "./periods.js"
import { fromWallClock, zonedDate } from "./zoned-date.js"

const BOUND =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i

function invalid(name: string, value: string): UsageHubError {
  return new UsageHubError(
    "INVALID_QUERY",
    `${name} must be an ISO date (2026-11-20 or 20261120) or instant (2026-11-20T10:00:00Z), got ${JSON.stringify(value)}`,
  )
}

/** A date written without a time of day: `YYYYMMDD` (compact). */
const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/
/** A bare date in either spelling (`YYYY-MM-DD` or `YYYYMMDD`), nothing after it. */
const BARE_DATE = /^\d{4}-?\d{2}-?\d{2}$/

/** Whether `value` is a calendar day without a time of day (`2026-11-20`, `20261120`). */
export function isBareDate(value: string): boolean {
  const text = value.trim()
  return BARE_DATE.test(text) && (text.length === 8 || text.length === 10)
}

/** Parses one bound; `name` is used in the error message (e.g. "since"). Throws INVALID_QUERY. */
export function parseTimeBound(value: string, tz: string | undefined, name = "value"): Date {
  const text = value.trim()
  const compact = COMPACT_DATE.exec(text)
  const m = BOUND.exec(compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : text)
  if (!m) throw invalid(name, value)
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "", zone] = m
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number)
  // Years 0001-9999, read as written (they may lie outside the record bounds). The calendar date and the time
  // of day must exist (no 2026-02-30, no 24:00): the record's rule too.
  if (year < 1 || !isCalendarDate(year, month, day) || !isClockTime(hour, minute, second)) {
    throw invalid(name, value)
  }
  const ms = Number(frac.padEnd(3, "0").slice(0, 3))
  if (zone) {
    const offset = zone.toUpperCase() === "Z" ? "Z" : `${zone.slice(0, 3)}:${zone.slice(-2).padStart(2, "0")}`
    const fixed = zone.length === 3 ? `${zone}:00` : offset
    const normalised = `${y}-${mo}-${d}T${h}:${mi}:${s.padStart(2, "0")}.${String(ms).padStart(3, "0")}${fixed}`
    const date = new Date(normalised)
    if (Number.isNaN(date.getTime())) throw invalid(name, value)
    return date
  }
  return fromWallClock(resolveTimeZone(tz), year, month - 1, day, hour, minute, second, ms)
}

/** Parses optional since/until and checks that since < until. */
export function parseTimeRange(
  since: string | undefined,
  until: string | undefined,
  tz: string | undefined,
): { since?: Date; until?: Date } {
  const range = {
    since: since === undefined ? undefined : parseTimeBound(since, tz, "since"),
    until: until === undefined ? undefined : parseTimeBound(until, tz, "until"),
  }
  if (range.since && range.until && range.since.getTime() >= range.until.getTime()) {
    throw new UsageHubError("INVALID_QUERY", "since must be before until (since is inclusive, until exclusive)")
  }
  return range
}

/** Midnight starting the day after the calendar day `value` (a bare date) in `tz`: the end of that whole day. */
function endOfDay(value: string, tz: string, name: string): Date {
  const start = parseTimeBound(value, tz, name)
  const day = zonedDate(start.getTime(), tz)
  return fromWallClock(tz, day.getFullYear(), day.getMonth(), day.getDate() + 1)
}

const LAST = /^(\d{1,4})\s*([dwm])$/i
const LAST_UNITS = { d: "days", w: "weeks", m: "months" } as const

/**
 * `--last 7d|4w|3m`: a range ending today, today included (until = the coming midnight in `tz`). `Nd` is N
 * calendar days, `Nw` 7N days, `Nm` N calendar months back to the day after the same day of the month (clamped
 * to the month's last day): on 2026-12-02, `1m` starts 2026-11-03 and `3m` 2026-09-03.
 */
export function parseLast(value: string, tz: string, now: Date): { since: Date; until: Date } {
  const m = LAST.exec(value.trim())
  const count = m ? Number(m[1]) : 0
  if (!m || count < 1) {
    throw new UsageHubError(
      "BAD_USAGE",
      `invalid --last ${JSON.stringify(value)}: expected a number and d, w or m (7d, 4w, 3m)`,
    )
  }
  const today = zonedDate(now.getTime(), tz)
  const [year, month, day] = [today.getFullYear(), today.getMonth(), today.getDate()]
  const until = fromWallClock(tz, year, month, day + 1)
  const unit = m[2].toLowerCase() as keyof typeof LAST_UNITS
  if (unit !== "m") {
    const days = unit === "w" ? count * 7 : count
    return { since: fromWallClock(tz, year, month, day - days + 1), until }
  }
  const target = new Date(Date.UTC(2000, month - count, 1))
  const targetYear = year + (target.getUTCFullYear() - 2000)
  const targetMonth = target.getUTCMonth()
  const sameDay = Math.min(day, daysInMonth(targetYear, targetMonth + 1))
  return { since: fromWallClock(tz, targetYear, targetMonth, sameDay + 1), until }
}

export interface CliRangeFlags {
  since?: string
  until?: string
  last?: string
}

/**
 * The range of a read command's flags: `--since` as the API reads it; `--until` a bare date covers that whole
 * day (until the next midnight in `tz`), a date-time or instant stays exclusive; `--last` instead of both.
 */
export function parseCliTimeRange(flags: CliRangeFlags, tz: string, now: Date): { since?: Date; until?: Date } {
  if (flags.last !== undefined) {
    if (flags.since !== undefined || flags.until !== undefined)
      throw new UsageHubError("BAD_USAGE", "--last replaces --since and --until: give one or the other")
    return parseLast(flags.last, tz, now)
  }
  const { since, until } = flags
  const range = {
    since: since === undefined ? undefined : parseTimeBound(since, tz, "since"),
    until:
      until === undefined
        ? undefined
        : isBareDate(until)
          ? endOfDay(until, tz, "until")
          : parseTimeBound(until, tz, "until"),
  }
  if (range.since && range.until && range.since.getTime() >= range.until.getTime()) {
    throw new UsageHubError(
      "INVALID_QUERY",
      "since must be before until (a bare --until date includes its day; a date-time is exclusive)",
    )
  }
  return range
}
