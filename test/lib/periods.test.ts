import { execFileSync } from "node:child_process"
import { symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import {
  addDays,
  billingPeriod,
  calculateNextReset,
  calculatePeriodStart,
  dayKey,
  getDaysElapsed,
  getDaysInPeriod,
  getDaysRemaining,
  getResetSchedule,
  localTimeZone,
  resolveTimeZone,
  startOfDay,
  systemZoneIsUtc,
} from "../../src/lib/periods.js"
import { tempDir } from "../helpers/tmp.js"

const iso = (d: Date) => d.toISOString()

describe("billing periods", () => {
  it("resets anthropic weekly on Sunday and others monthly on the 1st by default", () => {
    expect(getResetSchedule("anthropic")).to.deep.equal({ type: "weekly", day: 0 })
    expect(getResetSchedule("openai")).to.deep.equal({ type: "monthly", day: 1 })
    expect(getResetSchedule("some-new-provider")).to.deep.equal({ type: "monthly", day: 1 })
  })

  it("lets config override a provider's schedule", () => {
    const schedules = { anthropic: { type: "monthly" as const, day: 15 } }
    const p = billingPeriod("anthropic", new Date("2026-11-20T00:00:00Z"), { tz: "UTC", schedules })
    expect(iso(p.start)).to.equal("2026-11-15T00:00:00.000Z")
    expect(iso(p.end)).to.equal("2026-12-15T00:00:00.000Z")
  })

  it("starts a weekly period at the last reset weekday's midnight, the same day included", () => {
    const sunday = new Date("2026-11-22T00:00:00Z")
    expect(iso(calculatePeriodStart("anthropic", sunday, { tz: "UTC" }))).to.equal("2026-11-22T00:00:00.000Z")
    expect(iso(calculatePeriodStart("anthropic", new Date("2026-11-21T23:59:59Z"), { tz: "UTC" }))).to.equal(
      "2026-11-15T00:00:00.000Z",
    )
    expect(iso(calculateNextReset("anthropic", sunday, { tz: "UTC" }))).to.equal("2026-11-29T00:00:00.000Z")
  })

  it("places boundaries at midnight in the requested time zone", () => {
    const now = new Date("2026-11-30T23:30:00Z") // already December 1st in Paris
    expect(iso(calculatePeriodStart("openai", now, { tz: "UTC" }))).to.equal("2026-11-01T00:00:00.000Z")
    expect(iso(calculatePeriodStart("openai", now, { tz: "Europe/Paris" }))).to.equal("2026-11-30T23:00:00.000Z")
    expect(iso(calculatePeriodStart("openai", now, { tz: "Asia/Kolkata" }))).to.equal("2026-11-30T18:30:00.000Z")
  })

  it("clamps a monthly reset day to short months", () => {
    const schedules = { x: { type: "monthly" as const, day: 31 } }
    const feb = billingPeriod("x", new Date("2027-02-28T12:00:00Z"), { tz: "UTC", schedules })
    expect(iso(feb.start)).to.equal("2027-02-28T00:00:00.000Z")
    expect(iso(feb.end)).to.equal("2027-03-31T00:00:00.000Z")
    const midFeb = billingPeriod("x", new Date("2027-02-10T12:00:00Z"), { tz: "UTC", schedules })
    expect(iso(midFeb.start)).to.equal("2027-01-31T00:00:00.000Z")
    expect(iso(midFeb.end)).to.equal("2027-02-28T00:00:00.000Z")
  })

  it("clamps to the month's length at any year as written (year 0 is a leap year, 1900 is not)", () => {
    const schedules = { x: { type: "monthly" as const, day: 31 } }
    const period = billingPeriod("x", new Date("0000-03-10T12:00:00Z"), { tz: "UTC", schedules })
    expect(iso(period.start)).to.equal("0000-02-29T00:00:00.000Z")
    expect(iso(period.end)).to.equal("0000-03-31T00:00:00.000Z")
    expect(dayKey(new Date("0001-02-03T04:00:00Z"), "UTC")).to.equal("0001-02-03")
  })

  it("crosses year ends", () => {
    const p = billingPeriod("openai", new Date("2026-12-31T23:00:00Z"), { tz: "UTC" })
    expect(iso(p.end)).to.equal("2027-01-01T00:00:00.000Z")
    const w = billingPeriod("anthropic", new Date("2027-01-01T12:00:00Z"), { tz: "UTC" })
    expect(iso(w.start)).to.equal("2026-12-27T00:00:00.000Z")
  })

  it("keeps a week containing a DST change seven calendar days long (167 or 169 hours)", () => {
    const tz = "Europe/Paris"
    const spring = billingPeriod("anthropic", new Date("2027-03-30T12:00:00Z"), { tz })
    expect(iso(spring.start)).to.equal("2027-03-27T23:00:00.000Z") // Sun 28 March, 00:00 CET
    expect(iso(spring.end)).to.equal("2027-04-03T22:00:00.000Z") // Sun 4 April, 00:00 CEST
    expect(getDaysInPeriod("anthropic", new Date("2027-03-30T12:00:00Z"), { tz })).to.equal(7)
    const autumn = billingPeriod("anthropic", new Date("2026-10-27T12:00:00Z"), { tz })
    expect((autumn.end.getTime() - autumn.start.getTime()) / 3_600_000).to.equal(169)
  })

  it("counts calendar days in local zones across DST", () => {
    const tz = "America/New_York"
    const before = new Date("2026-03-08T12:00:00Z")
    expect(dayKey(addDays(before, 1, tz), tz)).to.equal("2026-03-09")
    expect(iso(startOfDay(new Date("2026-03-08T12:00:00Z"), tz))).to.equal("2026-03-08T05:00:00.000Z")
    expect(iso(addDays(new Date("2026-03-08T12:00:00Z"), 1, tz))).to.equal("2026-03-09T04:00:00.000Z")
  })

  it("computes days remaining and elapsed like the legacy helpers", () => {
    const now = new Date("2026-11-18T12:00:00Z")
    expect(getDaysRemaining("openai", now, { tz: "UTC" })).to.equal(13)
    expect(getDaysElapsed("openai", now, { tz: "UTC" })).to.equal(18)
    expect(getDaysInPeriod("openai", now, { tz: "UTC" })).to.equal(30)
  })

  it("refuses an unknown time zone with a clear message", () => {
    expect(() => resolveTimeZone("Mars/Olympus")).to.throw(/unknown time zone "Mars\/Olympus"/)
    expect(resolveTimeZone("UTC")).to.equal("UTC")
  })

  it("accepts the UTC aliases as given, and names the local zone as Intl does when TZ is one of them", () => {
    for (const tz of ["UTC", "Etc/UTC", "GMT", "Etc/GMT"]) {
      expect(resolveTimeZone(tz)).to.equal(tz)
      const intl = execFileSync(process.execPath, ["-p", "Intl.DateTimeFormat().resolvedOptions().timeZone"], {
        env: { ...process.env, TZ: tz },
      })
      expect(localTimeZone({ TZ: tz }), `TZ=${tz}`).to.equal(intl.toString().trim())
    }
  })

  it("asks Intl for the local zone when TZ is unset or not a UTC name", () => {
    const intl = Intl.DateTimeFormat().resolvedOptions().timeZone
    expect(localTimeZone({ TZ: undefined })).to.equal(intl)
    expect(localTimeZone({ TZ: "utc" })).to.equal(intl)
  })

  it("takes the system zone for UTC, without asking Intl, only when /etc/localtime links to a UTC zone", () => {
    const dir = tempDir("localtime-")
    const link = (name: string, target: string) => {
      const path = join(dir, name)
      symlinkSync(target, path)
      return path
    }
    expect(systemZoneIsUtc(link("utc", "/usr/share/zoneinfo/Etc/UTC"))).to.equal(true)
    expect(systemZoneIsUtc(link("relative-gmt", "../usr/share/zoneinfo/GMT"))).to.equal(true)
    expect(systemZoneIsUtc(link("paris", "/usr/share/zoneinfo/Europe/Paris"))).to.equal(false)
    expect(systemZoneIsUtc(link("utc-like", "/usr/share/zoneinfo/Etc/UTC+3"))).to.equal(false)
    expect(systemZoneIsUtc(link("elsewhere", "/opt/UTC"))).to.equal(false)
    expect(systemZoneIsUtc(join(dir, "missing"))).to.equal(false)
    const copy = join(dir, "copied")
    writeFileSync(copy, "TZif")
    expect(systemZoneIsUtc(copy)).to.equal(false)
    // Whichever way it is found, the name is Intl's.
    expect(localTimeZone({}, join(dir, "utc"))).to.equal("UTC")
  })

  it("counts days in UTC with the same midnights whatever the UTC alias", () => {
    const at = new Date("2026-11-20T23:59:59.999Z")
    for (const tz of ["UTC", "Etc/UTC", "GMT", "Etc/GMT"]) {
      expect(iso(startOfDay(at, tz)), tz).to.equal("2026-11-20T00:00:00.000Z")
      expect(iso(addDays(at, -29, tz)), tz).to.equal("2026-10-22T00:00:00.000Z")
      expect(dayKey(at, tz), tz).to.equal("2026-11-20")
    }
  })
})
