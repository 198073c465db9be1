/**
 * The wall clock of an instant in a time zone (calendar date and time of day as read there), and the zones
 * that need no time-zone data: UTC and its aliases read through Date's UTC getters, so a run in UTC never
 * initialises Intl's date formatting (ICU's zone and calendar data: ~10 ms of a CLI start). Every other zone
 * goes through one cached Intl.DateTimeFormat per zone.
 */

/** Zone names whose offset is zero at every instant (no DST, no history): plain UTC arithmetic is exact. */
const UTC_ZONES = new Set(["UTC", "Etc/UTC", "GMT", "Etc/GMT"])

export function isUtcZone(tz: string): boolean {
  return UTC_ZONES.has(tz)
}

export interface WallClock {
  year: number
  /** 1-12 */
  month: number
  day: number
  hour: number
  minute: number
  second: number
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor(tz: string): Intl.DateTimeFormat {
  let fmt = formatters.get(tz)
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      hourCycle: "h23",
    })
    formatters.set(tz, fmt)
  }
  return fmt
}

/** The calendar fields of `at` in `tz` (a valid IANA zone name). */
export function wallClock(at: Date, tz: string): WallClock {
  if (isUtcZone(tz)) {
    return {
      year: at.getUTCFullYear(),
      month: at.getUTCMonth() + 1,
      day: at.getUTCDate(),
      hour: at.getUTCHours(),
      minute: at.getUTCMinutes(),
      second: at.getUTCSeconds(),
    }
  }
  const fields: Record<string, number> = {}
  for (const part of formatterFor(tz).formatToParts(at)) {
    if (part.type !== "literal") fields[part.type] = Number(part.value)
  }
  return {
    year: fields.year,
    month: fields.month,
    day: fields.day,
    hour: fields.hour,
    minute: fields.minute,
    second: fields.second,
  }
}

const pad2 = (n: number): string => String(n).padStart(2, "0")

/** `YYYY-MM-DD` of a wall clock (years 0-9999 as four digits: 0001-01-01). */
export function isoDay(clock: WallClock): string {
  return `${String(clock.year).padStart(4, "0")}-${pad2(clock.month)}-${pad2(clock.day)}`
}

/** `HH:MM` of a wall clock. */
export function isoMinute(clock: WallClock): string {
  return `${pad2(clock.hour)}:${pad2(clock.minute)}`
}
