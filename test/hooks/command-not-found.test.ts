import { expect } from "chai"
import { editDistance, nearestCommand } from "../../src/hooks/command-not-found.js"

describe("command-not-found hook: the nearest command", () => {
  const commands = ["collect", "daily", "export", "migrate-file", "monthly", "summary", "trends", "weekly"]

  it("counts a swap of two neighbours as one edit", () => {
    expect(editDistance("sumary", "summary")).to.equal(1)
    expect(editDistance("tredns", "trends")).to.equal(1)
    expect(editDistance("", "abc")).to.equal(3)
  })

  it("suggests a command a typo away, whatever the case, and nothing for a word far from every command", () => {
    expect(nearestCommand("sumary", commands)).to.equal("summary")
    expect(nearestCommand("Daly", commands)).to.equal("daily")
    expect(nearestCommand("migrate-fiel", commands)).to.equal("migrate-file")
    expect(nearestCommand("bogus", commands)).to.equal(undefined)
    expect(nearestCommand("x", commands)).to.equal(undefined)
  })
})
