/**
 * Billing periods and calendar days, time-zone aware. A provider resets weekly (on a weekday) or monthly
 * (on a day of the month, clamped to the month's last day); boundaries are midnights in a time zone, by
 * default the process's local zone as in the legacy tracker. Also exports the legacy helpers unchanged in
 * signature (`calculatePeriodStart(provider, now)` …), which read the default schedules.
 */
import { readlinkSync } from "node:fs"
import { utcInstant } from "./calendar.js"
import { UsageHubError } from "./errors.js"
import type { Env } from "./paths.js"
import { isoDay, isUtcZone, wallClock } from "./wall-clock.js"
import { type ZonedDate, zonedDate } from "./zoned-date.js"

export type ResetType = "weekly" | "monthly"

export interface ResetSchedule {
  type: ResetType
  /** Day of week (0 = Sunday) for weekly, day of month (1-31) for monthly. */
  day: number
}

export type ResetSchedules = Record<string, ResetSchedule>

export const DEFAULT_RESET_SCHEDULES: ResetSchedules = {
  anthropic: { type: "weekly", day: 0 },
  "github-copilot": { type: "monthly", day: 1 },
  opencode: { type: "monthly", day: 1 },
  openai: { type: "monthly", day: 1 },
  google: { type: "monthly", day: 1 },
  "zai-coding-plan": { type: "monthly", day: 1 },
}

const FALLBACK_SCHEDULE: ResetSchedule = { type: "monthly", day: 1 }
const DAY_MS = 24 * 60 * 60 * 1000

/** Options shared by the period functions: the zone of the midnights and schedule overrides. */
export interface PeriodOptions {
  tz?: string
  schedules?: ResetSchedules
}

/**
 * The process's local zone, named as Intl names it. When TZ names UTC (UTC, Etc/UTC, GMT, Etc/GMT), or TZ is
 * unset and `localtime` (the system's zone, /etc/localtime) links to a UTC zone, as on most servers, Intl
 * answers "UTC": said without asking it, since resolving the local zone costs 10-20 ms of a CLI start (ICU's
 * time-zone data).
 */
export function localTimeZone(env: Env = process.env, localtime = "/etc/localtime"): string {
  const utc = env.TZ === undefined ? systemZoneIsUtc(localtime) : isUtcZone(env.TZ)
  return utc ? "UTC" : Intl.DateTimeFormat().resolvedOptions().timeZone
}

/** Whether the system zone file is a link into a zoneinfo folder naming a UTC zone (false when unsure). */
export function systemZoneIsUtc(localtime: string): boolean {
  try {
    const target = readlinkSync(localtime)
    const at = target.lastIndexOf("zoneinfo/")
    return at >= 0 && isUtcZone(target.slice(at + "zoneinfo/".length))
  } catch {
    return false
  }
}

/** Throws BAD_USAGE for a zone the runtime does not know; returns the zone otherwise (local zone when omitted). */
const knownZones = new Set<string>()

export function resolveTimeZone(tz: string | undefined): string {
  if (!tz) return localTimeZone()
  if (knownZones.has(tz) || isUtcZone(tz)) return tz
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz })
  } catch {
    throw new UsageHubError(
      "BAD_USAGE",
      `unknown time zone ${JSON.stringify(tz)} (use an IANA name such as Europe/Paris or UTC)`,
    )
  }
  knownZones.add(tz)
  return tz
}

export function getResetSchedule(provider: string, schedules?: ResetSchedules): ResetSchedule {
  return schedules?.[provider] ?? DEFAULT_RESET_SCHEDULES[provider] ?? FALLBACK_SCHEDULE
}

function zoned(at: Date | number, tz: string | undefined): ZonedDate {
  return zonedDate(typeof at === "number" ? at : at.getTime(), tz ?? localTimeZone())
}

/** Days in `month` (0-11; -1 and 12 carry over into the next or previous year) of `year`, any year as written. */
function daysInMonth(year: number, month: number): number {
  return new Date(utcInstant(year, month + 1, 0)).getUTCDate()
}

/** Midnight (in `tz`) of the day holding `at`. */
export function startOfDay(at: Date, tz?: string): Date {
  const d = zoned(at, tz)
  d.setHours(0, 0, 0, 0)
  return new Date(d.getTime())
}

/** Midnight `days` calendar days after the midnight of `at`'s day (DST-safe: 23 or 25 hour days stay one day). */
export function addDays(at: Date, days: number, tz?: string): Date {
  const d = zoned(at, tz)
  d.setDate(d.getDate() + days)
  d.setHours(0, 0, 0, 0)
  return new Date(d.getTime())
}

/** The calendar day of `at` in `tz`, as YYYY-MM-DD. */
export function dayKey(at: Date, tz?: string): string {
  return isoDay(wallClock(at, tz ?? localTimeZone()))
}

function monthlyStart(year: number, month: number, day: number, tz: string | undefined): ZonedDate {
  const d = zoned(0, tz)
  d.setFullYear(year, month, Math.min(day, daysInMonth(year, month)))
  d.setHours(0, 0, 0, 0)
  return d
}

function periodStartFor(schedule: ResetSchedule, now: Date, tz?: string): Date {
  const d = zoned(now, tz)
  d.setHours(0, 0, 0, 0)
  if (schedule.type === "weekly") {
    const since = (d.getDay() - schedule.day + 7) % 7
    d.setDate(d.getDate() - since)
    return new Date(d.getTime())
  }
  let start = monthlyStart(d.getFullYear(), d.getMonth(), schedule.day, tz)
  if (start.getTime() > d.getTime()) start = monthlyStart(d.getFullYear(), d.getMonth() - 1, schedule.day, tz)
  return new Date(start.getTime())
}

function nextResetFor(schedule: ResetSchedule, now: Date, tz?: string): Date {
  const start = zoned(periodStartFor(schedule, now, tz), tz)
  if (schedule.type === "weekly") {
    start.setDate(start.getDate() + 7)
    start.setHours(0, 0, 0, 0)
    return new Date(start.getTime())
  }
  const next = monthlyStart(start.getFullYear(), start.getMonth() + 1, schedule.day, tz)
  return new Date(next.getTime())
}

/** The current billing period of a provider: [start, end). */
export function billingPeriod(
  provider: string,
  now: Date,
  options: PeriodOptions = {},
): { start: Date; end: Date; resetType: ResetType } {
  const schedule = getResetSchedule(provider, options.schedules)
  return {
    start: periodStartFor(schedule, now, options.tz),
    end: nextResetFor(schedule, now, options.tz),
    resetType: schedule.type,
  }
}

// ---- legacy signatures (default schedules, local zone unless options say otherwise) ----

export function calculatePeriodStart(provider: string, now: Date = new Date(), options?: PeriodOptions): Date {
  return periodStartFor(getResetSchedule(provider, options?.schedules), now, options?.tz)
}

export function calculateNextReset(provider: string, now: Date = new Date(), options?: PeriodOptions): Date {
  return nextResetFor(getResetSchedule(provider, options?.schedules), now, options?.tz)
}

export function getDaysInPeriod(provider: string, now: Date = new Date(), options?: PeriodOptions): number {
  const { start, end } = billingPeriod(provider, now, options)
  return Math.round((end.getTime() - start.getTime()) / DAY_MS)
}

export function getDaysRemaining(provider: string, now: Date = new Date(), options?: PeriodOptions): number {
  const end = calculateNextReset(provider, now, options)
  return Math.max(0, Math.ceil((end.getTime() - now.getTime()) / DAY_MS))
}

export function getDaysElapsed(provider: string, now: Date = new Date(), options?: PeriodOptions): number {
  const start = calculatePeriodStart(provider, now, options)
  return Math.max(1, Math.ceil((now.getTime() - start.getTime()) / DAY_MS))
}
