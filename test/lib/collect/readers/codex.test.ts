import { strict as assert } from "node:assert"
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { SourceCursor } from "../../../../src/lib/collect/reader.js"
import { codexReader } from "../../../../src/lib/collect/readers/codex.js"
import { fnv1a64 } from "../../../../src/lib/collect/readers/hash.js"
import { tempDir } from "../../../helpers/tmp.js"
import { assertTokensAsCcusage, ccusageDaily, collectAll, dayTotals, listing } from "./helpers.js"

const FIXTURE = fileURLToPath(new URL("../../../fixtures/agents/codex/", import.meta.url))
const HOME = join(FIXTURE, "home")
const SESSIONS = join(HOME, "sessions", "2026", "03")
const A = join(SESSIONS, "01", "rollout-2026-03-01T09-00-00-0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.jsonl")
const B = join(SESSIONS, "02", "rollout-2026-03-02T10-00-00-0199b2c3-d4e5-7f60-9b0c-1d2e3f4a5b6c.jsonl")
const C = join(SESSIONS, "02", "rollout-2026-03-02T11-00-00-0199c3d4-e5f6-7071-8c1d-2e3f4a5b6c7d.jsonl")
const D = join(SESSIONS, "03", "rollout-2026-03-03T08-03-00-0199d4e5-f607-7182-9d2e-3f4a5b6c7d8e.jsonl")

const read = (path: string, cursor?: SourceCursor) => codexReader.read({ agent: "codex", path, kind: "jsonl" }, cursor)

const line = (value: unknown) => `${JSON.stringify(value)}\n`
const meta = (id: string, cwd = "/w/proj") =>
  line({ timestamp: "2026-03-05T00:00:00.000Z", type: "session_meta", payload: { id, cwd } })
const turn = (model: string) =>
  line({ timestamp: "2026-03-05T00:00:01.000Z", type: "turn_context", payload: { model } })
const usage = (input: number, cached: number, output: number, reasoning: number) => ({
  input_tokens: input,
  cached_input_tokens: cached,
  output_tokens: output,
  reasoning_output_tokens: reasoning,
  total_tokens: input + output,
})
const tokens = (timestamp: string, info: Record<string, unknown>) =>
  line({ timestamp, type: "event_msg", payload: { type: "token_count", info } })

describe("Codex reader", () => {
  it("finds rollout files in sessions/ and archived_sessions/, the active copy winning over an archived one", async () => {
    const found = await codexReader.sources(HOME)
    assert.deepEqual(
      found.map((source) => source.path.slice(HOME.length + 1)),
      [
        "sessions/2026/03/01/rollout-2026-03-01T09-00-00-0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b.jsonl",
        "sessions/2026/03/02/rollout-2026-03-02T10-00-00-0199b2c3-d4e5-7f60-9b0c-1d2e3f4a5b6c.jsonl",
        "sessions/2026/03/02/rollout-2026-03-02T11-00-00-0199c3d4-e5f6-7071-8c1d-2e3f4a5b6c7d.jsonl",
        "sessions/2026/03/03/rollout-2026-03-03T08-03-00-0199d4e5-f607-7182-9d2e-3f4a5b6c7d8e.jsonl",
        "archived_sessions/rollout-2026-02-28T16-00-00-0199e5f6-0718-7293-8e3f-4a5b6c7d8e9f.jsonl",
      ],
    )
    assert.ok(found.every((source) => source.agent === "codex" && source.kind === "jsonl"))
    assert.equal((await codexReader.sources(join(HOME, "sessions"))).length, 4)
    assert.deepEqual(await codexReader.sources(tempDir()), [])
  })

  it("gives per-UTC-day input, output, cache-read, cache-write and reasoning tokens equal to ccusage 20.0.24's", async () => {
    const expected = ccusageDaily(FIXTURE)
    const { calls } = await collectAll(codexReader, HOME)
    const days = dayTotals(calls)
    assertTokensAsCcusage(days, expected, { reasoning: true })
    // Codex logs no cost: the collector prices every call
    for (const day of days.values()) assert.equal(day.loggedCost, 0)
  })

  it("turns a token_count's last_token_usage into a call: input without the cached part, output with reasoning", async () => {
    const { calls } = await read(A)
    assert.deepEqual(
      {
        provider: calls[0].provider,
        model: calls[0].model,
        input: calls[0].inputTokens,
        cacheRead: calls[0].cacheReadTokens,
        cacheWrite: calls[0].cacheWriteTokens,
        output: calls[0].outputTokens,
        reasoning: calls[0].reasoningTokens,
        timestamp: calls[0].timestamp.toISOString(),
        session: calls[0].sessionID,
        project: calls[0].project,
        taskType: calls[0].taskType,
        cost: calls[0].costUSD,
      },
      {
        provider: "openai",
        model: "gpt-5-codex",
        input: 4000,
        cacheRead: 8000,
        cacheWrite: 0,
        output: 900,
        reasoning: 512,
        timestamp: "2026-03-01T09:00:41.250Z",
        session: "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        project: "usage-hub",
        taskType: "primary",
        cost: undefined,
      },
    )
  })

  it("names a call codex:<FNV-1a 64 of its timestamp, model and per-turn counts>", async () => {
    const { calls } = await read(A)
    const key = ["2026-03-01T09:00:41.250Z", "gpt-5-codex", 12000, 8000, 900, 512, 12900].join("\n")
    assert.equal(calls[0].id, `codex:${fnv1a64(key)}`)
    assert.match(calls[0].id, /^codex:[0-9a-f]{16}$/)
  })

  it("counts an event logged twice once, and passes over token_count events without usage or with no tokens", async () => {
    const { calls } = await read(A)
    assert.deepEqual(
      calls.map((call) => call.timestamp.toISOString()),
      ["2026-03-01T09:00:41.250Z", "2026-03-01T23:59:59.900Z", "2026-03-02T00:00:30.400Z"],
    )
  })

  it("takes the model from the latest turn_context", async () => {
    const { calls } = await read(A)
    assert.deepEqual(
      calls.map((call) => call.model),
      ["gpt-5-codex", "gpt-5-codex", "gpt-5"],
    )
  })

  it("assumes gpt-5 when no model was logged, and counts those calls in the notes", async () => {
    const result = await read(B)
    assert.deepEqual(
      result.calls.map((call) => call.model),
      ["gpt-5", "gpt-5", "gpt-5"],
    )
    assert.deepEqual(result.notes, { "model assumed gpt-5": 3 })
    assert.equal((await read(A)).notes, undefined)
  })

  it("takes the per-turn delta from cumulative totals when last_token_usage is absent", async () => {
    const { calls } = await read(B)
    assert.deepEqual(
      calls.map((call) => [call.inputTokens, call.cacheReadTokens, call.outputTokens]),
      [
        [3000, 0, 700],
        [1500, 1000, 450],
        [300, 1500, 200],
      ],
    )
    assert.equal(calls[0].project, "website")
  })

  it("gives a forked session's copy of its parent's events the parent's ids", async () => {
    const parent = (await read(A)).calls
    const fork = (await read(C)).calls
    assert.equal(fork[0].id, parent[0].id)
    assert.equal(fork.length, 2)
    assert.equal(fork[1].sessionID, "0199c3d4-e5f6-7071-8c1d-2e3f4a5b6c7d")
    const { calls } = await collectAll(codexReader, HOME)
    assert.equal(calls.filter((call) => call.id === parent[0].id).length, 1)
  })

  it("passes over a spawned subagent's replay of its parent's history, counting it", async () => {
    const result = await read(D)
    assert.deepEqual(
      result.calls.map((call) => [call.timestamp.toISOString(), call.inputTokens, call.outputTokens]),
      [
        ["2026-03-03T08:03:20.000Z", 2000, 380],
        ["2026-03-03T08:04:10.000Z", 600, 220],
      ],
    )
    assert.deepEqual(result.skipped, { "subagent replay of the parent's history": 2 })
    assert.equal(result.calls[0].sessionID, "0199d4e5-f607-7182-9d2e-3f4a5b6c7d8e")
  })

  it("skips a line that is not JSON, counting it and naming the file once", async () => {
    const result = await read(A)
    assert.deepEqual(result.skipped, { "not JSON": 1 })
    assert.equal(result.warnings.length, 1)
    assert.match(result.warnings[0], /0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b\.jsonl: 1 line\(s\) not JSON.*line 11/)
  })

  it("reads only the new events after the cursor, with the model, session and totals of the lines before it", async () => {
    const dir = tempDir()
    const path = join(dir, "rollout-x.jsonl")
    writeFileSync(
      path,
      meta("s-1") +
        turn("gpt-5-codex") +
        tokens("2026-03-05T00:00:02.000Z", { total_token_usage: usage(100, 0, 10, 0) }),
    )
    const first = await read(path)
    assert.equal(first.calls.length, 1)
    appendFileSync(path, tokens("2026-03-05T00:00:03.000Z", { total_token_usage: usage(250, 50, 30, 5) }))
    const next = await read(path, first.cursor)
    assert.deepEqual(
      next.calls.map((call) => [
        call.model,
        call.sessionID,
        call.project,
        call.inputTokens,
        call.cacheReadTokens,
        call.outputTokens,
      ]),
      [["gpt-5-codex", "s-1", "proj", 100, 50, 20]],
    )
    assert.deepEqual(next.skipped, {})
    const none = await read(path, next.cursor)
    assert.deepEqual(none.calls, [])
    assert.deepEqual(none.cursor, next.cursor)
  })

  it("leaves a last line still being written for the next read, then reads it once complete", async () => {
    const dir = tempDir()
    const path = join(dir, "rollout-d.jsonl")
    copyFileSync(D, path)
    const first = await read(path)
    assert.equal(first.calls.length, 2)
    assert.deepEqual(first.skipped, { "subagent replay of the parent's history": 2 })
    const whole = readFileSync(path, "utf8")
    assert.ok(first.cursor.offset! < whole.length)
    writeFileSync(
      path,
      whole.slice(0, first.cursor.offset) +
        tokens("2026-03-03T08:05:00.000Z", { last_token_usage: usage(5000, 4500, 100, 0), model: "gpt-5-codex" }),
    )
    const next = await read(path, first.cursor)
    assert.deepEqual(
      next.calls.map((call) => [call.timestamp.toISOString(), call.inputTokens, call.cacheReadTokens]),
      [["2026-03-03T08:05:00.000Z", 500, 4500]],
    )
    // the replay before the cursor was counted by the first read, not again
    assert.deepEqual(next.skipped, {})
  })

  it("reads a file that shrank, or was replaced by another, from the start", async () => {
    const dir = tempDir()
    const path = join(dir, "rollout-a.jsonl")
    copyFileSync(A, path)
    const first = await read(path)
    const lines = readFileSync(A, "utf8").split("\n")
    const keep = lines.slice(0, 6).join("\n") + "\n"
    truncateSync(path, Buffer.byteLength(keep))
    const shrunk = await read(path, first.cursor)
    assert.deepEqual(
      shrunk.calls.map((call) => call.id),
      [first.calls[0].id],
    )
    writeFileSync(path, `${"x".repeat(first.cursor.offset!)}\n${keep}`)
    const replaced = await read(path, first.cursor)
    assert.deepEqual(
      replaced.calls.map((call) => call.id),
      [first.calls[0].id],
    )
  })

  it("reads an archived session when sessions/ has no file of that name", async () => {
    const dir = tempDir()
    mkdirSync(join(dir, "archived_sessions"), { recursive: true })
    copyFileSync(A, join(dir, "archived_sessions", "rollout-a.jsonl"))
    const found = await codexReader.sources(dir)
    assert.deepEqual(
      found.map((source) => source.path),
      [join(dir, "archived_sessions", "rollout-a.jsonl")],
    )
  })

  it("writes nothing into the agent's folder", async () => {
    const before = listing(HOME)
    const { calls } = await collectAll(codexReader, HOME)
    for (const source of await codexReader.sources(HOME)) {
      const first = await read(source.path)
      await read(source.path, first.cursor)
    }
    assert.ok(calls.length > 0)
    assert.deepEqual(listing(HOME), before)
  })
})
