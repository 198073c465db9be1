/**
 * A Date whose calendar getters and setters (getDate, setHours, …) read and write the wall clock of a time
 * zone, for the calendar arithmetic of periods and day boundaries: TZDate (@date-fns/tz, DST-exact through
 * Intl) for zones with offsets, and for UTC and its aliases (wall-clock.ts) a Date over its UTC methods, which
 * gives the same instants without initialising Intl.
 */
import { TZDateMini } from "@date-fns/tz/date/mini"
import { utcInstant } from "./calendar.js"
import { isUtcZone } from "./wall-clock.js"

/** The calendar methods the period arithmetic uses; TZDate has them, and so does UtcDate. */
export type ZonedDate = Pick<
  Date,
  "getTime" | "getFullYear" | "getMonth" | "getDate" | "getDay" | "setFullYear" | "setDate" | "setHours"
>

/** Date's UTC calendar, under the local method names. */
class UtcDate extends Date implements ZonedDate {
  override getFullYear(): number {
    return this.getUTCFullYear()
  }
  override getMonth(): number {
    return this.getUTCMonth()
  }
  override getDate(): number {
    return this.getUTCDate()
  }
  override getDay(): number {
    return this.getUTCDay()
  }
  override setFullYear(year: number, month?: number, date?: number): number {
    return this.setUTCFullYear(year, month ?? this.getUTCMonth(), date ?? this.getUTCDate())
  }
  override setDate(date: number): number {
    return this.setUTCDate(date)
  }
  override setHours(hours: number, min?: number, sec?: number, ms?: number): number {
    return this.setUTCHours(
      hours,
      min ?? this.getUTCMinutes(),
      sec ?? this.getUTCSeconds(),
      ms ?? this.getUTCMilliseconds(),
    )
  }
}

/** The instant `at` (epoch ms) seen in `tz`. */
export function zonedDate(at: number, tz: string): ZonedDate {
  return isUtcZone(tz) ? new UtcDate(at) : new TZDateMini(at, tz)
}

/** 400 Gregorian years: the calendar repeats after exactly 146,097 days. */
const GREGORIAN_CYCLE_MS = 146_097 * 86_400_000

/**
 * The instant of a wall-clock time in `tz` (month 0-11); a time skipped or repeated by DST as TZDate resolves it.
 * The year is taken as written, also 0-99, which Date's multi-field constructors (and so TZDate's) read as
 * 1900-1999: such a time is computed 400 years later and moved back one Gregorian cycle, exact because the
 * calendar repeats and every zone keeps its local mean time (the offset before its first rule) that far back.
 */
export function fromWallClock(
  tz: string,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
  second = 0,
  ms = 0,
): Date {
  if (isUtcZone(tz)) return new Date(utcInstant(year, month, day, hour, minute, second, ms))
  if (year >= 0 && year < 100) {
    const later = fromWallClock(tz, year + 400, month, day, hour, minute, second, ms)
    return new Date(later.getTime() - GREGORIAN_CYCLE_MS)
  }
  return new Date(new TZDateMini(year, month, day, hour, minute, second, ms, tz).getTime())
}
