import { join } from "node:path"
import { expect } from "chai"
import type { StoredRecord } from "../../src/lib/record.js"
import { FIXTURES, fixtureRecords, lines, NOW, runCli, seededSqlite, startService } from "./helpers.js"

/** Independent expectation: a provider's calls and cost per UTC day over `days` days ending NOW's day. */
function expectedDays(records: StoredRecord[], provider: string, days: number) {
  const today = Date.parse(NOW.slice(0, 10))
  const out: Array<{ date: string; calls: number; cost: number; inputTokens: number; outputTokens: number }> = []
  for (let i = days - 1; i >= 0; i--) {
    const start = today - i * 86_400_000
    const inDay = records.filter(
      (r) => r.provider === provider && r.timestamp.getTime() >= start && r.timestamp.getTime() < start + 86_400_000,
    )
    out.push({
      date: new Date(start).toISOString().slice(0, 10),
      calls: inDay.length,
      cost: inDay.reduce((a, r) => a + r.estimatedCost, 0),
      inputTokens: inDay.reduce((a, r) => a + r.inputTokens, 0),
      outputTokens: inDay.reduce((a, r) => a + r.outputTokens, 0),
    })
  }
  return out
}

describe("usage trends", () => {
  const small = fixtureRecords("small.json")
  let db: string

  before(async () => {
    db = await seededSqlite(small)
  })

  it("prints one row per day, today included, with zeros and an inline bar of daily cost", async () => {
    const { code, stdout, stderr } = await runCli(["trends", "--provider", "openai", "--db", db, "--days", "10"])
    expect(code, stderr).to.equal(0)
    const rows = stdout.split("\n").filter((line) => /^│ \d{4}-\d{2}-\d{2} /.test(line))
    expect(rows).to.have.length(10)
    expect(rows[0]).to.match(/^│ 2026-11-03 /)
    expect(rows[9]).to.match(/^│ 2026-11-12 /)
    const expected = expectedDays(small, "openai", 10)
    const dearest = expected.reduce((a, d) => (d.cost > a.cost ? d : a))
    // The dearest day gets the full bar; a day without usage gets none.
    expect(rows.find((r) => r.startsWith(`│ ${dearest.date}`))).to.include("█".repeat(24))
    expect(rows[9]).to.not.match(/[█▏▎▍▌▋▊▉]/)
    expect(stdout).to.match(/^openai, last 10 days/)
    expect(stdout).to.include(`Total $${expected.reduce((a, d) => a + d.cost, 0).toFixed(4)}`)
  })

  it("--order desc puts today first; --compact drops the token columns and halves the bar", async () => {
    const args = ["trends", "--provider", "openai", "--db", db, "--days", "10", "--order", "desc", "--compact"]
    const { code, stdout, stderr } = await runCli(args)
    expect(code, stderr).to.equal(0)
    const rows = stdout.split("\n").filter((line) => /^│ \d{4}-\d{2}-\d{2} /.test(line))
    expect(rows.map((r) => r.slice(2, 12))).to.deep.equal(
      expectedDays(small, "openai", 10)
        .map((d) => d.date)
        .reverse(),
    )
    expect(stdout).to.not.match(/Input tokens|Output tokens/)
    expect(stdout).to.include("█".repeat(12)).and.not.include("█".repeat(13))
  })

  it("--compact without a provider: the day's total, calls and bar, the providers named in the title", async () => {
    const { code, stdout, stderr } = await runCli(["trends", "--db", db, "--days", "10", "--compact"])
    expect(code, stderr).to.equal(0)
    const head = lines(stdout).find((l) => l.startsWith("│ Date"))!
    expect(
      head
        .split("│")
        .slice(1, -1)
        .map((c) => c.trim()),
    ).to.deep.equal(["Date", "Total", "Calls", "Daily cost"])
    expect(lines(stdout)[0]).to.match(/^All providers \(.*openai.*\), last 10 days$/)
  })

  it("prints the API's TrendData with --json, matching an independent daily count", async () => {
    const { code, stdout } = await runCli(["trends", "--provider", "openai", "--db", db, "--days", "30", "--json"])
    expect(code).to.equal(0)
    const json = JSON.parse(stdout)
    expect(json.provider).to.equal("openai")
    expect(json.rangeDays).to.equal(30)
    const expected = expectedDays(small, "openai", 30)
    expect(json.dataPoints.map((p: { date: string }) => p.date)).to.deep.equal(expected.map((d) => d.date))
    json.dataPoints.forEach((p: (typeof expected)[number], i: number) => {
      expect(p.calls, p.date).to.equal(expected[i].calls)
      expect(p.cost).to.be.closeTo(expected[i].cost, 1e-9)
      expect(p.inputTokens).to.equal(expected[i].inputTokens)
      expect(p.outputTokens).to.equal(expected[i].outputTokens)
    })
    const total = expected.reduce((a, d) => a + d.cost, 0)
    expect(json.totalCost).to.be.closeTo(total, 1e-9)
    expect(json.avgDailyCost).to.be.closeTo(total / 30, 1e-9)
  })

  it("defaults to 7 days and answers the same from --db, --file and --endpoint", async () => {
    const service = await startService({ db })
    try {
      const args = ["trends", "--provider", "google", "--json", "--tz", "Asia/Tokyo"]
      const fromDb = await runCli([...args, "--db", db])
      const fromFile = await runCli([...args, "--file", join(FIXTURES, "small.json")])
      const fromEndpoint = await runCli([...args, "--endpoint", service.url])
      expect(JSON.parse(fromDb.stdout).dataPoints).to.have.length(7)
      expect(JSON.parse(fromFile.stdout)).to.deep.equal(JSON.parse(fromDb.stdout))
      expect(JSON.parse(fromEndpoint.stdout)).to.deep.equal(JSON.parse(fromDb.stdout))
    } finally {
      await service.close()
    }
  })

  it("takes days in --tz: the last day is today in that zone", async () => {
    // NOW is 2026-11-12 12:00 UTC, already 2026-11-13 in Kiritimati (UTC+14).
    const { stdout } = await runCli([
      "trends",
      "--provider",
      "openai",
      "--db",
      db,
      "--days",
      "1",
      "--tz",
      "Pacific/Kiritimati",
      "--json",
    ])
    expect(JSON.parse(stdout).dataPoints.map((p: { date: string }) => p.date)).to.deep.equal(["2026-11-13"])
  })

  for (const days of ["0", "367", "abc", "1.5"]) {
    it(`exits 2 with one line for --days ${days}`, async () => {
      const { code, stderr, stdout } = await runCli(["trends", "--provider", "openai", "--db", db, "--days", days])
      expect(code).to.equal(2)
      expect(stdout).to.equal("")
      expect(lines(stderr)).to.deep.equal([
        `Error: invalid --days "${days}": expected a whole number of days from 1 to 366`,
      ])
    })
  }

  it("accepts 366 days, and 30d as the API's range", async () => {
    const max = await runCli(["trends", "--provider", "openai", "--db", db, "--days", "366", "--json"])
    expect(JSON.parse(max.stdout).dataPoints).to.have.length(366)
    const range = await runCli(["trends", "--provider", "openai", "--db", db, "--days", "30d", "--json"])
    expect(JSON.parse(range.stdout).rangeDays).to.equal(30)
  })

  it("shows every provider without one: a cost column each, the day's total, and the same JSON from every source", async () => {
    const providers = [...new Set(small.map((r) => r.provider))]
    const expected = providers
      .map((provider) => ({ provider, days: expectedDays(small, provider, 10) }))
      .filter((p) => p.days.some((d) => d.calls > 0))
    const json = JSON.parse((await runCli(["trends", "--db", db, "--days", "10", "--json"])).stdout)
    expect(json.map((t: { provider: string }) => t.provider).sort()).to.deep.equal(
      expected.map((p) => p.provider).sort(),
    )
    for (const trend of json) {
      const days = expected.find((p) => p.provider === trend.provider)!.days
      expect(trend.dataPoints.map((p: { calls: number }) => p.calls)).to.deep.equal(days.map((d) => d.calls))
    }
    const costs = json.map((t: { totalCost: number }) => t.totalCost)
    expect(costs).to.deep.equal([...costs].sort((a, b) => b - a))
    const service = await startService({ db })
    try {
      const fromEndpoint = await runCli(["trends", "--endpoint", service.url, "--days", "10", "--json"])
      expect(JSON.parse(fromEndpoint.stdout)).to.deep.equal(json)
    } finally {
      await service.close()
    }
    const fromFile = await runCli(["trends", "--file", join(FIXTURES, "small.json"), "--days", "10", "--json"])
    expect(JSON.parse(fromFile.stdout)).to.deep.equal(json)

    const { code, stdout } = await runCli(["trends", "--db", db, "--days", "10"])
    expect(code).to.equal(0)
    const out = lines(stdout)
    expect(out[0]).to.equal("All providers, last 10 days")
    const header = out.find((l) => l.includes("Date"))!
    expect(
      header
        .split("│")
        .map((c) => c.trim())
        .filter(Boolean),
    ).to.deep.equal(["Date", ...json.map((t: { provider: string }) => t.provider), "Total", "Calls", "Daily cost"])
    const all = expected.flatMap((p) => p.days)
    const total = all.reduce((a, d) => a + d.cost, 0)
    const totalRow = out.find((l) => l.includes("│ Total"))!
    const usd = total.toLocaleString("en-US", { minimumFractionDigits: 4, maximumFractionDigits: 4 })
    expect(totalRow).to.include(`$${usd}`)
    expect(totalRow).to.include(all.reduce((a, d) => a + d.calls, 0).toLocaleString("en-US"))
    expect(out.at(-1)).to.match(/^Total \$[\d.]+, average \$[\d.]+ a day$/)
  })

  it("says so in one line when no provider has usage in the range", async () => {
    const empty = await seededSqlite([])
    const { code, stdout } = await runCli(["trends", "--db", empty, "--days", "3"])
    expect(code).to.equal(0)
    expect(lines(stdout)).to.deep.equal(["No usage recorded in the last 3 days."])
  })

  it("takes the provider as its argument too", async () => {
    const byArg = await runCli(["trends", "openai", "--db", db, "--json"])
    const byFlag = await runCli(["trends", "--provider", "openai", "--db", db, "--json"])
    expect(byArg.code).to.equal(0)
    expect(JSON.parse(byArg.stdout)).to.deep.equal(JSON.parse(byFlag.stdout))
    const both = await runCli(["trends", "openai", "--provider", "google", "--db", db])
    expect(both.code).to.equal(2)
    expect(both.stderr).to.match(/^Error: two providers given/)
  })
})

describe("usage (unknown commands and stray arguments)", () => {
  it("exits 2 with one line for an unexpected argument", async () => {
    const { code, stderr } = await runCli(["summary", "extra"])
    expect(code).to.equal(2)
    expect(stderr).to.equal("Error: unexpected argument: extra (see usage summary --help)\n")
  })

  it("exits 2 with one line for an unknown command", async () => {
    const { code, stderr } = await runCli(["bogus"])
    expect(code).to.equal(2)
    expect(stderr).to.equal('Error: unknown command "bogus"; see usage --help\n')
  })
})
