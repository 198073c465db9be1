import { expect } from "chai"
import { parseTimeBound, parseTimeRange } from "../../src/lib/time-range.js"

describe("since/until bounds", () => {
  it("reads an ISO date as midnight in the time zone", () => {
    expect(parseTimeBound("2026-11-20", "UTC").toISOString()).to.equal("2026-11-20T00:00:00.000Z")
    expect(parseTimeBound("2026-11-20", "Europe/Paris").toISOString()).to.equal("2026-11-19T23:00:00.000Z")
    expect(parseTimeBound("2026-07-01", "America/New_York").toISOString()).to.equal("2026-07-01T04:00:00.000Z")
  })

  it("reads a date-time without a zone as wall-clock time in the zone, and an instant as written", () => {
    expect(parseTimeBound("2026-11-20T10:30", "Asia/Tokyo").toISOString()).to.equal("2026-11-20T01:30:00.000Z")
    expect(parseTimeBound("2026-11-20T10:30:00.5Z", "Asia/Tokyo").toISOString()).to.equal("2026-11-20T10:30:00.500Z")
    expect(parseTimeBound("2026-11-20T10:30:00+0530", "UTC").toISOString()).to.equal("2026-11-20T05:00:00.000Z")
    expect(parseTimeBound("2026-11-20T10:30:00-02", "UTC").toISOString()).to.equal("2026-11-20T12:30:00.000Z")
  })

  it("refuses what is not a date, or a date that does not exist", () => {
    for (const v of ["yesterday", "2026-13-01", "2026-02-30", "2026-11-20T25:00", "20261120", ""]) {
      expect(() => parseTimeBound(v, "UTC", "since"), v).to.throw(/since must be an ISO date/)
    }
  })

  it("reads the years 0001-9999 as written, whatever the zone, and refuses the others", () => {
    expect(parseTimeBound("0001-01-01", "UTC").toISOString()).to.equal("0001-01-01T00:00:00.000Z")
    expect(parseTimeBound("0099-12-31T23:59:59.999", "UTC").toISOString()).to.equal("0099-12-31T23:59:59.999Z")
    expect(parseTimeBound("0050-06-01T10:00:00+05:30", "UTC").toISOString()).to.equal("0050-06-01T04:30:00.000Z")
    expect(parseTimeBound("0001-01-01", "Asia/Tokyo").getUTCFullYear()).to.equal(0)
    expect(parseTimeBound("9999-12-31T23:59:59", "UTC").toISOString()).to.equal("9999-12-31T23:59:59.000Z")
    expect(parseTimeBound("0004-02-29", "UTC").toISOString()).to.equal("0004-02-29T00:00:00.000Z")
    for (const v of [
      "0000-01-01",
      "0000-12-31T23:00:00Z",
      "10000-01-01",
      "+010000-01-01",
      "-0001-01-01",
      "0100-02-29",
    ]) {
      expect(() => parseTimeBound(v, "UTC", "until"), v).to.throw(/until must be an ISO date/)
    }
  })

  it("checks that since comes before until", () => {
    expect(parseTimeRange("2026-11-01", "2026-11-02", "UTC").until!.toISOString()).to.equal("2026-11-02T00:00:00.000Z")
    expect(() => parseTimeRange("2026-11-02", "2026-11-02", "UTC")).to.throw(/since must be before until/)
    expect(parseTimeRange(undefined, undefined, "UTC")).to.deep.equal({ since: undefined, until: undefined })
  })
})
