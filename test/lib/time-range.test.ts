import { expect } from "chai"
import { isBareDate, parseCliTimeRange, parseLast, parseTimeBound, parseTimeRange } from "../../src/lib/time-range.js"

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
    for (const v of [
      "yesterday",
      "2026-13-01",
      "2026-02-30",
      "2026-11-20T25:00",
      "2026112",
      "2026-1120",
      "20261320",
      "20261120T10:00",
      "",
    ]) {
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

  it("reads YYYYMMDD as the same day as YYYY-MM-DD", () => {
    expect(parseTimeBound("20261120", "Europe/Paris").toISOString()).to.equal("2026-11-19T23:00:00.000Z")
    expect(parseTimeBound(" 20280229 ", "UTC").toISOString()).to.equal("2028-02-29T00:00:00.000Z")
    expect(() => parseTimeBound("20260229", "UTC", "since")).to.throw(/since must be an ISO date/)
    expect(isBareDate("20261120")).to.equal(true)
    expect(isBareDate("2026-11-20")).to.equal(true)
    expect(isBareDate("2026-11-20T00:00")).to.equal(false)
  })
})

describe("the CLI's range (--since, --until, --last)", () => {
  const now = new Date("2026-12-02T10:00:00Z")

  it("lets a bare --until date cover its whole day in the zone, in either spelling", () => {
    for (const until of ["2026-11-03", "20261103"]) {
      const range = parseCliTimeRange({ since: "20261102", until }, "America/New_York", now)
      expect(range.since!.toISOString()).to.equal("2026-11-02T05:00:00.000Z")
      expect(range.until!.toISOString()).to.equal("2026-11-04T05:00:00.000Z")
    }
    // The day of a DST change is 25 hours long: the end is the next midnight, not 24 hours later.
    const fallBack = parseCliTimeRange({ until: "2026-11-01" }, "America/New_York", now)
    expect(fallBack.until!.toISOString()).to.equal("2026-11-02T05:00:00.000Z")
    // A one-day range: the same date on both sides is that day.
    const oneDay = parseCliTimeRange({ since: "2026-11-02", until: "2026-11-02" }, "UTC", now)
    expect(oneDay.until!.toISOString()).to.equal("2026-11-03T00:00:00.000Z")
  })

  it("keeps a date-time or an instant given to --until exclusive", () => {
    expect(parseCliTimeRange({ until: "2026-11-03T00:00" }, "UTC", now).until!.toISOString()).to.equal(
      "2026-11-03T00:00:00.000Z",
    )
    expect(parseCliTimeRange({ until: "2026-11-03T06:00:00Z" }, "Asia/Tokyo", now).until!.toISOString()).to.equal(
      "2026-11-03T06:00:00.000Z",
    )
    expect(() => parseCliTimeRange({ since: "2026-11-03", until: "2026-11-03T00:00" }, "UTC", now)).to.throw(
      /since must be before until/,
    )
  })

  it("reads --last as days, weeks or months ending today, today included", () => {
    const iso = (r: { since?: Date; until?: Date }) => [r.since!.toISOString(), r.until!.toISOString()]
    expect(iso(parseLast("7d", "UTC", now))).to.deep.equal(["2026-11-26T00:00:00.000Z", "2026-12-03T00:00:00.000Z"])
    expect(iso(parseLast("1d", "UTC", now))).to.deep.equal(["2026-12-02T00:00:00.000Z", "2026-12-03T00:00:00.000Z"])
    expect(iso(parseLast("4w", "UTC", now))).to.deep.equal(["2026-11-05T00:00:00.000Z", "2026-12-03T00:00:00.000Z"])
    expect(iso(parseLast("3m", "UTC", now))).to.deep.equal(["2026-09-03T00:00:00.000Z", "2026-12-03T00:00:00.000Z"])
    expect(iso(parseLast("12m", "UTC", now))).to.deep.equal(["2025-12-03T00:00:00.000Z", "2026-12-03T00:00:00.000Z"])
    // Today is the zone's today: 16:00 UTC on the 2nd is already the 3rd in Tokyo.
    expect(iso(parseLast("1d", "Asia/Tokyo", new Date("2026-12-02T16:00:00Z")))).to.deep.equal([
      "2026-12-02T15:00:00.000Z",
      "2026-12-03T15:00:00.000Z",
    ])
    // The same day of a shorter month is its last day.
    expect(iso(parseLast("1m", "UTC", new Date("2026-03-31T12:00:00Z")))).to.deep.equal([
      "2026-03-01T00:00:00.000Z",
      "2026-04-01T00:00:00.000Z",
    ])
    expect(parseCliTimeRange({ last: "2w" }, "UTC", now).since!.toISOString()).to.equal("2026-11-19T00:00:00.000Z")
  })

  it("refuses a --last it cannot read, or given with --since/--until, as bad usage", () => {
    for (const v of ["7", "0d", "7y", "d", "-1d", ""]) {
      expect(() => parseLast(v, "UTC", now), v).to.throw(/invalid --last/)
    }
    expect(() => parseCliTimeRange({ last: "7d", since: "2026-11-01" }, "UTC", now)).to.throw(/--last replaces/)
  })
})
