import { expect } from "chai"
import { Backoff } from "../../../src/lib/delivery/backoff.js"

describe("Backoff", () => {
  it("doubles from the base, between half and all of the ceiling, as the random source says", () => {
    const low = new Backoff({ baseMs: 250, maxMs: 30_000, random: () => 0 })
    const high = new Backoff({ baseMs: 250, maxMs: 30_000, random: () => 0.999999 })
    expect([0, 1, 2, 3].map((n) => low.delay(n))).to.deep.equal([125, 250, 500, 1000])
    expect(high.delay(2)).to.be.closeTo(1000, 0.01)
  })

  it("never waits longer than its cap, however many retries", () => {
    const backoff = new Backoff({ baseMs: 250, maxMs: 30_000, random: () => 0.999999 })
    expect(backoff.delay(7)).to.be.at.most(30_000)
    expect(backoff.delay(10_000)).to.be.closeTo(30_000, 0.1)
  })

  it("says when a retry is due on its clock", () => {
    const backoff = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.5, now: () => 1_000_000 })
    expect(backoff.due(1)).to.equal(1_000_000 + 150)
  })
})
