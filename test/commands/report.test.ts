import { execFileSync } from "node:child_process"
import { existsSync } from "node:fs"
import { stripVTControlCharacters } from "node:util"
import { expect } from "chai"
import { toNanos } from "../../src/lib/money.js"
import type { StoredRecord } from "../../src/lib/record.js"
import { BIN, cleanEnv, fixtureRecords, lines, runCli, seededSqlite, startService } from "./helpers.js"

/** Independent expectation: calls and cost (nano-dollars) per UTC day or month. */
function expected(records: StoredRecord[], width: 10 | 7): Map<string, { calls: number; nanos: number }> {
  const out = new Map<string, { calls: number; nanos: number }>()
  for (const r of [...records].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime())) {
    const key = r.timestamp.toISOString().slice(0, width)
    const s = out.get(key) ?? { calls: 0, nanos: 0 }
    s.calls += 1
    s.nanos += toNanos(r.estimatedCost)
    out.set(key, s)
  }
  return out
}

describe("usage daily | weekly | monthly", () => {
  const small = fixtureRecords("small.json")
  let db: string
  let empty: string

  before(async () => {
    db = await seededSqlite(small)
    empty = await seededSqlite([])
  })

  it("daily --json: one row per UTC day with usage, each the exact sum of its records, and totals", async () => {
    const { code, stdout, stderr } = await runCli(["daily", "--db", db, "--json", "--tz", "UTC"])
    expect(code, stderr).to.equal(0)
    const json = JSON.parse(stdout)
    const days = expected(small, 10)
    expect(json.daily.map((r: { period: string }) => r.period)).to.deep.equal([...days.keys()])
    for (const row of json.daily) {
      expect(row.callCount, row.period).to.equal(days.get(row.period)!.calls)
      expect(toNanos(row.totalCost), row.period).to.equal(days.get(row.period)!.nanos)
      expect(row.models).to.be.an("array").that.is.not.empty
    }
    expect(json.totals.callCount).to.equal(small.length)
    expect(json.tz).to.equal("UTC")
    expect(json.since).to.equal(`${json.daily[0].period}T00:00:00.000Z`)
  })

  it("monthly prints a table: a row per month with models, then a Total row", async () => {
    const { code, stdout, stderr } = await runCli(["monthly", "--db", db, "--tz", "UTC"])
    expect(code, stderr).to.equal(0)
    const months = [...expected(small, 7).keys()]
    const rows = stdout.split("\n").filter((l) => /^│ \d{4}-\d{2} /.test(l))
    expect(rows.map((l) => l.slice(2, 9))).to.deep.equal(months)
    expect(stdout).to.match(/Monthly usage \(UTC\)/)
    expect(stdout).to.match(/│ Total /)
    expect(stdout).to.match(/Models/)
  })

  it("weekly --compact --by provider --order desc: narrow table, sub-rows, newest week first", async () => {
    const { code, stdout, stderr } = await runCli([
      "weekly",
      "--db",
      db,
      "--compact",
      "--by",
      "provider",
      "--order",
      "desc",
      "--start-of-week",
      "sunday",
    ])
    expect(code, stderr).to.equal(0)
    expect(stdout).to.not.match(/Models|Cache read/)
    const weeks = stdout
      .split("\n")
      .filter((l) => /^│ \d{4}-\d{2}-\d{2} /.test(l))
      .map((l) => l.slice(2, 12))
    expect(weeks).to.deep.equal([...weeks].sort().reverse())
    for (const week of weeks) expect(new Date(`${week}T00:00:00Z`).getUTCDay()).to.equal(0)
    expect(stdout).to.match(/^│ {3}\S/m)
  })

  it("colours with FORCE_COLOR (header, costs, Total), never when piped", async () => {
    const plain = await runCli(["daily", "--db", db, "--tz", "UTC"])
    expect(plain.stdout).to.not.include("\u001b[")
    const forced = await runCli(["daily", "--db", db, "--tz", "UTC"], { env: { FORCE_COLOR: "1" } })
    expect(forced.stdout).to.include("\u001b[36mDate")
    expect(forced.stdout).to.include("\u001b[1mTotal\u001b[22m")
    expect(forced.stdout).to.include("\u001b[33m$")
    expect(stripVTControlCharacters(forced.stdout)).to.equal(plain.stdout)
  })

  it("on a terminal narrower than 100 columns: compact and coloured; NO_COLOR keeps it compact and plain", async function () {
    if (!existsSync("/usr/bin/script")) this.skip()
    // util-linux `script` gives the command a pseudo-terminal, here 80 columns wide.
    const onTerminal = (env: Record<string, string | undefined>) =>
      execFileSync("/usr/bin/script", ["-qec", `stty cols 80; node ${BIN} daily --db ${db} --tz UTC`, "/dev/null"], {
        env: cleanEnv(env),
      })
        .toString("utf8")
        .replaceAll("\r", "")
    const coloured = onTerminal({})
    const head = lines(stripVTControlCharacters(coloured)).find((l) => l.startsWith("│ Date"))!
    expect(
      head
        .split("│")
        .slice(1, -1)
        .map((c) => c.trim()),
    ).to.deep.equal(["Date", "Cost", "Calls", "Input", "Output"])
    expect(coloured).to.include("\u001b[1mTotal\u001b[22m")
    const plain = onTerminal({ NO_COLOR: "1" })
    expect(plain).to.not.include("\u001b[")
    expect(plain).to.equal(stripVTControlCharacters(coloured))
  })

  it("an empty store prints one line and exits 0", async () => {
    const { code, stdout, stderr } = await runCli(["daily", "--db", empty])
    expect(code, stderr).to.equal(0)
    expect(lines(stdout)).to.deep.equal(["No usage found."])
  })

  it("reads the central service with --endpoint: the same JSON as from the store", async () => {
    const service = await startService({ db })
    try {
      const fromService = await runCli(["monthly", "--endpoint", service.url, "--json", "--tz", "UTC"])
      const fromStore = await runCli(["monthly", "--db", db, "--json", "--tz", "UTC"])
      expect(fromService.code, fromService.stderr).to.equal(0)
      expect(JSON.parse(fromService.stdout)).to.deep.equal(JSON.parse(fromStore.stdout))
    } finally {
      await service.close()
    }
  })

  it("refuses an unknown --order (bad usage, exit 2)", async () => {
    const { code } = await runCli(["daily", "--db", db, "--order", "up"])
    expect(code).to.equal(2)
  })
})
