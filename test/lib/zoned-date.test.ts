import { TZDate } from "@date-fns/tz"
import { expect } from "chai"
import { utcInstant } from "../../src/lib/calendar.js"
import { isoDay, wallClock } from "../../src/lib/wall-clock.js"
import { fromWallClock, zonedDate } from "../../src/lib/zoned-date.js"

const iso = (ms: number) => new Date(ms).toISOString()

describe("zoned dates", () => {
  it("does the calendar arithmetic of UTC exactly as TZDate does, without it", () => {
    let ms = Date.UTC(2023, 0, 31, 17, 45, 12, 345)
    for (let i = 0; i < 300; i++) {
      ms += 3_456_789_012 // about 40 days, so months, leap days and weekdays vary
      const fast = zonedDate(ms, "UTC")
      const reference = new TZDate(ms, "UTC")
      expect(fast).to.not.be.instanceOf(TZDate)
      for (const read of ["getFullYear", "getMonth", "getDate", "getDay"] as const) {
        expect(fast[read](), `${read} ${iso(ms)}`).to.equal(reference[read]())
      }
      fast.setHours(0, 0, 0, 0)
      reference.setHours(0, 0, 0, 0)
      expect(iso(fast.getTime())).to.equal(iso(reference.getTime()))
      const days = (i % 61) - 30
      fast.setDate(fast.getDate() + days)
      reference.setDate(reference.getDate() + days)
      expect(iso(fast.getTime())).to.equal(iso(reference.getTime()))
      fast.setFullYear(2024, 1, 31) // clamps into March like Date
      reference.setFullYear(2024, 1, 31)
      expect(iso(fast.getTime())).to.equal(iso(reference.getTime()))
    }
  })

  it("keeps TZDate (DST-exact) for zones with offsets: a day across a change lasts 23 or 25 hours", () => {
    const paris = zonedDate(Date.parse("2026-03-29T12:00:00Z"), "Europe/Paris")
    expect(paris).to.be.instanceOf(Date)
    paris.setHours(0, 0, 0, 0)
    const start = paris.getTime()
    paris.setDate(paris.getDate() + 1)
    expect((paris.getTime() - start) / 3_600_000).to.equal(23)
  })

  it("turns a wall-clock time into the instant TZDate gives, in UTC and in zones with DST", () => {
    expect(fromWallClock("UTC", 2026, 10, 20, 10, 30).toISOString()).to.equal("2026-11-20T10:30:00.000Z")
    expect(fromWallClock("Etc/UTC", 2024, 1, 29).toISOString()).to.equal("2024-02-29T00:00:00.000Z")
    for (const [y, m, d, h] of [
      [2026, 2, 29, 2], // skipped in Paris (02:00 -> 03:00)
      [2026, 9, 25, 2], // repeated in Paris
      [2026, 6, 1, 12],
    ]) {
      expect(fromWallClock("Europe/Paris", y, m, d, h).getTime()).to.equal(
        new TZDate(y, m, d, h, 0, 0, 0, "Europe/Paris").getTime(),
      )
    }
  })

  it("reads the years 0001-0099 as written (Date.UTC and Date's constructors would make them 1901-1999)", () => {
    expect(iso(fromWallClock("UTC", 1, 0, 1).getTime())).to.equal("0001-01-01T00:00:00.000Z")
    expect(iso(fromWallClock("GMT", 99, 11, 31, 23, 59, 59, 999).getTime())).to.equal("0099-12-31T23:59:59.999Z")
    // Every zone keeps its local mean time before its first rule (Paris +00:09:21, Kolkata +05:53:28, New York
    // -04:56:02): the offset TZDate gives at 0100-01-01 holds for every earlier time too.
    for (const tz of ["Europe/Paris", "Asia/Kolkata", "America/New_York", "Australia/Eucla", "Asia/Kathmandu"]) {
      const shift = fromWallClock(tz, 100, 0, 1).getTime() - utcInstant(100, 0, 1)
      for (const [y, m, d, h, mi] of [
        [1, 0, 1, 0, 0],
        [4, 1, 29, 12, 30],
        [50, 5, 15, 23, 45],
        [99, 11, 31, 23, 59],
      ]) {
        const at = fromWallClock(tz, y, m, d, h, mi)
        expect(at.getTime(), `${tz} ${y}-${m + 1}-${d}`).to.equal(utcInstant(y, m, d, h, mi) + shift)
        const clock = wallClock(at, tz)
        expect([clock.year, clock.month, clock.day, clock.hour, clock.minute]).to.deep.equal([y, m + 1, d, h, mi])
      }
    }
    expect(isoDay(wallClock(fromWallClock("Asia/Kolkata", 1, 0, 1), "Asia/Kolkata"))).to.equal("0001-01-01")
  })
})
