import { expect } from "chai"
import { budgetPeriod } from "../../../src/lib/budgets/budget-period.js"

const iso = (p: { start: number; end: number }) => [new Date(p.start).toISOString(), new Date(p.end).toISOString()]
const at = Date.parse("2026-03-04T10:00:00Z") // a Wednesday

describe("budget periods", () => {
  it("a day is midnight to midnight in the service's zone", () => {
    expect(iso(budgetPeriod({ period: "day" }, at, { tz: "UTC" }))).to.deep.equal([
      "2026-03-04T00:00:00.000Z",
      "2026-03-05T00:00:00.000Z",
    ])
    expect(iso(budgetPeriod({ period: "day" }, at, { tz: "Asia/Kolkata" }))).to.deep.equal([
      "2026-03-03T18:30:00.000Z",
      "2026-03-04T18:30:00.000Z",
    ])
  })

  it("a week starts on Monday", () => {
    expect(iso(budgetPeriod({ period: "week" }, at, { tz: "UTC" }))).to.deep.equal([
      "2026-03-02T00:00:00.000Z",
      "2026-03-09T00:00:00.000Z",
    ])
    // A Sunday belongs to the week that began six days before.
    expect(iso(budgetPeriod({ period: "week" }, Date.parse("2026-03-08T23:00:00Z"), { tz: "UTC" }))[0]).to.equal(
      "2026-03-02T00:00:00.000Z",
    )
  })

  it("a month runs from the 1st to the 1st, DST included", () => {
    expect(iso(budgetPeriod({ period: "month" }, at, { tz: "Europe/Paris" }))).to.deep.equal([
      "2026-02-28T23:00:00.000Z",
      "2026-03-31T22:00:00.000Z",
    ])
    expect(iso(budgetPeriod({ period: "month" }, Date.parse("2026-12-15T00:00:00Z"), { tz: "UTC" }))).to.deep.equal([
      "2026-12-01T00:00:00.000Z",
      "2027-01-01T00:00:00.000Z",
    ])
  })

  it("billing follows the provider's reset schedule, overrides included", () => {
    // anthropic resets weekly on Sunday by default.
    expect(iso(budgetPeriod({ period: "billing", provider: "anthropic" }, at, { tz: "UTC" }))).to.deep.equal([
      "2026-03-01T00:00:00.000Z",
      "2026-03-08T00:00:00.000Z",
    ])
    const schedules = { openai: { type: "monthly" as const, day: 15 } }
    expect(iso(budgetPeriod({ period: "billing", provider: "openai" }, at, { tz: "UTC", schedules }))).to.deep.equal([
      "2026-02-15T00:00:00.000Z",
      "2026-03-15T00:00:00.000Z",
    ])
  })
})
