import assert from "node:assert/strict"
import { appendFileSync, cpSync, readFileSync, statSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { fileURLToPath } from "node:url"
import type { CollectedCall, ReadResult, SourceRef } from "../../../../src/lib/collect/reader.js"
import { geminiReader } from "../../../../src/lib/collect/readers/gemini.js"
import { tempDir } from "../../../helpers/tmp.js"
import { assertTokensAsCcusage, ccusageDaily, dayTotals, listing } from "./helpers.js"

const FIXTURE = fileURLToPath(new URL("../../../fixtures/agents/gemini/", import.meta.url))
const TMP = join(FIXTURE, "tmp")
const HASH_FOLDER = "1ad108b1f7afc01e965e864ab71a687f22c3191824da969a4434a9d6eb8c8755"
const SESSION = "usage-hub/chats/session-2026-03-02T09-15-3f2a9c1e.jsonl"
const SUBAGENT = "usage-hub/chats/3f2a9c1e-5b6d-4c8e-9f0a-1b2c3d4e5f60/7d9e0f1a-2b3c-4d5e-8f60-718293a4b5c6.jsonl"
const LEGACY = `${HASH_FOLDER}/chats/session-2026-03-03T10-00-8c1d2e3f.json`

async function readAll(dir: string): Promise<{ calls: CollectedCall[]; results: Map<string, ReadResult> }> {
  const results = new Map<string, ReadResult>()
  const calls: CollectedCall[] = []
  for (const source of await geminiReader.sources(dir)) {
    const result = await geminiReader.read(source, undefined)
    results.set(relative(dir, source.path), result)
    calls.push(...result.calls)
  }
  return { calls, results }
}

function source(path: string): SourceRef {
  return { agent: "gemini", path, kind: path.endsWith(".jsonl") ? "jsonl" : "json" }
}

describe("Gemini CLI reader", () => {
  it("finds the chat files of every project folder, subagents' included, and nothing else", async () => {
    const sources = await geminiReader.sources(TMP)
    assert.deepEqual(
      sources.map((s) => [relative(TMP, s.path), s.kind]),
      [
        [LEGACY, "json"],
        [SUBAGENT, "jsonl"],
        [SESSION, "jsonl"],
      ],
    )
    assert.deepEqual(await geminiReader.sources(join(TMP, "missing")), [])
  })

  it("gives per-day input, output and cache-read tokens equal to ccusage 20.0.24's (UTC)", async () => {
    assertTokensAsCcusage(dayTotals((await readAll(TMP)).calls), ccusageDaily(FIXTURE))
  })

  it("turns a gemini message into a call: input without the cached part plus tool tokens, thoughts as reasoning", async () => {
    const { calls } = await readAll(TMP)
    const byId = new Map(calls.map((c) => [c.id, c]))
    assert.deepEqual(byId.get("gemini-cli:b1e0c6a2-0f3d-4d8a-9a51-6f0e2d7c1a01"), {
      id: "gemini-cli:b1e0c6a2-0f3d-4d8a-9a51-6f0e2d7c1a01",
      timestamp: new Date("2026-03-02T09:15:14.120Z"),
      provider: "google",
      model: "gemini-2.5-pro",
      inputTokens: 4000,
      outputTokens: 350,
      cacheReadTokens: 8000,
      cacheWriteTokens: 0,
      reasoningTokens: 420,
      sessionID: "3f2a9c1e-5b6d-4c8e-9f0a-1b2c3d4e5f60",
      project: "usage-hub",
      taskType: "primary",
    })
    assert.equal(byId.get("gemini-cli:b1e0c6a2-0f3d-4d8a-9a51-6f0e2d7c1a03")!.inputTokens, 5030, "tool-use tokens")
    const sub = byId.get("gemini-cli:c2f1d0e3-0f3d-4d8a-9a51-6f0e2d7c1b01")!
    assert.deepEqual(
      [sub.sessionID, sub.taskType, sub.project],
      ["7d9e0f1a-2b3c-4d5e-8f60-718293a4b5c6", "subagent", "usage-hub"],
    )
    const legacy = byId.get("gemini-cli:e4f5a6b7-0f3d-4d8a-9a51-6f0e2d7c1c01")!
    assert.deepEqual(
      [legacy.sessionID, legacy.project],
      ["8c1d2e3f-4a5b-4c6d-9e7f-8091a2b3c4d5", "api-server"],
      "a hash folder's project is named through projects.json",
    )
    assert.equal(
      calls.every((c) => c.costUSD === undefined),
      true,
      "Gemini CLI logs no cost",
    )
    assert.equal(calls.length, 6)
    assert.equal(new Set(calls.map((c) => c.id)).size, 6, "the last record of an id is the only one")
  })

  it("counts what it passes over by reason and warns naming the file", async () => {
    const { results } = await readAll(TMP)
    const session = results.get(SESSION)!
    assert.deepEqual(session.skipped, { "not JSON": 1 })
    assert.deepEqual(session.warnings.length, 1)
    assert.match(session.warnings[0]!, /session-2026-03-02T09-15-3f2a9c1e\.jsonl: 1 line\(s\) that are not JSON/)
    assert.deepEqual(results.get(LEGACY)!.skipped, { "no model": 1, "no tokens": 1 })
    assert.deepEqual(results.get(SUBAGENT)!.skipped, {})
  })

  it("writes nothing into Gemini CLI's folder", async () => {
    const before = listing(FIXTURE)
    await readAll(TMP)
    assert.deepEqual(listing(FIXTURE), before)
  })

  it("reads only new complete lines after its cursor, the partial last line once it is complete", async () => {
    const dir = tempDir()
    cpSync(TMP, dir, { recursive: true })
    const path = join(dir, SESSION)
    const first = await geminiReader.read(source(path), undefined)
    const partial = readFileSync(path, "utf8").split("\n").at(-1)!
    assert.ok(partial.length > 0)
    assert.equal(first.cursor.offset, statSync(path).size - Buffer.byteLength(partial))
    const unchanged = await geminiReader.read(source(path), first.cursor)
    assert.deepEqual([unchanged.calls, unchanged.cursor], [[], first.cursor])

    // Gemini CLI finishes the line it was writing
    appendFileSync(
      path,
      `0,"output":5,"cached":0,"thoughts":0,"tool":0,"total":15},"model":"gemini-2.5-flash"}\n` +
        `{"$set":{"lastUpdated":"2026-03-03T00:05:00.000Z"}}\n`,
    )
    const next = await geminiReader.read(source(path), first.cursor)
    assert.deepEqual(
      next.calls.map((c) => [c.id, c.inputTokens, c.sessionID, c.project]),
      [["gemini-cli:b1e0c6a2-0f3d-4d8a-9a51-6f0e2d7c1a05", 100, "3f2a9c1e-5b6d-4c8e-9f0a-1b2c3d4e5f60", "usage-hub"]],
    )
    assert.deepEqual(next.skipped, {})
    assert.equal(next.cursor.offset, statSync(path).size)
  })

  it("reads a file that shrank (replaced) from the start", async () => {
    const dir = tempDir()
    cpSync(TMP, dir, { recursive: true })
    const path = join(dir, SESSION)
    const first = await geminiReader.read(source(path), undefined)
    const lines = readFileSync(path, "utf8").split("\n")
    writeFileSync(path, `${lines.slice(0, 6).join("\n")}\n`)
    const again = await geminiReader.read(source(path), first.cursor)
    assert.deepEqual(
      again.calls.map((c) => c.id),
      ["gemini-cli:b1e0c6a2-0f3d-4d8a-9a51-6f0e2d7c1a01"],
    )
  })

  it("reads an older .json chat again when it is rewritten, and gives a migrated copy the same identities", async () => {
    const dir = tempDir()
    cpSync(TMP, dir, { recursive: true })
    const path = join(dir, LEGACY)
    const first = await geminiReader.read(source(path), undefined)
    assert.deepEqual((await geminiReader.read(source(path), first.cursor)).calls, [])

    // resuming an older .json session, Gemini CLI copies it into a .jsonl file and goes on there
    const record = JSON.parse(readFileSync(path, "utf8"))
    const { messages, ...metadata } = record
    const copy = path.replace(/\.json$/, ".jsonl")
    writeFileSync(
      copy,
      [metadata, ...messages, { $set: { sessionId: record.sessionId } }].map((l) => `${JSON.stringify(l)}\n`).join(""),
    )
    const migrated = await geminiReader.read(source(copy), undefined)
    const key = (c: CollectedCall) => `${c.id} ${c.timestamp.toISOString()} ${c.inputTokens} ${c.outputTokens}`
    assert.deepEqual(migrated.calls.map(key), first.calls.map(key))

    record.messages.push({
      id: "e4f5a6b7-0f3d-4d8a-9a51-6f0e2d7c1c05",
      timestamp: "2026-03-04T11:05:00.000Z",
      type: "gemini",
      content: "More.",
      tokens: { input: 100, output: 10, cached: 0, thoughts: 0, tool: 0, total: 110 },
      model: "gemini-2.5-flash",
    })
    writeFileSync(path, JSON.stringify(record, null, 2))
    const rewritten = await geminiReader.read(source(path), first.cursor)
    assert.equal(rewritten.calls.length, 3, "the whole file again (the collector counts each call once)")
  })

  it("keeps cached tokens apart when the logged total says the input excluded them (as ccusage reads it)", async () => {
    const dir = tempDir()
    const chats = join(dir, "proj", "chats")
    cpSync(join(TMP, "usage-hub", ".project_root"), join(dir, "proj", ".project_root"))
    const path = join(chats, "session-x.jsonl")
    cpSync(join(TMP, SUBAGENT), path)
    appendFileSync(
      path,
      `${JSON.stringify({
        id: "f0",
        timestamp: "2026-03-05T00:00:00.000Z",
        type: "gemini",
        model: "gemini-2.5-pro",
        tokens: { input: 1000, output: 100, cached: 600, thoughts: 0, tool: 0, total: 1700 },
      })}\n`,
    )
    const { calls } = await geminiReader.read(source(path), undefined)
    const call = calls.find((c) => c.id === "gemini-cli:f0")!
    assert.deepEqual([call.inputTokens, call.cacheReadTokens], [1000, 600])
  })
})
