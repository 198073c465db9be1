import { existsSync, mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { CollectState, readHeaderFast } from "../../../src/lib/collect/state.js"
import { headerSchema } from "../../../src/lib/collect/state-schema.js"
import { tempDir } from "../../helpers/tmp.js"

describe("collect state", () => {
  const cursor = { size: 10, mtimeMs: 1000, offset: 10 }

  it("refuses a held lock, takes over one its dead holder stopped refreshing, and leaves none behind", async () => {
    const path = join(tempDir(), "state.json")
    const first = await CollectState.load(path, "t")
    await first.lock()
    expect(existsSync(`${path}.lock`)).to.equal(true)
    const second = await CollectState.load(path, "t")
    expect(await second.tryLock()).to.deep.equal({ ok: false, heldBy: process.pid })
    await first.unlock()
    expect(existsSync(`${path}.lock`)).to.equal(false)
    // A holder that died 20 s ago (past the 10-s staleness) left its lock directory: it is taken over.
    mkdirSync(`${path}.lock`)
    const past = new Date(Date.now() - 20_000)
    utimesSync(`${path}.lock`, past, past)
    expect(await second.tryLock()).to.deep.equal({ ok: true })
    await second.unlock()
    expect(existsSync(`${path}.lock`)).to.equal(false)
  })

  it("writes nothing when a round moved no cursor and met no new id", async () => {
    const path = join(tempDir(), "state.json")
    const state = await CollectState.load(path, "sqlite ./usage.db")
    state.advance(new Map([["/logs/a.jsonl", cursor]]), new Map([["claude-code:m1:r1", 5]]))
    state.save()
    const written = statSync(path).mtimeMs
    writeFileSync(`${path}.probe`, "") // the clock moves on
    const again = await CollectState.load(path, "sqlite ./usage.db")
    again.advance(new Map([["/logs/a.jsonl", { ...cursor }]]), new Map([["claude-code:m1:r1", 7]]))
    again.save()
    expect(statSync(path).mtimeMs).to.equal(written)
    // The first instant of an id stays the first one recorded.
    expect(again.firstSeen("claude-code:m1:r1")).to.equal(5)
  })

  it("reads a state whose ids map to numbers, and ignores an id whose value is not one", async () => {
    const path = join(tempDir(), "state.json")
    writeFileSync(
      path,
      JSON.stringify({ version: 1, target: "t", sources: {}, firstSeen: { good: 12, bad: "x", constructor: 3 } }),
    )
    const state = await CollectState.load(path, "t")
    expect(state.firstSeen("good")).to.equal(12)
    expect(state.firstSeen("bad")).to.equal(undefined)
    expect(state.firstSeen("toString")).to.equal(undefined)
  })

  it("keeps the cursors on the first line and the ids on the second, and reads the ids only when asked", async () => {
    const path = join(tempDir(), "state.json")
    const state = await CollectState.load(path, "t")
    state.advance(new Map([["/logs/a.jsonl", cursor]]), new Map([["claude-code:m1:r1", 5]]))
    state.save()
    const [header, ids, rest] = readFileSync(path, "utf8").split("\n")
    expect(JSON.parse(header)).to.deep.equal({ version: 2, target: "t", sources: { "/logs/a.jsonl": cursor } })
    expect(JSON.parse(ids)).to.deep.equal({ "claude-code:m1:r1": 5 })
    expect(rest).to.equal("")
    // The ids line spoilt: a state that never looks an id up still has its cursors.
    writeFileSync(path, `${header}\n{not json\n`)
    const again = await CollectState.load(path, "t")
    expect(again.cursor("/logs/a.jsonl")).to.deep.equal(cursor)
    expect(again.firstSeen("claude-code:m1:r1")).to.equal(undefined)
  })

  it("copies the ids as they are when only a cursor moved", async () => {
    const path = join(tempDir(), "state.json")
    const state = await CollectState.load(path, "t")
    state.advance(new Map([["/logs/a.jsonl", cursor]]), new Map([["claude-code:m1:r1", 5]]))
    state.save()
    const again = await CollectState.load(path, "t")
    again.advance(new Map([["/logs/a.jsonl", { ...cursor, size: 20, offset: 20 }]]), new Map())
    again.save()
    const third = await CollectState.load(path, "t")
    expect(third.cursor("/logs/a.jsonl")).to.deep.equal({ ...cursor, size: 20, offset: 20 })
    expect(third.firstSeen("claude-code:m1:r1")).to.equal(5)
  })

  it("reads the ids of the file it loaded, even when that file was replaced since", async () => {
    const dir = tempDir()
    const path = join(dir, "state.json")
    const first = await CollectState.load(path, "t")
    first.advance(new Map([["/logs/a.jsonl", cursor]]), new Map([["old", 1]]))
    first.save()
    const loaded = await CollectState.load(path, "t")
    writeFileSync(join(dir, "other.json"), `${JSON.stringify({ version: 2, target: "t", sources: {} })}\n{"new":2}\n`)
    renameSync(join(dir, "other.json"), path)
    expect(loaded.firstSeen("old")).to.equal(1)
    expect(loaded.firstSeen("new")).to.equal(undefined)
  })

  it("reads a state of the one-object shape (version 1) and writes it in two lines at the next save", async () => {
    const path = join(tempDir(), "state.json")
    writeFileSync(
      path,
      JSON.stringify({ version: 1, target: "t", sources: { "/logs/a.jsonl": cursor }, firstSeen: { m1: 5 } }),
    )
    const state = await CollectState.load(path, "t")
    expect(state.cursor("/logs/a.jsonl")).to.deep.equal(cursor)
    expect(state.firstSeen("m1")).to.equal(5)
    state.save()
    const [header, ids] = readFileSync(path, "utf8").split("\n")
    expect(JSON.parse(header)).to.deep.equal({ version: 2, target: "t", sources: { "/logs/a.jsonl": cursor } })
    expect(JSON.parse(ids)).to.deep.equal({ m1: 5 })
  })

  it("reads a header without the schema exactly as the schema does, and leaves every other one to it", () => {
    const odd = [undefined, null, "x", -1, 1.5, {}, [], true, { size: 1 }]
    let seed = 7
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const maybe = (value: unknown) => (rand() < 0.85 ? value : odd[Math.floor(rand() * odd.length)])
    let fast = 0
    for (let i = 0; i < 2000; i++) {
      const sources: Record<string, unknown> = {}
      for (let j = 0; j < 3; j++) {
        sources[`/logs/${j}.jsonl`] = maybe({
          size: maybe(100 * j),
          mtimeMs: maybe(1_760_000_000_000.5),
          offset: maybe(j),
          updatedAt: maybe(rand() < 0.5 ? undefined : 5),
          extra: "stripped",
        })
      }
      const header = JSON.parse(
        JSON.stringify({ version: maybe(2), target: maybe("sqlite ./usage.db"), sources: maybe(sources), more: 1 }),
      )
      const got = readHeaderFast(header)
      const schema = headerSchema.safeParse(header)
      if (got === undefined) continue
      fast += 1
      expect(schema.success, JSON.stringify(header)).to.equal(true)
      expect(got).to.deep.equal(schema.success ? schema.data : undefined)
    }
    expect(fast, "headers the fast path took").to.be.above(100)
    expect(
      readHeaderFast(JSON.parse('{"version":2,"target":"t","sources":{"__proto__":{"size":1,"mtimeMs":2}}}')),
    ).to.equal(undefined)
  })
})
