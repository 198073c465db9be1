import { existsSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import type { StoredRecord } from "../../src/lib/record.js"
import { record } from "../helpers/records.js"
import { tempDir } from "../helpers/tmp.js"
import { freshPostgres, lines, runCli, seededSqlite, seedStore } from "./helpers.js"

/**
 * Records of two nodes and two providers from January 2025 to November 2026 (the pinned now is 2026-11-12),
 * with costs that do not add up to round figures, and two calls in the half-hour of 2026-03-15 10:00.
 */
function history(): StoredRecord[] {
  const out: StoredRecord[] = []
  let i = 0
  for (let month = 0; month < 23; month++) {
    for (const node of ["build-07", "laptop"]) {
      for (const provider of ["anthropic", "openai"]) {
        i += 1
        out.push(
          record({
            id: `usage_${i}`,
            timestamp: new Date(Date.UTC(2025, month, 1 + (i % 27), i % 24, (i * 7) % 60)),
            node,
            provider,
            model: provider === "openai" ? "gpt-5.2" : "claude-sonnet-4-5",
            inputTokens: 1000 + i,
            outputTokens: 10 * i,
            estimatedCost: 0.0123457 * i,
          }),
        )
      }
    }
  }
  out.push(record({ id: "usage_early", timestamp: new Date("2026-03-15T10:05:00Z"), estimatedCost: 1.111 }))
  out.push(record({ id: "usage_late", timestamp: new Date("2026-03-15T10:25:00Z"), estimatedCost: 2.222 }))
  return out
}

/** The same answers from both stores: the current periods, the whole range by node and by model, an odd range. */
async function expectSameTotals(db: string, expected: string): Promise<void> {
  const queries = [
    [],
    ["--since", "2000-01-01", "--until", "2100-01-01", "--by", "node"],
    ["--since", "2000-01-01", "--until", "2100-01-01", "--by", "model"],
    ["--since", "2025-06-15T10:30:00Z", "--until", "2026-03-15T10:30:00Z", "--by", "provider"],
  ]
  for (const query of queries) {
    const [got, want] = await Promise.all([
      runCli(["summary", "--db", db, "--json", ...query]),
      runCli(["summary", "--db", expected, "--json", ...query]),
    ])
    expect(got.code, got.stderr).to.equal(0)
    expect(JSON.parse(got.stdout), query.join(" ")).to.deep.equal(JSON.parse(want.stdout))
  }
}

async function exported(db: string): Promise<string> {
  const { code, stdout, stderr } = await runCli(["export", "--db", db, "--ndjson"])
  expect(code, stderr).to.equal(0)
  return stdout
}

const costOf = (records: StoredRecord[]) => records.reduce((sum, r) => sum + Math.round(r.estimatedCost * 1e9), 0) / 1e9

describe("usage prune", function () {
  this.timeout(60_000)

  it("deletes the records before an instant and leaves totals equal to a store that never held them", async () => {
    const records = history()
    const before = new Date("2026-03-15T10:17:00Z")
    const removed = records.filter((r) => r.timestamp < before)
    const kept = records.filter((r) => r.timestamp >= before)
    const db = await seededSqlite(records)
    const { code, stdout, stderr } = await runCli(["prune", "--db", db, "--before", "2026-03-15T10:17:00Z"])
    expect(code, stderr).to.equal(0)
    expect(stderr).to.equal("")
    const times = removed.map((r) => r.timestamp.getTime())
    expect(lines(stdout)).to.deep.equal([
      `Pruned ${removed.length} records before 2026-03-15T10:17:00.000Z from sqlite ${db}: $${costOf(removed).toFixed(4)}, ` +
        `first ${new Date(Math.min(...times)).toISOString()}, last 2026-03-15T10:05:00.000Z`,
    ])
    await expectSameTotals(db, await seededSqlite(kept))
    expect(lines(await exported(db))).to.have.length(kept.length)
  })

  it("deletes only the given node's records, and says so", async () => {
    const records = history()
    const db = await seededSqlite(records)
    const { code, stdout, stderr } = await runCli([
      "prune",
      "--db",
      db,
      "--before",
      "2026-01-01",
      "--node",
      "laptop",
      "--json",
    ])
    expect(code, stderr).to.equal(0)
    const removed = records.filter((r) => r.node === "laptop" && r.timestamp < new Date("2026-01-01T00:00:00Z"))
    const report = JSON.parse(stdout)
    expect(report).to.deep.include({
      target: { kind: "sqlite", location: db },
      filter: { before: "2026-01-01T00:00:00.000Z", node: "laptop" },
      dryRun: false,
      records: removed.length,
    })
    expect(report.cost).to.be.closeTo(costOf(removed), 1e-9)
    await expectSameTotals(db, await seededSqlite(records.filter((r) => !removed.includes(r))))
  })

  it("reads a bare --before date as midnight in --tz", async () => {
    // 23:30 UTC on Dec 31 is already January 1 in Paris: before Paris midnight it is not.
    const late = record({ id: "usage_nye", timestamp: new Date("2025-12-31T23:30:00Z") })
    const db = await seededSqlite([late])
    const paris = await runCli(["prune", "--db", db, "--before", "2026-01-01", "--tz", "Europe/Paris"])
    expect(paris.stdout).to.match(/^Nothing to prune before 2025-12-31T23:00:00\.000Z in sqlite /)
    const utc = await runCli(["prune", "--db", db, "--before", "2026-01-01", "--tz", "UTC"])
    expect(utc.stdout).to.match(/^Pruned 1 record before 2026-01-01T00:00:00\.000Z from sqlite /)
  })

  it("changes nothing in a dry run and reports what the real run then removes", async () => {
    const records = history()
    const db = await seededSqlite(records)
    const exportBefore = await exported(db)
    const args = ["prune", "--db", db, "--before", "2026-06-01", "--provider", "openai", "--json"]
    const dry = await runCli([...args, "--dry-run"])
    expect(dry.code, dry.stderr).to.equal(0)
    expect(await exported(db)).to.equal(exportBefore)
    const real = await runCli(args)
    const { dryRun: wasDry, ...wouldRemove } = JSON.parse(dry.stdout)
    const { dryRun, ...removed } = JSON.parse(real.stdout)
    expect([wasDry, dryRun]).to.deep.equal([true, false])
    expect(wouldRemove).to.deep.equal(removed)
    expect(removed.records).to.equal(
      records.filter((r) => r.provider === "openai" && r.timestamp < new Date("2026-06-01T00:00:00Z")).length,
    )
    const human = await runCli(["prune", "--db", db, "--before", "2026-11-01", "--dry-run"])
    expect(human.stdout).to.match(/^Would prune \d+ records before 2026-11-01T00:00:00\.000Z from sqlite /)
  })

  it("exits 0 with one line when nothing matches", async () => {
    const db = await seededSqlite(history())
    const { code, stdout, stderr } = await runCli(["prune", "--db", db, "--before", "2024-01-01"])
    expect(code, stderr).to.equal(0)
    expect(lines(stdout)).to.deep.equal([`Nothing to prune before 2024-01-01T00:00:00.000Z in sqlite ${db}`])
  })

  it("refuses a bad or missing --before, a blank --node and --endpoint as bad usage (exit 2, one line), touching nothing", async () => {
    const db = await seededSqlite(history())
    const exportBefore = await exported(db)
    for (const args of [
      ["--before", "2026-02-30"],
      ["--before", "last week"],
      [],
      ["--before", "2026-01-01", "--node", " "],
      ["--before", "2026-01-01", "--tz", "Mars/Olympus"],
    ]) {
      const { code, stdout, stderr } = await runCli(["prune", "--db", db, ...args])
      expect(code, args.join(" ")).to.equal(2)
      expect(stdout).to.equal("")
      expect(stderr.split("\n")[0]).to.match(/^Error: /)
    }
    const bad = await runCli(["prune", "--db", db, "--before", "2026-02-30"])
    expect(lines(bad.stderr)).to.deep.equal([
      'Error: --before must be an ISO date (2026-11-20 or 20261120) or instant (2026-11-20T10:00:00Z), got "2026-02-30"',
    ])
    const endpoint = await runCli(["prune", "--endpoint", "http://127.0.0.1:1", "--before", "2026-01-01"])
    expect(endpoint.code).to.equal(2)
    expect(lines(endpoint.stderr)).to.have.length(1)
    expect(endpoint.stderr).to.match(/^Error: prune works on a store, not through the service.*--endpoint/)
    const fromEnv = await runCli(["prune", "--before", "2026-01-01"], { env: { USAGE_ENDPOINT: "http://127.0.0.1:1" } })
    expect(fromEnv.code).to.equal(2)
    expect(fromEnv.stderr).to.match(/^Error: prune works on a store.*USAGE_ENDPOINT/)
    const config = join(tempDir(), "config.json")
    writeFileSync(config, JSON.stringify({ backend: "http", http: { endpoint: "http://127.0.0.1:1" } }))
    const fromConfig = await runCli(["prune", "--config", config, "--before", "2026-01-01"])
    expect(fromConfig.code).to.equal(2)
    expect(fromConfig.stderr).to.match(/^Error: prune works on a store.*the config's backend is http/)
    expect(await exported(db)).to.equal(exportBefore)
  })

  it("refuses a store that does not exist (exit 1) without creating it", async () => {
    const db = join(tempDir(), "missing.db")
    const { code, stderr } = await runCli(["prune", "--db", db, "--before", "2026-01-01", "--json"])
    expect(code).to.equal(1)
    expect(existsSync(db)).to.equal(false)
    expect(stderr).to.equal("")
    const viaDefault = await runCli(["prune", "--before", "2026-01-01"])
    expect(viaDefault.code).to.equal(1)
    expect(lines(viaDefault.stderr)).to.have.length(1)
    expect(viaDefault.stderr).to.match(/^Error: no usage-hub store at .*usage-hub\/usage\.db/)
  })

  it("prunes a PostgreSQL store the same way (when PostgreSQL is reachable)", async function () {
    const pg = await freshPostgres()
    if (!pg) this.skip()
    try {
      const records = history()
      await seedStore(pg!.url, records)
      const { code, stdout, stderr } = await runCli([
        "prune",
        "--db",
        pg!.url,
        "--before",
        "2026-03-15T10:17:00Z",
        "--json",
      ])
      expect(code, stderr).to.equal(0)
      const report = JSON.parse(stdout)
      expect(report.target.kind).to.equal("postgres")
      expect(report.records).to.equal(records.filter((r) => r.timestamp < new Date("2026-03-15T10:17:00Z")).length)
      await expectSameTotals(
        pg!.url,
        await seededSqlite(records.filter((r) => r.timestamp >= new Date("2026-03-15T10:17:00Z"))),
      )
    } finally {
      await pg!.drop()
    }
  })
})
