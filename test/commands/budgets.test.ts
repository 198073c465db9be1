import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import type { BudgetsAnswer } from "../../src/lib/budgets/budget-types.js"
import { fixedClock } from "../../src/lib/clock.js"
import { parseServiceConfig } from "../../src/lib/config.js"
import { record } from "../helpers/records.js"
import { tempDir } from "../helpers/tmp.js"
import { NOW, runCli, seededSqlite } from "./helpers.js"

const SERVICE = {
  budgets: [
    { name: "month", amount: 10, period: "month" },
    { name: "anthropic-billing", amount: 1, period: "billing", provider: "anthropic" },
    { name: "openai-day", amount: 5, period: "day", provider: "openai" },
  ],
}

const at = (iso: string) => new Date(iso)
const RECORDS = [
  record({ id: "a", timestamp: at("2026-11-12T08:00:00Z"), estimatedCost: 1.5 }),
  record({ id: "b", timestamp: at("2026-11-09T08:00:00Z"), estimatedCost: 0.25 }),
  record({ id: "c", timestamp: at("2026-11-12T09:00:00Z"), estimatedCost: 2, provider: "openai" }),
  record({ id: "d", timestamp: at("2026-10-30T09:00:00Z"), estimatedCost: 3, provider: "openai" }),
]

describe("usage budgets", () => {
  let db: string
  let config: string

  before(async () => {
    db = await seededSqlite(RECORDS)
    config = join(tempDir(), "config.json")
    writeFileSync(config, JSON.stringify({ usage: {}, service: SERVICE }))
  })

  it("prints the service's budgets (--endpoint, read token) as the API's JSON, and as a table", async () => {
    const { startServer } = await import("../../src/lib/server/start.js")
    const server = await startServer({
      db,
      port: 0,
      tz: "UTC",
      clock: fixedClock(NOW),
      readToken: "read-token",
      service: parseServiceConfig(SERVICE),
    })
    try {
      const api = (await (
        await fetch(`${server.url}/api/usage/budgets`, { headers: { authorization: "Bearer read-token" } })
      ).json()) as BudgetsAnswer
      const json = await runCli(["budgets", "--endpoint", server.url, "--token", "read-token", "--json"])
      expect(json.code, json.stderr).to.equal(0)
      expect(JSON.parse(json.stdout)).to.deep.equal(api)
      expect(api.budgets.map((b) => [b.name, b.spent, b.status, b.periodStart])).to.deep.equal([
        ["month", 3.75, "ok", "2026-11-01T00:00:00.000Z"],
        ["anthropic-billing", 1.75, "exceeded", "2026-11-08T00:00:00.000Z"],
        ["openai-day", 2, "ok", "2026-11-12T00:00:00.000Z"],
      ])
      const table = await runCli(["budgets", "--endpoint", server.url, "--token", "read-token"])
      expect(table.code, table.stderr).to.equal(0)
      expect(table.stdout).to.match(/anthropic-billing\s+│\s+\$1\.7500\s+│\s+\$1\.0000\s+│\s+175\.0%\s+│.*exceeded/)
    } finally {
      await server.close()
    }
  })

  it("evaluates the config's budgets from a store with --db, the same figures as the service", async () => {
    const { code, stdout, stderr } = await runCli(["budgets", "--db", db, "--config", config, "--json"])
    expect(code, stderr).to.equal(0)
    const { budgets } = JSON.parse(stdout) as BudgetsAnswer
    expect(budgets.map((b) => [b.name, b.spent, b.share, b.status])).to.deep.equal([
      ["month", 3.75, 0.375, "ok"],
      ["anthropic-billing", 1.75, 1.75, "exceeded"],
      ["openai-day", 2, 0.4, "ok"],
    ])
    // 11.5 of 30 days of November elapsed at NOW.
    expect(budgets[0].projected).to.be.closeTo((3.75 * 30) / 11.5, 1e-9)
  })

  it("refuses a legacy file as the source (exit 2)", async () => {
    const file = join(tempDir(), "usage.json")
    writeFileSync(file, JSON.stringify({ version: 1, records: [] }))
    const { code, stderr } = await runCli(["budgets", "--config", config], { env: { USAGE_FILE: file } })
    expect(code).to.equal(2)
    expect(stderr).to.match(
      /budgets need the service \(--endpoint\) or a store \(--db\); USAGE_FILE names a legacy file/,
    )
  })
})
