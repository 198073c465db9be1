import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { toNanos } from "../../src/lib/money.js"
import { sessionsJsonSchema } from "../../src/lib/query/sessions-schema.js"
import type { StoredRecord } from "../../src/lib/record.js"
import { tempDir } from "../helpers/tmp.js"
import { freshPostgres, lines, runCli, seededSqlite, seedStore, startService } from "./helpers.js"

/** 14 legacy records (no node): three sessions over two days, and three calls without a session. */
function legacyRecords(): Array<Record<string, unknown>> {
  const at = (iso: string) => new Date(iso).toISOString()
  const call = (id: string, timestamp: string, sessionID: string | undefined, over: Record<string, unknown> = {}) => ({
    id,
    timestamp: at(timestamp),
    provider: "anthropic",
    model: "claude-sonnet-4-5",
    inputTokens: 1000,
    outputTokens: 100,
    estimatedCost: 0.125,
    taskType: "primary",
    ...(sessionID ? { sessionID } : {}),
    ...over,
  })
  return [
    call("usage_00000001", "2026-11-09T08:00:00Z", "ses_old"),
    call("usage_00000002", "2026-11-09T08:30:00Z", "ses_old", { model: "claude-opus-4-5", estimatedCost: 1.5 }),
    call("usage_00000003", "2026-11-10T09:00:00Z", "ses_mid", { provider: "openai", model: "gpt-5" }),
    call("usage_00000004", "2026-11-10T09:05:00Z", "ses_mid", { provider: "openai", model: "gpt-5" }),
    call("usage_00000005", "2026-11-10T09:10:30Z", "ses_mid", { provider: "openai", model: "gpt-5" }),
    call("usage_00000006", "2026-11-11T22:00:00Z", "ses_new"),
    call("usage_00000007", "2026-11-11T23:30:00Z", "ses_new", { cacheReadTokens: 500 }),
    call("usage_00000008", "2026-11-12T00:15:00Z", "ses_new", { reasoningTokens: 40 }),
    call("usage_00000009", "2026-11-09T12:00:00Z", undefined, { estimatedCost: 0.25 }),
    call("usage_0000000a", "2026-11-10T12:00:00Z", undefined, { estimatedCost: 0.25 }),
    call("usage_0000000b", "2026-11-12T01:00:00Z", undefined, { estimatedCost: 0.25 }),
  ]
}

function stored(raw: Array<Record<string, unknown>>): StoredRecord[] {
  return raw.map((r) => ({
    ...(r as unknown as StoredRecord),
    timestamp: new Date(r.timestamp as string),
    node: "test-node",
  }))
}

describe("usage sessions (built CLI) from --file, --db (SQLite, PostgreSQL) and --endpoint", function () {
  this.timeout(180_000)
  const raw = legacyRecords()
  const sources: Array<[string, string[]]> = []
  const cleanups: Array<() => Promise<void>> = []
  let db: string

  before(async () => {
    const file = join(tempDir(), "oh-my-opencode-usage.json")
    writeFileSync(
      file,
      JSON.stringify({ version: 1, lastUpdated: "2026-11-12T02:00:00Z", records: raw, summaries: {} }),
    )
    sources.push(["legacy file", ["--file", file]])
    db = await seededSqlite(stored(raw))
    sources.push(["SQLite", ["--db", db]])
    const pg = await freshPostgres()
    if (pg) {
      cleanups.push(() => pg.drop())
      await seedStore(pg.url, stored(raw))
      sources.push(["PostgreSQL", ["--db", pg.url]])
    }
    const service = await startService({ db })
    cleanups.unshift(() => service.close())
    sources.push(["the service", ["--endpoint", service.url]])
  })

  after(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  it("prints the same JSON from every source: sessions newest last call first, exact sums, the calls without a session", async () => {
    const answers: string[] = []
    for (const [name, args] of sources) {
      const { code, stdout, stderr } = await runCli(["sessions", ...args, "--json", "--tz", "UTC"])
      expect(code, `${name}: ${stderr}`).to.equal(0)
      const json = sessionsJsonSchema.parse(JSON.parse(stdout))
      expect(
        json.sessions.map((s) => s.sessionID),
        name,
      ).to.deep.equal(["ses_new", "ses_mid", "ses_old"])
      const old = json.sessions[2]
      expect(old).to.include({ node: "test-node", callCount: 2, durationMs: 1_800_000, totalCost: 1.625 })
      expect(old.models).to.deep.equal(["claude-opus-4-5", "claude-sonnet-4-5"])
      const withSession = raw.filter((r) => r.sessionID !== undefined)
      const nanos = withSession.reduce((sum, r) => sum + toNanos(r.estimatedCost as number), 0)
      expect(json.totals.callCount).to.equal(withSession.length)
      expect(json.totals.totalCost).to.equal(nanos / 1e9)
      expect(json.withoutSession).to.deep.equal({ callCount: 3, totalCost: 0.75 })
      answers.push(JSON.stringify(json))
    }
    expect(new Set(answers).size, "one answer from every source").to.equal(1)
  })

  it("takes --limit, --order, filters and a range (a session counts by its last call)", async () => {
    for (const [name, args] of sources) {
      const run = async (...more: string[]) => {
        const { code, stdout, stderr } = await runCli(["sessions", ...args, "--json", ...more])
        expect(code, `${name} ${more.join(" ")}: ${stderr}`).to.equal(0)
        return JSON.parse(stdout) as { sessions: { sessionID: string }[]; withoutSession: { callCount: number } }
      }
      const ids = (json: { sessions: { sessionID: string }[] }) => json.sessions.map((s) => s.sessionID)
      expect(ids(await run("--limit", "2")), name).to.deep.equal(["ses_new", "ses_mid"])
      expect(ids(await run("--limit", "2", "--order", "asc")), name).to.deep.equal(["ses_mid", "ses_new"])
      expect(ids(await run("--provider", "openai")), name).to.deep.equal(["ses_mid"])
      expect(ids(await run("--model", "claude-opus-4-5")), name).to.deep.equal(["ses_old"])
      // ses_new started on the 11th but its last call is on the 12th.
      const day = await run("--since", "2026-11-11", "--until", "2026-11-11", "--tz", "UTC")
      expect(ids(day), name).to.deep.equal([])
      expect(day.withoutSession.callCount).to.equal(0)
      expect(ids(await run("--since", "2026-11-12", "--tz", "UTC")), name).to.deep.equal(["ses_new"])
    }
  })

  it("prints a table with a Total row and a footer counting the calls without a session", async () => {
    const { code, stdout } = await runCli(["sessions", "--db", db, "--tz", "UTC"])
    expect(code).to.equal(0)
    const out = lines(stdout)
    expect(out[0]).to.equal("Sessions (UTC)")
    const header = out.find((line) => line.includes("Last call"))!
    for (const column of ["Session", "Node", "Agent", "Project", "Duration", "Cost", "Calls", "Models"])
      expect(header).to.include(column)
    const row = (id: string) => out.find((line) => line.includes(id))!
    expect(row("ses_mid")).to.match(/2026-11-10 09:10 .* ses_mid .* test-node .* 10m 30s .* \$0\.3750 .* 3 /)
    expect(out.findIndex((l) => l.includes("ses_new"))).to.be.lessThan(out.findIndex((l) => l.includes("ses_old")))
    expect(row("Total (3 sessions)")).to.include("$2.3750")
    expect(out[out.length - 1]).to.equal("3 calls without a session id ($0.7500) not listed.")
  })

  it("says so in one line and exits 0 when no session matches", async () => {
    const { code, stdout, stderr } = await runCli(["sessions", "--db", db, "--since", "2027-01-01"])
    expect(code, stderr).to.equal(0)
    expect(lines(stdout)).to.deep.equal(["No sessions found in this range."])
    const none = await runCli(["sessions", "--db", db, "--node", "elsewhere"])
    expect(lines(none.stdout)).to.deep.equal(["No sessions found."])
  })

  it("refuses a --limit below 1 and an unknown --order as bad usage (exit 2)", async () => {
    for (const args of [
      ["--limit", "0"],
      ["--order", "up"],
    ]) {
      const { code, stderr } = await runCli(["sessions", "--db", db, ...args])
      expect(code, args.join(" ")).to.equal(2)
      expect(lines(stderr)[0]).to.match(/^Error: .*--(limit|order)/)
    }
  })
})
