import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import type { StoredRecord } from "../../src/lib/record.js"
import { tempDir } from "../helpers/tmp.js"
import {
  FIXTURES,
  fixtureRecords,
  freshPostgres,
  lines,
  runCli,
  seededSqlite,
  seedStore,
  startService,
} from "./helpers.js"

/** Independent expectation: per provider, the records of its current period at NOW (2026-11-12 12:00 UTC, UTC). */
function expectedPeriod(records: StoredRecord[]) {
  const out: Record<string, { calls: number; cost: number; input: number; output: number }> = {}
  for (const r of records) {
    const [from, to] = r.provider === "anthropic" ? ["2026-11-08", "2026-11-15"] : ["2026-11-01", "2026-12-01"]
    const t = r.timestamp.getTime()
    out[r.provider] ??= { calls: 0, cost: 0, input: 0, output: 0 }
    if (t < Date.parse(from) || t >= Date.parse(to)) continue
    const s = out[r.provider]
    s.calls += 1
    s.cost += r.estimatedCost
    s.input += r.inputTokens
    s.output += r.outputTokens
  }
  return out
}

function withoutGeneratedAt(json: string): unknown {
  const value = JSON.parse(json)
  delete value.generatedAt
  return value
}

const record = (over: Partial<StoredRecord>): StoredRecord => ({
  id: "usage_00000001",
  timestamp: new Date("2026-11-10T10:00:00Z"),
  provider: "openai",
  model: "gpt-5.2",
  inputTokens: 100,
  outputTokens: 10,
  estimatedCost: 0.5,
  taskType: "primary",
  node: "n1",
  ...over,
})

describe("usage summary", () => {
  const small = fixtureRecords("small.json")
  let db: string

  before(async () => {
    db = await seededSqlite(small)
  })

  it("prints a table per provider for the current billing period with a total row", async () => {
    const { code, stdout, stderr } = await runCli(["summary", "--db", db])
    expect(code, stderr).to.equal(0)
    const expected = expectedPeriod(small)
    const totalCalls = Object.values(expected).reduce((a, s) => a + s.calls, 0)
    const totalCost = Object.values(expected).reduce((a, s) => a + s.cost, 0)
    for (const provider of Object.keys(expected)) expect(stdout).to.match(new RegExp(`│ ${provider} +│`))
    const total = stdout.split("\n").find((line) => line.includes("│ Total"))!
    expect(total).to.include(`$${totalCost.toFixed(4)}`)
    expect(total).to.match(new RegExp(`│ +${totalCalls} │`))
    expect(stdout).to.include("Period start").and.include("Next reset").and.include("Share").and.include("Unpriced")
    // openai: monthly, from the 1st; anthropic: weekly, from Sunday the 8th.
    expect(stdout).to.match(/│ openai .*│ 2026-11-01 +│ 2026-12-01 +│/)
    expect(stdout).to.match(/│ anthropic .*│ 2026-11-08 +│ 2026-11-15 +│/)
  })

  it("says that the Total adds weekly and monthly periods, and gives each kind's total (table and JSON)", async () => {
    const expected = expectedPeriod(small)
    const kind = (p: string) => (p === "anthropic" ? "weekly" : "monthly")
    const totals: Record<string, { cost: number; calls: number }> = {}
    for (const [p, e] of Object.entries(expected)) {
      totals[kind(p)] ??= { cost: 0, calls: 0 }
      totals[kind(p)].cost += e.cost
      totals[kind(p)].calls += e.calls
    }
    const json = JSON.parse((await runCli(["summary", "--db", db, "--json"])).stdout)
    expect(Object.keys(json.totalsByResetType)).to.deep.equal(["weekly", "monthly"])
    for (const k of ["weekly", "monthly"]) {
      expect(json.totalsByResetType[k].callCount, k).to.equal(totals[k].calls)
      expect(json.totalsByResetType[k].totalCost, k).to.be.closeTo(totals[k].cost, 1e-9)
    }
    const { stdout } = await runCli(["summary", "--db", db])
    const out = lines(stdout)
    expect(out[0]).to.equal(
      "Usage for the current billing period of each provider (UTC); the Total adds weekly and monthly periods",
    )
    expect(stdout).to.match(/│ Total \(mixed periods\) +│/)
    expect(out).to.include(
      `Total of the weekly periods: $${totals.weekly.cost.toFixed(4)} (${totals.weekly.calls} calls)`,
    )
    expect(out).to.include(
      `Total of the monthly periods: $${totals.monthly.cost.toFixed(4)} (${totals.monthly.calls} calls)`,
    )
  })

  it("has no period columns and no per-kind totals for a range (the heading says the range)", async () => {
    const { stdout } = await runCli(["summary", "--db", db, "--since", "2026-11-01"])
    expect(stdout).to.include("Usage from 2026-11-01 until now (UTC)")
    expect(stdout).not.to.include("Next reset")
    expect(stdout).not.to.include("Period start")
    expect(stdout).not.to.include("mixed periods")
    expect(stdout).to.match(/│ Total +│/)
  })

  it("sorts rows by cost, dearest first, and --order asc reverses", async () => {
    const names = (out: string) =>
      lines(out)
        .filter((l) => l.startsWith("│") && !l.includes("Provider") && !l.includes("Total"))
        .map((l) => l.split("│")[1].trim())
    const expected = Object.entries(expectedPeriod(small))
      .sort(([a, x], [b, y]) => y.cost - x.cost || (a < b ? -1 : 1))
      .map(([p]) => p)
    expect(names((await runCli(["summary", "--db", db])).stdout)).to.deep.equal(expected)
    expect(names((await runCli(["summary", "--db", db, "--order", "asc"])).stdout)).to.deep.equal(
      [...expected].reverse(),
    )
  })

  it("shows no Nodes column in the table by node, and a Total row under every breakdown", async () => {
    const { stdout } = await runCli(["summary", "--db", db, "--by", "node"])
    const [providers, byNode] = stdout.split("By node:")
    expect(providers).to.include("Nodes")
    expect(byNode).not.to.include("Nodes")
    expect(byNode).to.match(/│ test-node +│/)
    expect(byNode).to.match(/│ Total +│/)
  })

  it("--compact keeps name, cost, share, calls, input and output, in the table and the breakdown", async () => {
    const { code, stdout, stderr } = await runCli(["summary", "--db", db, "--compact", "--by", "model"])
    expect(code, stderr).to.equal(0)
    const heads = lines(stdout).filter((l) => /^│ (Provider|Model) /.test(l))
    expect(heads).to.have.length(2)
    for (const head of heads) {
      expect(
        head
          .split("│")
          .slice(2, -1)
          .map((c) => c.trim()),
      ).to.deep.equal(["Cost", "Share", "Calls", "Input", "Output"])
    }
    expect(stdout).to.not.match(/Next reset|Unpriced|Nodes/)
  })

  it("is plain text when piped, coloured with FORCE_COLOR, plain again with FORCE_COLOR=0", async () => {
    const piped = await runCli(["summary", "--db", db])
    expect(piped.stdout).to.not.include("\u001b[")
    const forced = await runCli(["summary", "--db", db], { env: { FORCE_COLOR: "1" } })
    expect(forced.stdout).to.include("\u001b[1m\u001b[36mProvider")
    expect(forced.stdout).to.include("\u001b[1mTotal")
    const off = await runCli(["summary", "--db", db], { env: { FORCE_COLOR: "0", NO_COLOR: "1" } })
    expect(off.stdout).to.equal(piped.stdout)
  })

  it("prints the API's JSON with --json: ISO dates and every column the table shows", async () => {
    const { code, stdout } = await runCli(["summary", "--db", db, "--json"])
    expect(code).to.equal(0)
    const json = JSON.parse(stdout)
    const expected = expectedPeriod(small)
    expect(Object.keys(json.summaries).sort()).to.deep.equal(Object.keys(expected).sort())
    let shares = 0
    for (const [provider, s] of Object.entries(json.summaries) as Array<[string, Record<string, unknown>]>) {
      expect(s.callCount, provider).to.equal(expected[provider].calls)
      expect(s.totalCost as number).to.be.closeTo(expected[provider].cost, 1e-9)
      expect(s.totalInputTokens).to.equal(expected[provider].input)
      expect(s.totalOutputTokens).to.equal(expected[provider].output)
      expect(s.periodStart).to.match(/^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/)
      expect(s.nextReset).to.match(/^\d{4}-\d{2}-\d{2}T00:00:00\.000Z$/)
      for (const key of ["share", "nodes", "unpricedCalls", "totalCacheReadTokens", "totalCacheWriteTokens"])
        expect(s, `${provider}.${key}`).to.have.property(key)
      shares += s.share as number
    }
    expect(shares).to.be.closeTo(100, 1e-9)
    expect(json.totalCost).to.be.closeTo(
      Object.values(expected).reduce((a, s) => a + s.cost, 0),
      1e-9,
    )
    expect(json.nodes).to.deep.equal(["test-node"])
    expect(json.generatedAt).to.equal("2026-11-12T12:00:00.000Z")
  })

  it("answers the same JSON from --db, --file, --endpoint and PostgreSQL", async function () {
    this.timeout(60_000)
    const service = await startService({ db })
    const pg = await freshPostgres()
    try {
      if (pg) await seedStore(pg.url, small)
      else console.log("    (PostgreSQL not reachable: comparing without it)")
      const args = ["summary", "--json", "--by", "model", "--tz", "Europe/Paris"]
      const fromDb = await runCli([...args, "--db", db])
      const fromFile = await runCli([...args, "--file", join(FIXTURES, "small.json")])
      const fromEndpoint = await runCli([...args, "--endpoint", service.url])
      expect(fromDb.code, fromDb.stderr).to.equal(0)
      expect(fromEndpoint.code, fromEndpoint.stderr).to.equal(0)
      const reference = withoutGeneratedAt(fromDb.stdout)
      expect(withoutGeneratedAt(fromFile.stdout)).to.deep.equal(reference)
      expect(withoutGeneratedAt(fromEndpoint.stdout)).to.deep.equal(reference)
      if (pg) {
        const fromPg = await runCli([...args, "--db", pg.url])
        expect(fromPg.code, fromPg.stderr).to.equal(0)
        expect(withoutGeneratedAt(fromPg.stdout)).to.deep.equal(reference)
      }
    } finally {
      await service.close()
      await pg?.drop()
    }
  })

  it("breaks the spend down with --by (table and JSON)", async () => {
    const human = await runCli(["summary", "--db", db, "--by", "taskType"])
    expect(human.code).to.equal(0)
    expect(human.stdout).to.include("By task type:")
    expect(human.stdout).to.match(/│ subagent +│/)
    const { stdout } = await runCli(["summary", "--db", db, "--by", "model", "--json"])
    const json = JSON.parse(stdout)
    expect(json.breakdown.by).to.equal("model")
    const calls = json.breakdown.groups.reduce((a: number, g: { callCount: number }) => a + g.callCount, 0)
    const expected = Object.values(expectedPeriod(small)).reduce((a, s) => a + s.calls, 0)
    expect(calls).to.equal(expected)
    expect(json.breakdown.groups[0]).to.include.keys("key", "totalCost", "share", "callCount", "nodes")
  })

  it("filters by provider and node", async () => {
    const path = await seededSqlite([
      record({ id: "a", node: "n1" }),
      record({ id: "b", node: "n2", estimatedCost: 1 }),
      record({ id: "c", node: "n2", provider: "google", model: "gemini-3-pro" }),
    ])
    const { stdout } = await runCli(["summary", "--db", path, "--node", "n2", "--provider", "openai", "--json"])
    const json = JSON.parse(stdout)
    expect(Object.keys(json.summaries)).to.deep.equal(["openai"])
    expect(json.summaries.openai.callCount).to.equal(1)
    expect(json.summaries.openai.totalCost).to.equal(1)
  })

  it("shows cache token columns only when records carry cache tokens", async () => {
    const withCache = await seededSqlite([record({ id: "a", cacheReadTokens: 1234, cacheWriteTokens: 56 })])
    const shown = await runCli(["summary", "--db", withCache])
    expect(shown.stdout).to.include("Cache read").and.include("Cache write").and.include("1,234")
    expect(shown.stdout).to.not.include("Reasoning")
    const json = JSON.parse((await runCli(["summary", "--db", withCache, "--json"])).stdout)
    expect(json.summaries.openai).to.include({ totalCacheReadTokens: 1234, totalCacheWriteTokens: 56 })
    const without = await runCli(["summary", "--db", db])
    expect(without.stdout).to.not.include("Cache read")
  })

  it("prints one line and exits 0 when nothing was recorded", async () => {
    const empty = await seededSqlite([])
    const result = await runCli(["summary", "--db", empty])
    expect(result.code).to.equal(0)
    expect(lines(result.stdout)).to.deep.equal(["No usage recorded for the current period."])
    const json = await runCli(["summary", "--db", empty, "--json"])
    expect(JSON.parse(json.stdout).summaries).to.deep.equal({})
  })

  it("names the known providers when --provider matches none (names match exactly), in the table and the JSON", async () => {
    const known = [...new Set(small.map((r) => r.provider))].sort()
    const unknown = await runCli(["summary", "--db", db, "--provider", "mistral"])
    expect(unknown.code).to.equal(0)
    expect(lines(unknown.stdout)).to.deep.equal([
      'No usage recorded for provider "mistral" (provider names match exactly).',
      `Known providers: ${known.join(", ")}.`,
    ])
    const cased = await runCli(["summary", "--db", db, "--provider", "OpenAI", "--since", "2026-01-01"])
    expect(lines(cased.stdout)).to.deep.equal([
      'No usage recorded for provider "OpenAI" (provider names match exactly).',
      "Did you mean --provider openai?",
    ])
    const json = JSON.parse((await runCli(["summary", "--db", db, "--provider", "OpenAI", "--json"])).stdout)
    expect(json.knownProviders).to.deep.equal(known)
    const found = JSON.parse((await runCli(["summary", "--db", db, "--provider", "openai", "--json"])).stdout)
    expect(found).not.to.have.property("knownProviders")
  })

  it("says when the last record was and suggests --since when every record is in a past period", async () => {
    // NOW is 2026-11-12: openai's period began on 2026-11-01; anthropic's on Sunday 2026-11-08.
    const past = await seededSqlite([
      record({ id: "a", timestamp: new Date("2026-09-20T10:00:00Z") }),
      record({ id: "b", timestamp: new Date("2026-10-28T23:30:00Z") }),
      record({ id: "c", provider: "anthropic", timestamp: new Date("2026-11-07T10:00:00Z") }),
    ])
    const { code, stdout } = await runCli(["summary", "--db", past, "--tz", "UTC"])
    expect(code).to.equal(0)
    expect(lines(stdout)).to.deep.equal([
      "No usage recorded for the current period.",
      "The last record is from 2026-11-07: try --since 2026-11-01 (or --last 3m).",
    ])
    const openai = await runCli(["summary", "--db", past, "--provider", "openai", "--tz", "Asia/Kolkata"])
    expect(lines(openai.stdout)[1]).to.equal(
      "The last record is from 2026-10-29: try --since 2026-10-01 (or --last 3m).",
    )
  })

  it("reads the default store when given no source, and says so when there is none yet", async () => {
    const missing = await runCli(["summary"])
    expect(missing.code).to.equal(0)
    expect(lines(missing.stdout)).to.deep.equal(["No usage recorded for the current period."])
    expect(missing.stderr).to.match(/no usage store yet at .*usage-hub\/usage\.db/)

    const home = tempDir()
    const dataHome = join(home, "data")
    mkdirSync(join(dataHome, "usage-hub"), { recursive: true })
    await seedStore(join(dataHome, "usage-hub", "usage.db"), [record({})])
    const found = await runCli(["summary", "--json"], { env: { XDG_DATA_HOME: dataHome } })
    expect(JSON.parse(found.stdout).summaries.openai.callCount).to.equal(1)
  })

  it("takes --since as midnight in --tz, a bare --until date as its whole day, a date-time --until as exclusive", async () => {
    const path = await seededSqlite([
      // 2026-11-01 22:00 in New York
      record({ id: "late", timestamp: new Date("2026-11-02T03:00:00Z") }),
      // 2026-11-02 01:00 in New York
      record({ id: "early", timestamp: new Date("2026-11-02T06:00:00Z"), estimatedCost: 2 }),
    ])
    const inNewYork = await runCli([
      "summary",
      "--db",
      path,
      "--since",
      "2026-11-02",
      "--tz",
      "America/New_York",
      "--json",
    ])
    expect(JSON.parse(inNewYork.stdout).summaries.openai.callCount).to.equal(1)
    expect(JSON.parse(inNewYork.stdout).since).to.equal("2026-11-02T05:00:00.000Z")
    const inUtc = await runCli(["summary", "--db", path, "--since", "2026-11-02", "--tz", "UTC", "--json"])
    expect(JSON.parse(inUtc.stdout).summaries.openai.callCount).to.equal(2)
    const until = await runCli(["summary", "--db", path, "--until", "2026-11-02T06:00:00Z", "--json"])
    expect(JSON.parse(until.stdout).summaries.openai.callCount).to.equal(1)
    const wholeDay = await runCli(["summary", "--db", path, "--until", "20261102", "--tz", "UTC", "--json"])
    expect(JSON.parse(wholeDay.stdout).summaries.openai.callCount).to.equal(2)
    expect(JSON.parse(wholeDay.stdout).until).to.equal("2026-11-03T00:00:00.000Z")
    // NOW is 2026-11-12 12:00 UTC: the last 11 days start on 2026-11-02, the last 10 on 2026-11-03.
    const last = JSON.parse((await runCli(["summary", "--db", path, "--last", "11d", "--tz", "UTC", "--json"])).stdout)
    expect([last.since, last.until]).to.deep.equal(["2026-11-02T00:00:00.000Z", "2026-11-13T00:00:00.000Z"])
    expect(last.summaries.openai.callCount).to.equal(2)
    const shorter = await runCli(["summary", "--db", path, "--last", "10d", "--tz", "UTC"])
    expect(lines(shorter.stdout)).to.deep.equal(["No usage recorded in that range."])
    const dayBefore = await runCli(["summary", "--db", path, "--until", "2026-11-01", "--tz", "America/New_York"])
    expect(dayBefore.stdout).to.include("Usage from the beginning through 2026-11-01 (America/New_York)")
    const human = await runCli(["summary", "--db", path, "--since", "2026-11-02", "--until", "2026-11-03"])
    expect(human.stdout).to.include("Usage from 2026-11-02 through 2026-11-03 (UTC)")
    const none = await runCli(["summary", "--db", path, "--since", "2026-10-01", "--until", "2026-10-02"])
    expect(lines(none.stdout)).to.deep.equal(["No usage recorded in that range."])
  })

  for (const [label, args] of [
    ["a bad --since", ["--since", "2026-13-01"]],
    ["a bad --until", ["--until", "yesterday"]],
    ["--since after --until", ["--since", "2026-11-05", "--until", "2026-11-01"]],
    ["a bad --last", ["--last", "7y"]],
    ["--last with --since", ["--last", "7d", "--since", "2026-11-01"]],
    ["an unknown --tz", ["--tz", "Mars/Olympus"]],
    ["an unknown --by", ["--by", "colour"]],
    ["two sources", ["--file", "x.json"]],
  ] as const) {
    it(`exits 2 with one line for ${label}`, async () => {
      const { code, stderr, stdout } = await runCli(["summary", "--db", db, ...args])
      expect(code).to.equal(2)
      expect(stdout).to.equal("")
      expect(stderr.split("\n")[0]).to.match(/^Error: /)
      expect(stderr).to.not.match(/\n\s+at /)
    })
  }

  it("fails with one line (exit 1) for a --db that does not exist", async () => {
    const { code, stderr } = await runCli(["summary", "--db", join(tempDir(), "nope.db")])
    expect(code).to.equal(1)
    expect(lines(stderr)).to.have.length(1)
    expect(stderr).to.match(/^Error: .*nope\.db/)
  })

  it("prints a JSON error on stdout with --json", async () => {
    const { code, stdout } = await runCli(["summary", "--db", db, "--tz", "Nowhere/Land", "--json"])
    expect(code).to.equal(2)
    expect(JSON.parse(stdout).error.code).to.equal("BAD_USAGE")
  })

  describe("source resolution", () => {
    let service: Awaited<ReturnType<typeof startService>>
    before(async () => {
      service = await startService({ db, readToken: "reader-secret" })
    })
    after(async () => {
      await service.close()
    })

    it("reads the service with --endpoint and the read token from USAGE_READ_TOKEN or --token", async () => {
      const env = await runCli(["summary", "--endpoint", service.url, "--json"], {
        env: { USAGE_READ_TOKEN: "reader-secret" },
      })
      expect(env.code, env.stderr).to.equal(0)
      expect(Object.keys(JSON.parse(env.stdout).summaries)).to.include("openai")
      const flag = await runCli(["summary", "--endpoint", service.url, "--token", "reader-secret", "--json"], {
        env: { USAGE_READ_TOKEN: "wrong" },
      })
      expect(flag.code, flag.stderr).to.equal(0)
    })

    it("fails with one line when the service refuses the token", async () => {
      const { code, stderr } = await runCli(["summary", "--endpoint", service.url, "--token", "wrong"])
      expect(code).to.equal(1)
      expect(lines(stderr)).to.have.length(1)
    })

    it("fails with one line when the service is unreachable", async () => {
      const { code, stderr } = await runCli(["summary", "--endpoint", "http://127.0.0.1:9"])
      expect(code).to.equal(1)
      expect(lines(stderr)).to.have.length(1)
      expect(stderr).to.match(/cannot reach http:\/\/127\.0\.0\.1:9/)
    })

    it("uses the config file's http backend and token when no flag or environment names a source", async () => {
      const dir = tempDir()
      const config = join(dir, "config.json")
      writeFileSync(
        config,
        JSON.stringify({ usage: { backend: "http", http: { endpoint: service.url, readToken: "reader-secret" } } }),
      )
      const viaFlag = await runCli(["summary", "--config", config, "--json"])
      expect(viaFlag.code, viaFlag.stderr).to.equal(0)
      expect(JSON.parse(viaFlag.stdout).summaries.openai.callCount).to.be.greaterThan(0)
      // The default config location ($XDG_CONFIG_HOME/usage-hub/config.json) is read too.
      mkdirSync(join(dir, "xdg", "usage-hub"), { recursive: true })
      writeFileSync(
        join(dir, "xdg", "usage-hub", "config.json"),
        JSON.stringify({ usage: { backend: "http", http: { endpoint: service.url, token: "reader-secret" } } }),
      )
      const viaXdg = await runCli(["summary", "--json"], { env: { XDG_CONFIG_HOME: join(dir, "xdg") } })
      expect(viaXdg.code, viaXdg.stderr).to.equal(0)
      // A flag wins over the config file.
      const empty = await seededSqlite([])
      const flagWins = await runCli(["summary", "--config", config, "--db", empty, "--json"])
      expect(JSON.parse(flagWins.stdout).summaries).to.deep.equal({})
    })

    it("uses USAGE_DB when no flag names a source, and a flag over it", async () => {
      const empty = await seededSqlite([])
      const viaEnv = await runCli(["summary", "--json"], { env: { USAGE_DB: db } })
      expect(Object.keys(JSON.parse(viaEnv.stdout).summaries)).to.include("openai")
      const flagWins = await runCli(["summary", "--db", empty, "--json"], { env: { USAGE_DB: db } })
      expect(JSON.parse(flagWins.stdout).summaries).to.deep.equal({})
    })

    it("names the bad key of an invalid config file in one line (exit 2)", async () => {
      const config = join(tempDir(), "config.json")
      writeFileSync(config, JSON.stringify({ usage: { backend: "carrier-pigeon" } }))
      const { code, stderr } = await runCli(["summary", "--config", config])
      expect(code).to.equal(2)
      expect(lines(stderr)).to.have.length(1)
      expect(stderr).to.include("usage.backend")
    })
  })
})
