import { statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { CollectState } from "../../../src/lib/collect/state.js"
import { tempDir } from "../../helpers/tmp.js"

describe("collect state", () => {
  const cursor = { size: 10, mtimeMs: 1000, offset: 10 }

  it("writes nothing when a round moved no cursor and met no new id", () => {
    const path = join(tempDir(), "state.json")
    const state = CollectState.load(path, "sqlite ./usage.db")
    state.advance(new Map([["/logs/a.jsonl", cursor]]), new Map([["claude-code:m1:r1", 5]]))
    state.save()
    const written = statSync(path).mtimeMs
    writeFileSync(`${path}.probe`, "") // the clock moves on
    const again = CollectState.load(path, "sqlite ./usage.db")
    again.advance(new Map([["/logs/a.jsonl", { ...cursor }]]), new Map([["claude-code:m1:r1", 7]]))
    again.save()
    expect(statSync(path).mtimeMs).to.equal(written)
    // The first instant of an id stays the first one recorded.
    expect(again.firstSeen("claude-code:m1:r1")).to.equal(5)
  })

  it("reads a state whose ids map to numbers, and ignores an id whose value is not one", () => {
    const path = join(tempDir(), "state.json")
    writeFileSync(
      path,
      JSON.stringify({ version: 1, target: "t", sources: {}, firstSeen: { good: 12, bad: "x", constructor: 3 } }),
    )
    const state = CollectState.load(path, "t")
    expect(state.firstSeen("good")).to.equal(12)
    expect(state.firstSeen("bad")).to.equal(undefined)
    expect(state.firstSeen("toString")).to.equal(undefined)
  })
})
