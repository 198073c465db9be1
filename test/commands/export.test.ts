import { existsSync, readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { CSV_COLUMNS } from "../../src/lib/export-format.js"
import type { StoredRecord } from "../../src/lib/record.js"
import { tempDir } from "../helpers/tmp.js"
import { fixtureRecords, lines, runCli, seededSqlite, startService } from "./helpers.js"

const sortKey = (r: { timestamp: string; node: string; id: string }) => `${r.timestamp}|${r.node}|${r.id}`

describe("usage export", () => {
  const small = fixtureRecords("small.json")
  const tricky: StoredRecord[] = [
    {
      id: "usage_formula",
      timestamp: new Date("2026-11-11T09:00:00Z"),
      provider: "evil",
      model: '=HYPERLINK("http://x","y")',
      inputTokens: 1,
      outputTokens: 2,
      estimatedCost: 0.25,
      taskType: "+subagent",
      sessionID: '@ses, with "quotes"',
      node: "-n",
      cacheReadTokens: 7,
    },
  ]
  let db: string

  before(async () => {
    db = await seededSqlite([...small, ...tricky])
  })

  it("writes a JSON array of every record by default, in (timestamp, node, id) order", async () => {
    const { code, stdout, stderr } = await runCli(["export", "--db", db])
    expect(code, stderr).to.equal(0)
    const records = JSON.parse(stdout)
    expect(records).to.have.length(small.length + tricky.length)
    const keys = records.map(sortKey)
    expect(keys).to.deep.equal([...keys].sort())
    const first = small.reduce((a, r) => (r.timestamp < a.timestamp ? r : a))
    expect(records[0]).to.deep.equal({ ...first, timestamp: first.timestamp.toISOString() })
  })

  it("writes NDJSON with --ndjson and filters by provider, node, since and until (a bare date: its whole day)", async () => {
    const { stdout } = await runCli([
      "export",
      "--db",
      db,
      "--ndjson",
      "--provider",
      "openai",
      "--node",
      "test-node",
      "--since",
      "2026-11-01",
      "--until",
      "2026-11-04",
    ])
    const got = lines(stdout).map((line) => JSON.parse(line))
    const expected = small.filter(
      (r) =>
        r.provider === "openai" &&
        r.timestamp >= new Date("2026-11-01T00:00:00Z") &&
        r.timestamp < new Date("2026-11-05T00:00:00Z"),
    )
    expect(got.map((r) => r.id).sort()).to.deep.equal(expected.map((r) => r.id).sort())
    expect(got.length).to.be.greaterThan(0)
  })

  it("writes CSV with the API's columns, RFC 4180 quoting and spreadsheet formulas defused", async () => {
    const { stdout } = await runCli(["export", "--db", db, "--csv", "--provider", "evil"])
    const rows = stdout.trimEnd().split("\n")
    expect(rows[0]).to.equal(CSV_COLUMNS.join(","))
    expect(rows).to.have.length(2)
    expect(rows[1]).to.equal(
      `usage_formula,2026-11-11T09:00:00.000Z,evil,"'=HYPERLINK(""http://x"",""y"")",1,2,0.25,'+subagent,"'@ses, with ""quotes""",'-n,7,,,,`,
    )
  })

  it("accepts --format as well, and refuses two formats with exit 2", async () => {
    const viaFormat = await runCli(["export", "--db", db, "--format", "csv", "--provider", "evil"])
    expect(viaFormat.stdout.split("\n")[0]).to.equal(CSV_COLUMNS.join(","))
    const both = await runCli(["export", "--db", db, "--csv", "--ndjson"])
    expect(both.code).to.equal(2)
    expect(both.stdout).to.equal("")
  })

  it("writes --output atomically: the whole file under its name, nothing on stdout, no temp file left", async () => {
    const dir = tempDir()
    const out = join(dir, "usage.csv")
    const { code, stdout, stderr } = await runCli(["export", "--db", db, "--csv", "--output", out])
    expect(code, stderr).to.equal(0)
    expect(stdout).to.equal("")
    expect(stderr).to.include(`Exported ${small.length + tricky.length} records to ${out}`)
    expect(readFileSync(out, "utf8").trimEnd().split("\n")).to.have.length(small.length + tricky.length + 1)
    expect(readdirSync(dir)).to.deep.equal(["usage.csv"])
  })

  it("fails with one line and leaves nothing when the output cannot be written", async () => {
    const out = join(tempDir(), "missing-dir", "usage.json")
    const { code, stderr } = await runCli(["export", "--db", db, "--output", out])
    expect(code).to.equal(1)
    expect(lines(stderr)).to.deep.equal([`Error: cannot write ${out}: its directory does not exist`])
    expect(existsSync(out)).to.equal(false)
  })

  it("exports the same records from --endpoint as from --db, in every format", async () => {
    const service = await startService({ db })
    try {
      for (const format of ["--json", "--ndjson", "--csv"]) {
        const fromDb = await runCli(["export", "--db", db, format])
        const fromEndpoint = await runCli(["export", "--endpoint", service.url, format])
        expect(fromEndpoint.code, fromEndpoint.stderr).to.equal(0)
        expect(fromEndpoint.stdout, format).to.equal(fromDb.stdout)
      }
    } finally {
      await service.close()
    }
  })

  it("streams a large export through a small heap", async function () {
    this.timeout(120_000)
    const many: StoredRecord[] = Array.from({ length: 60_000 }, (_, i) => ({
      id: `usage_${i.toString(16).padStart(8, "0")}`,
      timestamp: new Date(Date.UTC(2026, 9, 1) + i * 60_000),
      provider: ["openai", "anthropic", "google"][i % 3],
      model: "gpt-5.2",
      inputTokens: i,
      outputTokens: i % 1000,
      estimatedCost: (i % 997) / 1000,
      taskType: "primary",
      sessionID: `ses_${"x".repeat(200)}_${i}`,
      node: `node-${i % 7}`,
    }))
    const big = await seededSqlite(many)
    const out = join(tempDir(), "big.ndjson")
    // 60,000 records of ~400 bytes (24 MB as NDJSON, several times that as objects) through a 48 MB old space.
    const { code, stderr } = await runCli(["export", "--db", big, "--ndjson", "--output", out], {
      env: { NODE_OPTIONS: "--max-old-space-size=48" },
    })
    expect(code, stderr).to.equal(0)
    expect(lines(readFileSync(out, "utf8"))).to.have.length(many.length)
  })
})
