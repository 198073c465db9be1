import { expect } from "chai"
import { isoDay, isoMinute, isUtcZone, wallClock } from "../../src/lib/wall-clock.js"

/** The fields as Intl reads them, the reference the UTC shortcut must match. */
function intlFields(at: Date, tz: string) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: tz,
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric",
    hourCycle: "h23",
  }).formatToParts(at)
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value)
  return {
    year: get("year"),
    month: get("month"),
    day: get("day"),
    hour: get("hour"),
    minute: get("minute"),
    second: get("second"),
  }
}

describe("wall clock", () => {
  it("treats UTC, Etc/UTC, GMT and Etc/GMT as UTC, and no zone with an offset", () => {
    for (const tz of ["UTC", "Etc/UTC", "GMT", "Etc/GMT"]) expect(isUtcZone(tz), tz).to.equal(true)
    for (const tz of ["Europe/London", "Europe/Paris", "Etc/GMT+1", "America/New_York", "utc"]) {
      expect(isUtcZone(tz), tz).to.equal(false)
    }
  })

  it("reads the same fields as Intl in the UTC zones, at any instant", () => {
    let ms = Date.UTC(1999, 11, 31, 23, 59, 59)
    for (let i = 0; i < 500; i++) {
      ms += 7_919_017_123 // about 92 days and a few hours, so every field moves
      const at = new Date(ms)
      for (const tz of ["UTC", "Etc/UTC", "GMT", "Etc/GMT"])
        expect(wallClock(at, tz), `${at.toISOString()} ${tz}`).to.deep.equal(intlFields(at, tz))
    }
  })

  it("reads a zone with DST through Intl, on both sides of a change", () => {
    // Europe/Paris leaves summer time on 2026-10-25 at 01:00 UTC (03:00 -> 02:00 local).
    expect(wallClock(new Date("2026-10-25T00:30:00Z"), "Europe/Paris")).to.deep.equal({
      year: 2026,
      month: 10,
      day: 25,
      hour: 2,
      minute: 30,
      second: 0,
    })
    expect(wallClock(new Date("2026-10-25T01:30:00Z"), "Europe/Paris").hour).to.equal(2)
    expect(wallClock(new Date("2026-10-24T22:00:00Z"), "Europe/Paris").hour).to.equal(0)
  })

  it("writes YYYY-MM-DD and HH:MM with leading zeros", () => {
    const clock = { year: 2026, month: 3, day: 7, hour: 4, minute: 5, second: 6 }
    expect(isoDay(clock)).to.equal("2026-03-07")
    expect(isoMinute(clock)).to.equal("04:05")
    expect(isoDay({ ...clock, year: 1 })).to.equal("0001-03-07")
    expect(isoDay({ ...clock, year: 999 })).to.equal("0999-03-07")
  })
})
