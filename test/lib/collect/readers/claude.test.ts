import { strict as assert } from "node:assert"
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { CollectedCall, SourceCursor } from "../../../../src/lib/collect/reader.js"
import { claudeReader } from "../../../../src/lib/collect/readers/claude.js"
import { tempDir } from "../../../helpers/tmp.js"
import { assertTokensAsCcusage, ccusageDaily, collectAll, dayTotals, listing } from "./helpers.js"

const FIXTURE = fileURLToPath(new URL("../../../fixtures/agents/claude/", import.meta.url))
const CONFIG = join(FIXTURE, "config")
const HUB = join(CONFIG, "projects", "-home-alice-src-usage-hub")
const S1 = join(HUB, "3f6c1a9e-0b1d-4c3e-9a57-2f1e8d7c6b5a.jsonl")
const S2 = join(HUB, "8d2e4b10-7c3a-4f9e-b1d2-5a6c7e8f9012.jsonl")
const SUB = join(HUB, "3f6c1a9e-0b1d-4c3e-9a57-2f1e8d7c6b5a", "subagents", "agent-a1.jsonl")

const read = (path: string, cursor?: SourceCursor) =>
  claudeReader.read({ agent: "claude", path, kind: "jsonl" }, cursor)
const byId = (calls: CollectedCall[], id: string) => calls.find((call) => call.id === id)

describe("Claude Code reader", () => {
  it("finds every JSONL log under projects/, subagents included, from the config folder or projects/ itself", async () => {
    const fromConfig = await claudeReader.sources(CONFIG)
    assert.deepEqual(
      fromConfig.map((source) => source.path.slice(CONFIG.length + 1)),
      [
        "projects/-home-alice-src-usage-hub/3f6c1a9e-0b1d-4c3e-9a57-2f1e8d7c6b5a.jsonl",
        "projects/-home-alice-src-usage-hub/3f6c1a9e-0b1d-4c3e-9a57-2f1e8d7c6b5a/subagents/agent-a1.jsonl",
        "projects/-home-alice-src-usage-hub/8d2e4b10-7c3a-4f9e-b1d2-5a6c7e8f9012.jsonl",
        "projects/-home-alice-src-website/c41f7a22-93b5-4e08-8d6a-0b1c2d3e4f50.jsonl",
      ],
    )
    assert.ok(fromConfig.every((source) => source.agent === "claude" && source.kind === "jsonl"))
    assert.deepEqual(await claudeReader.sources(join(CONFIG, "projects")), fromConfig)
    assert.deepEqual(await claudeReader.sources(tempDir()), [])
  })

  it("gives per-UTC-day input, output, cache-read and cache-write tokens equal to ccusage 20.0.24's, and the logged cost", async () => {
    const expected = ccusageDaily(FIXTURE)
    const { calls } = await collectAll(claudeReader, CONFIG)
    const days = dayTotals(calls)
    assertTokensAsCcusage(days, expected)
    // 2026-03-03's calls all logged costUSD: ccusage reports exactly their sum
    const logged = expected.find((day) => day.date === "2026-03-03")!
    assert.equal(days.get("2026-03-03")!.unloggedCost, 0)
    assert.ok(Math.abs(days.get("2026-03-03")!.loggedCost - logged.totalCost) < 1e-12)
  })

  it("names a call claude-code:<message.id>:<requestId> and returns a resumed session's copied lines under the same ids", async () => {
    const first = (await read(S1)).calls
    const resumed = (await read(S2)).calls
    assert.ok(first.every((call) => /^claude-code:msg_\w+:req_\w+$/.test(call.id)))
    const copied = ["claude-code:msg_01A:req_01A", "claude-code:msg_01B:req_01B"]
    for (const id of copied) {
      assert.ok(byId(first, id), id)
      assert.ok(byId(resumed, id), id)
    }
    const { calls } = await collectAll(claudeReader, CONFIG)
    assert.equal(calls.filter((call) => copied.includes(call.id)).length, 2)
  })

  it("counts a call written on several lines once, with the larger line's tokens and the first line's time", async () => {
    const { calls } = await read(S1)
    const a = calls.filter((call) => call.id === "claude-code:msg_01A:req_01A")
    assert.equal(a.length, 1)
    assert.equal(a[0].outputTokens, 245)
    assert.equal(a[0].timestamp.toISOString(), "2026-03-01T10:00:04.120Z")
  })

  it("keeps the tokens as logged: cache write from the 5m/1h split, cache read, provider anthropic, no reasoning", async () => {
    const a = byId((await read(S1)).calls, "claude-code:msg_01A:req_01A")!
    assert.deepEqual(
      {
        provider: a.provider,
        model: a.model,
        input: a.inputTokens,
        output: a.outputTokens,
        cacheRead: a.cacheReadTokens,
        cacheWrite: a.cacheWriteTokens,
        reasoning: a.reasoningTokens,
      },
      {
        provider: "anthropic",
        model: "claude-sonnet-4-5-20250929",
        input: 3,
        output: 245,
        cacheRead: 14000,
        cacheWrite: 1500,
        reasoning: 0,
      },
    )
    assert.equal(a.costUSD, undefined)
  })

  it("prefers the 5m/1h split over cache_creation_input_tokens when both are written and disagree", async () => {
    const dir = tempDir()
    const path = join(dir, "s.jsonl")
    const line = {
      sessionId: "s",
      version: "2.0.14",
      cwd: "/w/p",
      type: "assistant",
      requestId: "req_x",
      timestamp: "2026-03-05T00:00:00.000Z",
      message: {
        id: "msg_x",
        model: "claude-sonnet-4-5-20250929",
        usage: {
          input_tokens: 1,
          output_tokens: 2,
          cache_creation_input_tokens: 999,
          cache_read_input_tokens: 0,
          cache_creation: { ephemeral_5m_input_tokens: 10, ephemeral_1h_input_tokens: 20 },
        },
      },
    }
    writeFileSync(path, `${JSON.stringify(line)}\n`)
    assert.equal((await read(path)).calls[0].cacheWriteTokens, 30)
  })

  it("takes the project from the session's cwd, else from the project folder, and the session from sessionId", async () => {
    const { calls } = await collectAll(claudeReader, CONFIG)
    const hub = byId(calls, "claude-code:msg_02A:req_02A")!
    assert.equal(hub.project, "usage-hub")
    assert.equal(hub.sessionID, "8d2e4b10-7c3a-4f9e-b1d2-5a6c7e8f9012")
    const old = byId(calls, "claude-code:msg_03A:req_03A")!
    assert.equal(old.project, "-home-alice-src-website")
    assert.equal(old.sessionID, "c41f7a22-93b5-4e08-8d6a-0b1c2d3e4f50")
  })

  it("uses costUSD where the log has it", async () => {
    const { calls } = await collectAll(claudeReader, CONFIG)
    assert.equal(byId(calls, "claude-code:msg_03B:req_03B")!.costUSD, 0.01245)
    assert.ok(calls.filter((call) => call.costUSD !== undefined).every((call) => call.id.includes("msg_03")))
  })

  it("marks sidechain and nested subagent calls as subagent, the rest primary", async () => {
    const { calls } = await collectAll(claudeReader, CONFIG)
    const subagent = calls.filter((call) => call.taskType === "subagent").map((call) => call.id)
    assert.deepEqual(subagent.sort(), [
      "claude-code:msg_01P:req_01P",
      "claude-code:msg_01Q:req_01Q",
      "claude-code:msg_01T:req_01T",
    ])
    assert.ok(calls.filter((call) => !subagent.includes(call.id)).every((call) => call.taskType === "primary"))
  })

  it("returns a subagent's call nested in an agent_progress line under the id of the subagent's own line", async () => {
    const nested = byId((await read(S1)).calls, "claude-code:msg_01P:req_01P")!
    const own = byId((await read(SUB)).calls, "claude-code:msg_01P:req_01P")!
    assert.equal(nested.timestamp.getTime(), own.timestamp.getTime())
    assert.equal(nested.outputTokens, own.outputTokens)
  })

  it("skips a sidechain's replay of its parent's message (new request id), keeping the parent's", async () => {
    const sub = await read(SUB)
    assert.deepEqual(sub.skipped, { "sidechain replay": 1 })
    assert.equal(
      sub.calls.find((call) => call.id.startsWith("claude-code:msg_01B:")),
      undefined,
    )
    const { calls } = await collectAll(claudeReader, CONFIG)
    const b = calls.filter((call) => call.id.startsWith("claude-code:msg_01B:"))
    assert.equal(b.length, 1)
    assert.equal(b[0].cacheReadTokens, 15500)
  })

  it("skips a replay that comes before its parent's line in one log, keeping the parent's", async () => {
    const dir = tempDir()
    const path = join(dir, "s.jsonl")
    const line = (requestId: string, isSidechain: boolean, cacheRead: number) =>
      JSON.stringify({
        sessionId: "s",
        isSidechain,
        requestId,
        timestamp: "2026-03-05T00:00:00.000Z",
        message: {
          id: "msg_p",
          model: "claude-sonnet-4-5-20250929",
          usage: { input_tokens: 1, output_tokens: 2, cache_read_input_tokens: cacheRead },
        },
      })
    writeFileSync(path, `${line("req_replay", true, 900)}\n${line("req_parent", false, 10)}\n`)
    const result = await read(path)
    assert.deepEqual(
      result.calls.map((call) => [call.id, call.cacheReadTokens]),
      [["claude-code:msg_p:req_parent", 10]],
    )
    assert.deepEqual(result.skipped, { "sidechain replay": 1 })
  })

  it("skips <synthetic> lines and lines that are not JSON, counting them and naming the file once", async () => {
    const result = await read(S1)
    assert.deepEqual(result.skipped, { "synthetic model": 1, "not JSON": 1 })
    assert.equal(result.warnings.length, 1)
    assert.match(result.warnings[0], /3f6c1a9e-0b1d-4c3e-9a57-2f1e8d7c6b5a\.jsonl: 1 line\(s\) not JSON.*line 7/)
    assert.ok(result.calls.every((call) => call.model !== "<synthetic>"))
  })

  it("skips lines ccusage refuses (a non-semver version, an empty request id, a null model) as invalid", async () => {
    const dir = tempDir()
    const path = join(dir, "s.jsonl")
    const line = (extra: Record<string, unknown>, model: unknown = "claude-sonnet-4-5-20250929") =>
      JSON.stringify({
        sessionId: "s",
        requestId: "req_1",
        timestamp: "2026-03-05T00:00:00.000Z",
        ...extra,
        message: { id: "msg_1", model, usage: { input_tokens: 1, output_tokens: 2 } },
      })
    writeFileSync(path, [line({ version: "abc" }), line({ requestId: "" }), line({}, null), line({})].join("\n") + "\n")
    const result = await read(path)
    assert.deepEqual(result.skipped, { "invalid entry": 3 })
    assert.equal(result.calls.length, 1)
  })

  it("leaves a last line still being written for the next read, then reads it once complete", async () => {
    const dir = tempDir()
    const path = join(dir, "s2.jsonl")
    copyFileSync(S2, path)
    const first = await read(path)
    assert.deepEqual(
      first.calls.map((call) => call.id),
      [
        "claude-code:msg_01A:req_01A",
        "claude-code:msg_01B:req_01B",
        "claude-code:msg_02A:req_02A",
        "claude-code:msg_02B:req_02B",
      ],
    )
    assert.deepEqual(first.skipped, {})
    const size = readFileSync(path).length
    assert.ok(first.cursor.offset! < size)
    assert.equal(first.cursor.size, size)

    // nothing new complete yet: nothing returned, the cursor stays
    const again = await read(path, first.cursor)
    assert.deepEqual(again.calls, [])
    assert.equal(again.cursor.offset, first.cursor.offset)

    // the line completes
    const whole = readFileSync(path, "utf8")
    const complete = {
      sessionId: "8d2e4b10-7c3a-4f9e-b1d2-5a6c7e8f9012",
      version: "2.0.14",
      requestId: "req_02C",
      type: "assistant",
      timestamp: "2026-03-02T14:32:00.000Z",
      message: { id: "msg_02C", model: "claude-opus-4-1-20250805", usage: { input_tokens: 2, output_tokens: 77 } },
    }
    assert.match(whole.slice(first.cursor.offset!), /^\{"parentUuid"[^\n]*$/)
    writeFileSync(path, `${whole.slice(0, first.cursor.offset)}${JSON.stringify(complete)}\n`)
    const next = await read(path, again.cursor)
    assert.deepEqual(
      next.calls.map((call) => call.id),
      ["claude-code:msg_02C:req_02C"],
    )
    assert.equal(next.cursor.offset, readFileSync(path).length)
  })

  it("reads only the lines appended since the cursor", async () => {
    const dir = tempDir()
    const path = join(dir, "s1.jsonl")
    copyFileSync(S1, path)
    const first = await read(path)
    const extra = JSON.parse(readFileSync(S2, "utf8").split("\n")[4])
    appendFileSync(
      path,
      `${JSON.stringify({ ...extra, message: { ...extra.message, id: "msg_09" }, requestId: "req_09" })}\n`,
    )
    const next = await read(path, first.cursor)
    assert.deepEqual(
      next.calls.map((call) => call.id),
      ["claude-code:msg_09:req_09"],
    )
    assert.deepEqual(next.skipped, {})
    assert.deepEqual(next.warnings, [])
  })

  it("skips in a later read a sidechain replay of a message its own log showed in an earlier read", async () => {
    const dir = tempDir()
    const path = join(dir, "s.jsonl")
    const line = (requestId: string, isSidechain: boolean) =>
      `${JSON.stringify({
        sessionId: "s",
        isSidechain,
        requestId,
        timestamp: "2026-03-05T00:00:00.000Z",
        message: { id: "msg_p", model: "claude-sonnet-4-5-20250929", usage: { input_tokens: 1, output_tokens: 2 } },
      })}\n`
    writeFileSync(path, line("req_parent", false))
    const first = await read(path)
    appendFileSync(path, line("req_replay", true))
    const next = await read(path, first.cursor)
    assert.deepEqual(next.calls, [])
    assert.deepEqual(next.skipped, { "sidechain replay": 1 })
  })

  it("reads a file that shrank, or was replaced by another, from the start", async () => {
    const dir = tempDir()
    const path = join(dir, "s1.jsonl")
    copyFileSync(S1, path)
    const first = await read(path)
    const lines = readFileSync(S1, "utf8").split("\n")

    truncateSync(path, lines[0].length + lines[1].length + 2)
    const shrunk = await read(path, first.cursor)
    assert.deepEqual(
      shrunk.calls.map((call) => call.id),
      ["claude-code:msg_01A:req_01A"],
    )

    // replaced by a longer file whose byte before the old offset is not a line end
    writeFileSync(path, `${"x".repeat(first.cursor.offset!)}\n${lines[4]}\n`)
    const replaced = await read(path, first.cursor)
    assert.deepEqual(
      replaced.calls.map((call) => call.id),
      ["claude-code:msg_01B:req_01B"],
    )
    assert.deepEqual(replaced.skipped, { "not JSON": 1 })
  })

  it("writes nothing into the agent's folder", async () => {
    const before = listing(CONFIG)
    const { calls } = await collectAll(claudeReader, CONFIG)
    for (const source of await claudeReader.sources(CONFIG)) {
      const first = await read(source.path)
      await read(source.path, first.cursor)
    }
    assert.ok(calls.length > 0)
    assert.deepEqual(listing(CONFIG), before)
  })

  it("reads a subagent log whose parent log is missing without failing", async () => {
    const dir = tempDir()
    const folder = join(dir, "projects", "p", "sess", "subagents")
    mkdirSync(folder, { recursive: true })
    copyFileSync(SUB, join(folder, "agent-a1.jsonl"))
    const result = await read(join(folder, "agent-a1.jsonl"))
    assert.equal(result.calls.length, 3)
  })
})
