import { expect } from "chai"
import { daysInMonth, isCalendarDate, isClockTime, utcInstant } from "../../src/lib/calendar.js"

describe("calendar", () => {
  it("knows which dates exist, leap years included (divisible by 4, not by 100 unless by 400)", () => {
    for (const [y, m, d] of [
      [2026, 1, 31],
      [2024, 2, 29],
      [2000, 2, 29],
      [1, 1, 1],
      [9999, 12, 31],
      [4, 2, 29],
    ]) {
      expect(isCalendarDate(y, m, d), `${y}-${m}-${d}`).to.equal(true)
    }
    for (const [y, m, d] of [
      [2026, 2, 29],
      [2026, 2, 30],
      [2100, 2, 29],
      [1900, 2, 29],
      [2026, 4, 31],
      [2026, 13, 1],
      [2026, 0, 1],
      [2026, 1, 0],
      [2026, 1, 1.5],
    ]) {
      expect(isCalendarDate(y, m, d), `${y}-${m}-${d}`).to.equal(false)
    }
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((m) => daysInMonth(2023, m))).to.deep.equal([
      31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
    ])
  })

  it("knows the times of day on a clock (no 24:00, no leap second)", () => {
    expect(isClockTime(0, 0, 0)).to.equal(true)
    expect(isClockTime(23, 59, 59)).to.equal(true)
    expect(isClockTime(24, 0, 0)).to.equal(false)
    expect(isClockTime(12, 60, 0)).to.equal(false)
    expect(isClockTime(12, 0, 60)).to.equal(false)
  })

  it("gives the UTC instant of a date with the year as written, also years 0-99 (Date.UTC reads them as 19xx)", () => {
    expect(new Date(utcInstant(1, 0, 1)).toISOString()).to.equal("0001-01-01T00:00:00.000Z")
    expect(new Date(utcInstant(99, 11, 31, 23, 59, 59, 999)).toISOString()).to.equal("0099-12-31T23:59:59.999Z")
    expect(new Date(utcInstant(2026, 10, 20, 10, 11, 12, 345)).toISOString()).to.equal("2026-11-20T10:11:12.345Z")
    expect(new Date(utcInstant(2026, 12, 1)).toISOString(), "months carry over").to.equal("2027-01-01T00:00:00.000Z")
    expect(new Date(utcInstant(2026, 0, 0)).toISOString(), "days carry over").to.equal("2025-12-31T00:00:00.000Z")
  })
})
