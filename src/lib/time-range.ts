/**
 * Range bounds given by people: `since`/`until` on the API and the CLI. An ISO date (YYYY-MM-DD) is midnight
 * of that day in the query's time zone; a date-time without a zone is that wall-clock time in the zone; an
 * instant with `Z` or an offset is taken as written. One parser for the service and the read commands.
 */
import { isCalendarDate, isClockTime } from "./calendar.js"
import { UsageHubError } from "./errors.js"
import { resolveTimeZone } from "./periods.js"
import { fromWallClock } from "./zoned-date.js"

const BOUND =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i

function invalid(name: string, value: string): UsageHubError {
  return new UsageHubError(
    "INVALID_QUERY",
    `${name} must be an ISO date (2026-11-20) or instant (2026-11-20T10:00:00Z), got ${JSON.stringify(value)}`,
  )
}

/** Parses one bound; `name` is used in the error message (e.g. "since"). Throws INVALID_QUERY. */
export function parseTimeBound(value: string, tz: string | undefined, name = "value"): Date {
  const m = BOUND.exec(value.trim())
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
