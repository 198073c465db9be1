import assert from "node:assert/strict"
import { cpSync, readFileSync, utimesSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import Database from "better-sqlite3"
import { expect } from "chai"
import type { CollectedCall, ReadResult, SourceCursor, SourceRef } from "../../../../src/lib/collect/reader.js"
import { isMessageFast, messageCall, opencodeReader, REREAD_MS } from "../../../../src/lib/collect/readers/opencode.js"
import { OpenCodeMessage } from "../../../../src/lib/collect/readers/opencode-schema.js"
import { parseImports } from "../../../helpers/imports.js"
import { seededRandom } from "../../../helpers/records.js"
import { tempDir } from "../../../helpers/tmp.js"
import { assertTokensAsCcusage, ccusageDaily, dayTotals, listing } from "./helpers.js"

const FIXTURE = fileURLToPath(new URL("../../../fixtures/agents/opencode/", import.meta.url))
const DATA = join(FIXTURE, "data")

/** Reads every source of `dir` in order, keeping each call identity's first sighting (as the collector does). */
async function collectAll(dir: string): Promise<{ calls: CollectedCall[]; results: Map<string, ReadResult> }> {
  const results = new Map<string, ReadResult>()
  const seen = new Set<string>()
  const calls: CollectedCall[] = []
  for (const source of await opencodeReader.sources(dir)) {
    const result = await opencodeReader.read(source, undefined)
    results.set(relative(dir, source.path), result)
    for (const call of result.calls) {
      const key = `${call.id} ${call.timestamp.getTime()}`
      if (seen.has(key)) continue
      seen.add(key)
      calls.push(call)
    }
  }
  return { calls, results }
}

function dbSource(path: string): SourceRef {
  return { agent: "opencode", path, kind: "sqlite" }
}

describe("OpenCode reader", () => {
  it("finds the databases first, then the older message files", async () => {
    const sources = await opencodeReader.sources(DATA)
    assert.deepEqual(
      sources.map((s) => [relative(DATA, s.path), s.kind]),
      [
        ["opencode.db", "sqlite"],
        ["storage/message/ses_A/msg_a02.json", "json"],
        ["storage/message/ses_old/msg_o19.json", "json"],
        ["storage/message/ses_old/msg_o20.json", "json"],
        ["storage/message/ses_old/msg_o22.json", "json"],
        ["storage/message/ses_old/msg_o23.json", "json"],
      ],
    )
  })

  it("finds channel databases and the one OPENCODE_DB names, and none in a folder without OpenCode data", async () => {
    const dir = tempDir()
    for (const name of ["opencode-beta.db", "opencode-local_dev.db", "custom.db", "opencode.db.bak", "other.db"]) {
      cpSync(join(DATA, "opencode.db"), join(dir, name))
    }
    const before = process.env.OPENCODE_DB
    process.env.OPENCODE_DB = "custom.db"
    try {
      const paths = (await opencodeReader.sources(dir)).map((s) => relative(dir, s.path))
      assert.deepEqual(paths, ["custom.db", "opencode-beta.db", "opencode-local_dev.db"])
    } finally {
      if (before === undefined) delete process.env.OPENCODE_DB
      else process.env.OPENCODE_DB = before
    }
    assert.deepEqual(await opencodeReader.sources(tempDir()), [])
  })

  it("gives per-day input, output, cache-read and cache-write tokens equal to ccusage 20.0.24's (UTC), and the logged costs", async () => {
    const expected = ccusageDaily(FIXTURE)
    const days = dayTotals((await collectAll(DATA)).calls)
    assertTokensAsCcusage(days, expected)
    let costDays = 0
    for (const want of expected) {
      const got = days.get(want.date)!
      if (got.unloggedCost === 0) {
        assert.ok(
          Math.abs(got.loggedCost - want.totalCost) < 1e-12,
          `${want.date}: ${got.loggedCost} vs ${want.totalCost}`,
        )
        costDays++
      }
    }
    assert.equal(costDays, 1, "2026-03-04 has only logged costs")
  })

  it("turns a completed assistant message into a call with OpenCode's fields", async () => {
    const { calls } = await collectAll(DATA)
    const byId = new Map(calls.map((c) => [c.id, c]))
    assert.deepEqual(byId.get("opencode:msg_a02"), {
      id: "opencode:msg_a02",
      timestamp: new Date("2026-03-02T09:00:01.000Z"),
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      inputTokens: 1200,
      outputTokens: 340,
      cacheReadTokens: 5000,
      cacheWriteTokens: 800,
      reasoningTokens: 0,
      costUSD: 0.01845,
      sessionID: "ses_A",
      project: "usage-hub",
      taskType: "build",
    })
    const gpt5 = byId.get("opencode:msg_a03")!
    assert.equal(gpt5.reasoningTokens, 256)
    assert.equal(gpt5.costUSD, undefined, "a logged cost of 0 leaves the call to be priced")
    assert.equal(byId.get("opencode:msg_a04")!.timestamp.toISOString(), "2026-03-02T23:59:59.900Z")
    const outsideGit = byId.get("opencode:msg_b06")!
    assert.deepEqual([outsideGit.project, outsideGit.taskType], ["scratch", "plan"])
    assert.equal(byId.get("opencode:msg_b07")!.taskType, "general")
    assert.equal(byId.get("opencode:msg_c11")!.taskType, "build", "the agent when `mode` is absent")
    const old = byId.get("opencode:msg_o20")!
    assert.deepEqual([old.sessionID, old.project, old.costUSD], ["ses_old", "usage-hub", 0.0102])
    assert.deepEqual(calls.map((c) => c.id).sort(), [
      "opencode:msg_a02",
      "opencode:msg_a03",
      "opencode:msg_a04",
      "opencode:msg_b06",
      "opencode:msg_b07",
      "opencode:msg_c11",
      "opencode:msg_o20",
      "opencode:msg_o22",
    ])
  })

  it("counts what it passes over by reason, warns once per source that does not parse, and lets the database win", async () => {
    const { calls, results } = await collectAll(DATA)
    const db = results.get("opencode.db")!
    assert.deepEqual(db.skipped, { "no tokens": 1, "no model": 1, "not JSON": 1, "not complete yet": 1 })
    assert.equal(db.warnings.length, 1)
    assert.match(db.warnings[0]!, /opencode\.db: 1 message row\(s\) whose data is not JSON/)
    assert.deepEqual(results.get("storage/message/ses_A/msg_a02.json")!.skipped, { "in the database": 1 })
    assert.equal(
      calls.find((c) => c.id === "opencode:msg_a02")!.inputTokens,
      1200,
      "the database's copy, not the file's",
    )
    const broken = results.get("storage/message/ses_old/msg_o23.json")!
    assert.deepEqual(broken.skipped, { "not JSON": 1 })
    assert.match(broken.warnings[0]!, /msg_o23\.json: not JSON/)
    assert.deepEqual(results.get("storage/message/ses_old/msg_o19.json")!.skipped, {}, "a user message is no call")
  })

  it("writes nothing into OpenCode's folder: no -shm or -wal beside a database nobody has open", async () => {
    const before = listing(DATA)
    await collectAll(DATA)
    const source = dbSource(join(DATA, "opencode.db"))
    await opencodeReader.read(source, undefined)
    assert.deepEqual(listing(DATA), before)
  })

  it("keeps the row order of the calls when messages the fast check leaves to the schema are among them", async () => {
    const dir = tempDir()
    const path = join(dir, "opencode.db")
    cpSync(join(DATA, "opencode.db"), path)
    const writer = new Database(path)
    const rows = writer.prepare("SELECT id, data FROM message ORDER BY rowid").all() as { id: string; data: string }[]
    try {
      // Two rows that are JSON but no message (the schema refuses them), one first and one in the middle.
      writer.prepare("UPDATE message SET data = ? WHERE id = ?").run('{"role": 7}', rows[0].id)
      writer.prepare("UPDATE message SET data = ? WHERE id = ?").run('{"role": "user", "tokens": "x"}', rows[5].id)
    } finally {
      writer.close()
    }
    const want = (await opencodeReader.read(dbSource(join(DATA, "opencode.db")), undefined)).calls
      .map((c) => c.id)
      .filter((id) => id !== `opencode:${rows[0].id}` && id !== `opencode:${rows[5].id}`)
    const got = await opencodeReader.read(dbSource(path), undefined)
    assert.deepEqual(
      got.calls.map((c) => c.id),
      want,
    )
    assert.equal(got.skipped["not a message"], 2)
  })

  it("reads beside a running OpenCode without creating files or locking it out", async () => {
    const dir = tempDir()
    cpSync(join(DATA, "opencode.db"), join(dir, "opencode.db"))
    const writer = new Database(join(dir, "opencode.db"))
    try {
      writer.pragma("journal_mode = WAL")
      writer.pragma("busy_timeout = 0")
      writer.prepare("UPDATE message SET time_updated = time_updated WHERE id = 'msg_a02'").run()
      const before = listing(dir).map((l) => l.split(" ")[0])
      assert.deepEqual(before, ["opencode.db", "opencode.db-shm", "opencode.db-wal"])
      const result = await opencodeReader.read(dbSource(join(dir, "opencode.db")), undefined)
      assert.equal(result.calls.length, 6)
      // the reader holds no lock: OpenCode writes at once, without waiting
      writer.prepare("UPDATE message SET time_updated = 1 WHERE id = 'msg_a01'").run()
      assert.deepEqual(
        listing(dir).map((l) => l.split(" ")[0]),
        before,
      )
    } finally {
      writer.close()
    }
  })

  it("reads again only the rows updated since its cursor, a message once it completes, and nothing when the database is unchanged", async () => {
    const dir = tempDir()
    const path = join(dir, "opencode.db")
    cpSync(join(DATA, "opencode.db"), path)
    const first = await opencodeReader.read(dbSource(path), undefined)
    assert.equal(first.cursor.updatedAt, Date.parse("2026-03-04T08:10:30.000Z"))
    const again = await opencodeReader.read(dbSource(path), first.cursor)
    assert.deepEqual([again.calls, again.skipped, again.cursor], [[], {}, first.cursor])

    const writer = new Database(path)
    const completeAt = Date.parse("2026-03-04T09:00:00.000Z")
    const inProgress = JSON.parse(
      writer.prepare("SELECT data FROM message WHERE id = 'msg_c10'").pluck().get() as string,
    )
    try {
      // tokens counted so far, but the message is still being written: not yet a call
      inProgress.tokens = { input: 50, output: 5, reasoning: 0, cache: { read: 10, write: 0 } }
      writer
        .prepare("UPDATE message SET data = ?, time_updated = ? WHERE id = 'msg_c10'")
        .run(JSON.stringify(inProgress), completeAt - 60_000)
      const partial = await opencodeReader.read(dbSource(path), first.cursor)
      assert.deepEqual(
        partial.calls.map((c) => c.id),
        ["opencode:msg_c11"],
        `only the rows updated within ${REREAD_MS} ms of the cursor are read again`,
      )
      assert.deepEqual(partial.skipped, { "not complete yet": 1 })

      inProgress.time.completed = completeAt
      inProgress.tokens = { input: 400, output: 80, reasoning: 0, cache: { read: 2000, write: 0 } }
      writer
        .prepare("UPDATE message SET data = ?, time_updated = ? WHERE id = 'msg_c10'")
        .run(JSON.stringify(inProgress), completeAt)
      const done = await opencodeReader.read(dbSource(path), partial.cursor)
      assert.deepEqual(
        done.calls.map((c) => [c.id, c.inputTokens]),
        [["opencode:msg_c10", 400]],
      )
      assert.equal(done.cursor.updatedAt, completeAt)

      // a row committed late with a time just before the newest one seen is still read (and only that far back)
      const late = { ...inProgress, time: { created: completeAt - 500, completed: completeAt - 400 } }
      writer
        .prepare("INSERT INTO message VALUES ('msg_c12', 'ses_C', ?, ?, ?)")
        .run(completeAt - 500, completeAt - REREAD_MS / 2, JSON.stringify(late))
      const after = await opencodeReader.read(dbSource(path), done.cursor)
      assert.deepEqual(
        after.calls.map((c) => c.id),
        ["opencode:msg_c12", "opencode:msg_c10"],
      )
    } finally {
      writer.close()
    }
  })

  it("does not read an unchanged database again when an empty -wal appears beside it (a connection opened it)", async () => {
    const dir = tempDir()
    const path = join(dir, "opencode.db")
    cpSync(join(DATA, "opencode.db"), path)
    const first = await opencodeReader.read(dbSource(path), undefined)
    assert.ok(first.calls.length > 0)
    writeFileSync(`${path}-wal`, "")
    const later = new Date(Date.now() + 5000)
    utimesSync(`${path}-wal`, later, later)
    const again = await opencodeReader.read(dbSource(path), first.cursor)
    assert.deepEqual([again.calls, again.skipped, again.cursor], [[], {}, first.cursor])
  })

  it("reads a message file again when it changes, and not while it stays the same", async () => {
    const dir = tempDir()
    cpSync(join(DATA, "storage"), join(dir, "storage"), { recursive: true })
    const path = join(dir, "storage/message/ses_old/msg_o20.json")
    const source: SourceRef = { agent: "opencode", path, kind: "json" }
    const first = await opencodeReader.read(source, undefined)
    assert.equal(first.calls.length, 1)
    assert.deepEqual((await opencodeReader.read(source, first.cursor)).calls, [])
    const message = JSON.parse(readFileSync(path, "utf8"))
    message.tokens.output = 250
    writeFileSync(path, JSON.stringify(message))
    utimesSync(path, new Date(), new Date(Date.now() + 5000))
    const changed = await opencodeReader.read(source, first.cursor as SourceCursor)
    assert.deepEqual(
      changed.calls.map((c) => c.outputTokens),
      [250],
    )
  })

  it("loads better-sqlite3 only when a database is read, not on import", () => {
    const file = fileURLToPath(new URL("../../../../src/lib/collect/readers/opencode.ts", import.meta.url))
    const native = parseImports(readFileSync(file, "utf8"), file).filter((i) => i.specifier === "better-sqlite3")
    assert.ok(native.length > 0)
    for (const i of native) assert.ok(i.typeOnly || i.lazy, `line ${i.line} loads better-sqlite3 on import`)
  })
})

describe("OpenCode message fast path", () => {
  it("gives the call the schema gives for every message it takes, and leaves the others to the schema (seeded)", () => {
    const rand = seededRandom(21)
    const pick = <T>(values: readonly T[]): T => values[Math.floor(rand() * values.length)]
    const odd = [undefined, null, "x", 1.5, -3, 0, Number.NaN, {}, [], true]
    const maybe = (value: unknown) => (rand() < 0.85 ? value : pick(odd))
    const normal = (m: unknown) => (m === undefined ? m : JSON.parse(JSON.stringify(m)))
    let fast = 0
    for (let i = 0; i < 3000; i++) {
      const raw: Record<string, unknown> = {
        role: maybe(pick(["assistant", "user"])),
        id: maybe(`msg_${i}`),
        sessionID: maybe("ses_1"),
        providerID: maybe("anthropic"),
        modelID: maybe("claude-sonnet-4-5"),
        mode: maybe("build"),
        cost: maybe(rand() * 0.1),
        time: maybe({ created: maybe(1_760_000_000_000 + i), completed: maybe(rand() < 0.5 ? null : 1) }),
        path: maybe({ cwd: maybe("/w/p"), root: maybe("/w") }),
        tokens: maybe({
          input: maybe(Math.floor(rand() * 1e4)),
          output: maybe(rand() * 100),
          reasoning: maybe(-1),
          cache: maybe({ read: maybe(5), write: maybe(0) }),
        }),
      }
      const schema = OpenCodeMessage.safeParse(raw)
      if (!isMessageFast(raw)) continue
      fast += 1
      expect(schema.success, JSON.stringify(raw)).to.equal(true)
      if (!schema.success) continue
      for (const ids of [{}, { id: "m_row", sessionID: "s_row" }]) {
        expect(normal(messageCall(raw, ids)), JSON.stringify(raw)).to.deep.equal(normal(messageCall(schema.data, ids)))
      }
    }
    expect(fast, "messages the fast path took").to.be.above(200)
  })
})
