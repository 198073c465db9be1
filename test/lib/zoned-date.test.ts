import { TZDate } from "@date-fns/tz"
import { expect } from "chai"
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
})
