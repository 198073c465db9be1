/**
 * The proleptic Gregorian calendar by arithmetic: which dates and times of day exist (no 2026-02-30, no 24:00)
 * and the UTC instant of a calendar date at any year 1-9999. One rule for the record's timestamps and the
 * query's since/until. `Date.UTC` is not used for this: it reads years 0-99 as 1900-1999.
 */

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
}

/** Days in `month` (1-12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : MONTH_DAYS[month - 1]
}

/** Whether `year`-`month`-`day` (month 1-12) is a day of the calendar. */
export function isCalendarDate(year: number, month: number, day: number): boolean {
  return (
    Number.isInteger(year) &&
    Number.isInteger(month) &&
    Number.isInteger(day) &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysInMonth(year, month)
  )
}

/** Whether `hour`:`minute`:`second` is a time of day on a clock (00:00:00 to 23:59:59; no leap second). */
export function isClockTime(hour: number, minute: number, second: number): boolean {
  return hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59
}

/**
 * `Date.UTC` with the year taken as written, also 0-99 (month 0-11; out-of-range fields carry over as in
 * `Date.UTC`): epoch ms.
 */
export function utcInstant(year: number, month: number, day = 1, hour = 0, minute = 0, second = 0, ms = 0): number {
  const date = new Date(0)
  date.setUTCFullYear(year, month, day)
  date.setUTCHours(hour, minute, second, ms)
  return date.getTime()
}
