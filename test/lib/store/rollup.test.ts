import { expect } from "chai"
import { planRange, type RangePiece, ROLLUP_LEVELS } from "../../../src/lib/store/rollup.js"
import { seededRandom } from "./store-contract.js"

const HOUR = 3_600_000

/** How many times the signed pieces count instant `t` (1 inside the range, 0 outside, for an exact plan). */
function coverage(pieces: RangePiece[], t: number): number {
  return pieces.reduce((n, p) => (p.from <= t && t < p.to ? n + p.sign : n), 0)
}

describe("rollup range plans", () => {
  it("count every instant of the range exactly once and nothing outside it (random ranges and probes)", () => {
    const rand = seededRandom(42)
    const base = Date.parse("2026-01-01T00:00:00Z")
    for (let i = 0; i < 400; i++) {
      // Ranges from a minute to 100 days, with edges on and off 15-minute, hour, day and month boundaries.
      const grid = [1, 60_000, 15 * 60_000, HOUR, 24 * HOUR][Math.floor(rand() * 5)]
      const since = base + Math.floor((rand() * 300 * 24 * HOUR) / grid) * grid
      const until = since + Math.max(grid, Math.floor((rand() * 100 * 24 * HOUR) / grid) * grid)
      const pieces = planRange({ since: new Date(since), until: new Date(until) })
      const probes = [
        since,
        until - 1,
        until,
        since - 1,
        ...pieces.flatMap((p) => [p.from, p.to - 1, p.to, p.from - 1]),
      ]
      for (let j = 0; j < 30; j++)
        probes.push(since - 40 * 24 * HOUR + Math.floor(rand() * (until - since + 80 * 24 * HOUR)))
      for (const t of probes) {
        expect(
          coverage(pieces, t),
          `${new Date(since).toISOString()}..${new Date(until).toISOString()} at ${t}`,
        ).to.equal(t >= since && t < until ? 1 : 0)
      }
    }
  })

  it("align rollup pieces to their level's buckets and use records only off every 30-minute boundary", () => {
    const rand = seededRandom(7)
    for (let i = 0; i < 300; i++) {
      const since = Date.parse("2026-03-01T00:00:00Z") + Math.floor(rand() * 1e10)
      const until = since + Math.floor(rand() * 5e9)
      for (const p of planRange({ since: new Date(since), until: new Date(until) })) {
        if (p.level === "records") {
          expect(p.to - p.from).to.be.below(HOUR / 2)
          continue
        }
        expect(p.level.floor(p.from), p.level.name).to.equal(p.from)
        expect(p.level.floor(p.to), p.level.name).to.equal(p.to)
      }
    }
  })

  it("answer a day in a :30 zone from buckets only, and an open range from the month rollup alone", () => {
    const kolkataDay = planRange({ since: new Date("2026-11-01T18:30:00Z"), until: new Date("2026-11-02T18:30:00Z") })
    expect(kolkataDay.filter((p) => p.level === "records")).to.deep.equal([])
    expect(kolkataDay.length).to.be.at.most(5)
    const open = planRange({})
    expect(open).to.have.length(1)
    expect(open[0].level).to.equal(ROLLUP_LEVELS[ROLLUP_LEVELS.length - 1])
    expect(planRange({ since: new Date(5), until: new Date(5) })).to.deep.equal([])
  })
})

describe("rollup levels", () => {
  it("put the month bucket of an instant before year 100 in that year's month, not 1900 years later", () => {
    const month = ROLLUP_LEVELS[ROLLUP_LEVELS.length - 1]
    const march15 = Date.parse("0001-03-15T10:00:00Z")
    expect(new Date(month.floor(march15)).toISOString()).to.equal("0001-03-01T00:00:00.000Z")
    expect(new Date(month.ceil(march15)).toISOString()).to.equal("0001-04-01T00:00:00.000Z")
  })
})
