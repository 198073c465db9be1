import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { fromNanos } from "../../src/lib/money.js"
import { recordJson } from "../helpers/records.js"
import { tempDir } from "../helpers/tmp.js"
import { FIXTURES, freshPostgres, lines, runCli, startService } from "./helpers.js"

const GOOD = ["small.json", "shared-ids.json", "version-0.json", "empty.json"]
const fixture = (name: string) => join(FIXTURES, name)

/** Independent count: a file's records and their distinct identities (id, instant in ms), read with JSON.parse. */
function countFixture(name: string): { records: number; identities: Set<string> } {
  const doc = JSON.parse(readFileSync(fixture(name), "utf8")) as { records: Array<{ id: string; timestamp: string }> }
  return {
    records: doc.records.length,
    identities: new Set(doc.records.map((r) => `${r.id}|${Date.parse(r.timestamp)}`)),
  }
}

/** What a first run over `names` must report per file: new identities, and repeats (in the file or earlier ones). */
function expectedFirstRun(names: string[]) {
  const seen = new Set<string>()
  return names.map((name) => {
    const doc = JSON.parse(readFileSync(fixture(name), "utf8")) as { records: Array<{ id: string; timestamp: string }> }
    let accepted = 0
    for (const r of doc.records) {
      const key = `${r.id}|${Date.parse(r.timestamp)}`
      if (!seen.has(key)) accepted += 1
      seen.add(key)
    }
    return { file: fixture(name), records: doc.records.length, accepted, duplicates: doc.records.length - accepted }
  })
}

interface FileReport {
  file: string
  status: string
  records: number
  accepted: number
  duplicates: number
  rejected: Array<{ index: number; error: string }>
  error?: { code: string; message: string }
}

const figures = (files: FileReport[]) =>
  files.map(({ file, records, accepted, duplicates }) => ({ file, records, accepted, duplicates }))

async function storeCount(db: string): Promise<number> {
  const { stdout } = await runCli(["export", "--db", db, "--ndjson"])
  return lines(stdout).length
}

describe("usage migrate-file", () => {
  it("counts a repeated legacy id with another timestamp as another record", () => {
    // The fixture itself: some ids repeat, but with different instants (so they are different events).
    const { records, identities } = countFixture("shared-ids.json")
    const ids = new Set(
      (JSON.parse(readFileSync(fixture("shared-ids.json"), "utf8")).records as Array<{ id: string }>).map((r) => r.id),
    )
    expect(ids.size).to.be.lessThan(records)
    expect(identities.size).to.equal(records)
  })

  it("imports the legacy fixtures with figures matching an independent count, refusing the truncated file (exit 1)", async () => {
    const db = join(tempDir(), "usage.db")
    const names = ["small.json", "shared-ids.json", "truncated.json", "version-0.json", "empty.json"]
    const { code, stdout, stderr } = await runCli(["migrate-file", ...names.map(fixture), "--db", db, "--json"])
    expect(code, stderr).to.equal(1)
    const report = JSON.parse(stdout)
    const files = report.files as FileReport[]
    const truncated = files.find((f) => f.file.endsWith("truncated.json"))!
    expect(truncated.status).to.equal("refused")
    expect(truncated.error?.code).to.equal("NOT_LEGACY_FILE")
    expect(truncated.accepted).to.equal(0)
    const imported = files.filter((f) => f !== truncated)
    expect(figures(imported)).to.deep.equal(expectedFirstRun(GOOD))
    for (const f of imported) expect(f.rejected, f.file).to.deep.equal([])
    const distinct = new Set(GOOD.flatMap((name) => [...countFixture(name).identities]))
    expect(report.totals).to.deep.equal({
      files: 5,
      refused: 1,
      records: distinct.size,
      accepted: distinct.size,
      duplicates: 0,
      rejected: 0,
    })
    // Nothing of the truncated file went in: the store holds exactly the good files' events.
    expect(await storeCount(db)).to.equal(distinct.size)
  })

  it("is idempotent: a second run imports 0 new records and says so", async () => {
    const db = join(tempDir(), "usage.db")
    const files = GOOD.map(fixture)
    const first = await runCli(["migrate-file", ...files, "--db", db])
    expect(first.code, first.stderr).to.equal(0)
    const second = await runCli(["migrate-file", ...files, "--db", db])
    expect(second.code, second.stderr).to.equal(0)
    const distinct = new Set(GOOD.flatMap((name) => [...countFixture(name).identities])).size
    expect(second.stdout).to.include(
      `Total: 0 accepted (new), ${distinct} duplicates, 0 rejected. Nothing new imported: every record was already there.`,
    )
    expect(second.stdout).to.include(
      `${fixture("small.json")}: 60 records, 0 accepted (new), 60 duplicates, 0 rejected`,
    )
    expect(await storeCount(db)).to.equal(distinct)
  })

  it("prints the refusal of a file that is not a legacy usage file as one line on stderr and imports the others", async () => {
    const dir = tempDir()
    const wrongShape = join(dir, "settings.json")
    writeFileSync(wrongShape, JSON.stringify({ theme: "dark" }))
    const notJson = join(dir, "notes.json")
    writeFileSync(notJson, "hello\n")
    const db = join(dir, "usage.db")
    const { code, stdout, stderr } = await runCli([
      "migrate-file",
      wrongShape,
      fixture("small.json"),
      notJson,
      "--db",
      db,
    ])
    expect(code).to.equal(1)
    expect(lines(stderr)).to.have.length(2)
    expect(lines(stderr)[0]).to.match(/^Error: .*settings\.json is not a legacy usage file .*nothing of it imported$/)
    expect(lines(stderr)[1]).to.match(/^Error: .*notes\.json is not a legacy usage file/)
    expect(stdout).to.include(`${fixture("small.json")}: 60 records, 60 accepted (new)`)
    expect(stdout).to.include("2 file(s) refused")
    expect(await storeCount(db)).to.equal(60)
  })

  it("rejects invalid records with their index and reason, and imports the valid ones", async () => {
    const dir = tempDir()
    const file = join(dir, "usage.json")
    const good = recordJson({ id: "usage_aaaaaaaa", timestamp: new Date("2026-11-10T10:00:00.000Z") })
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        records: [
          good,
          { ...good, id: "usage_bbbbbbbb", inputTokens: -5 },
          { ...good, id: "usage_cccccccc" },
          { ...good, timestamp: "yesterday" },
        ],
        summaries: {},
      }),
    )
    const { code, stdout } = await runCli(["migrate-file", file, "--db", join(dir, "usage.db"), "--json"])
    expect(code).to.equal(0)
    const [report] = JSON.parse(stdout).files as FileReport[]
    expect(report).to.include({ records: 4, accepted: 2, duplicates: 0 })
    expect(report.rejected.map((r) => r.index)).to.deep.equal([1, 3])
    expect(report.rejected[0].error).to.include("inputTokens")
    expect(report.rejected[1].error).to.include("timestamp")
    // The same list at the top, as push --json gives it, so scripts read either the same way.
    const top = JSON.parse(stdout)
    expect(top.rejectedCount).to.equal(2)
    expect(top.rejectedRecords).to.deep.equal(report.rejected.map((r) => ({ file, index: r.index, error: r.error })))
    const human = await runCli(["migrate-file", file, "--db", join(dir, "other.db")])
    expect(human.stdout).to.include("rejected record 1: inputTokens")
  })

  it("stamps --node on records without one, so the same file from two machines counts twice", async () => {
    const db = join(tempDir(), "usage.db")
    await runCli(["migrate-file", fixture("version-0.json"), "--db", db, "--node", "laptop"])
    const second = await runCli(["migrate-file", fixture("version-0.json"), "--db", db, "--node", "desktop", "--json"])
    expect(JSON.parse(second.stdout).totals.accepted).to.equal(12)
    const { stdout } = await runCli(["summary", "--db", db, "--since", "2026-01-01", "--json"])
    expect(JSON.parse(stdout).nodes).to.deep.equal(["desktop", "laptop"])
  })

  it("imports every record of a legacy history with calls of $30,000 and 2e9 tokens, with exact totals (SQLite, PostgreSQL)", async function () {
    this.timeout(60_000)
    const doc = JSON.parse(readFileSync(fixture("expensive.json"), "utf8")) as {
      records: Array<{ provider: string; inputTokens: number; estimatedCost: number }>
    }
    const exactNanos = doc.records.reduce((n, r) => n + BigInt(Math.round(r.estimatedCost * 1e9)), 0n)
    const pg = await freshPostgres()
    if (!pg) console.log("    (PostgreSQL not reachable: checking SQLite only)")
    const targets = [join(tempDir(), "usage.db"), ...(pg ? [pg.url] : [])]
    try {
      for (const db of targets) {
        const run = await runCli(["migrate-file", fixture("expensive.json"), "--db", db, "--node", "gpu-01", "--json"])
        expect(run.code, run.stderr).to.equal(0)
        expect(JSON.parse(run.stdout).totals).to.include({ records: 8, accepted: 8, rejected: 0 })
        const { stdout } = await runCli(["summary", "--db", db, "--since", "2026-11-01", "--json"])
        const summary = JSON.parse(stdout)
        // $15,151,000.136651788: past 2^53 nano-dollars; the JSON carries the nearest double of the exact sum.
        expect(summary.totalCost).to.equal(fromNanos(exactNanos))
        expect(summary.summaries.anthropic.totalInputTokens).to.equal(
          doc.records.filter((r) => r.provider === "anthropic").reduce((n, r) => n + r.inputTokens, 0),
        )
        expect(summary.summaries.anthropic.callCount).to.equal(5)
      }
    } finally {
      await pg?.drop()
    }
  })

  it("writes nothing with --dry-run, and counts what is already there", async () => {
    const db = join(tempDir(), "usage.db")
    const dry = await runCli(["migrate-file", fixture("small.json"), "--db", db, "--dry-run", "--json"])
    expect(dry.code, dry.stderr).to.equal(0)
    expect(JSON.parse(dry.stdout).files[0]).to.include({ status: "checked", accepted: 60, duplicates: 0 })
    expect(existsSync(db)).to.equal(false)
    await runCli(["migrate-file", fixture("small.json"), "--db", db])
    const again = await runCli([
      "migrate-file",
      fixture("small.json"),
      fixture("shared-ids.json"),
      "--db",
      db,
      "--dry-run",
    ])
    expect(again.stdout).to.match(/^Dry run: /)
    expect(again.stdout).to.include("small.json: 60 records, 0 would be new, 60 duplicates")
    expect(again.stdout).to.include("shared-ids.json: 40 records, 40 would be new, 0 duplicates")
    expect(await storeCount(db)).to.equal(60)
  })

  it("writes to the default store without --db, which summary then reads", async () => {
    const dataHome = join(tempDir(), "data")
    const env = { XDG_DATA_HOME: dataHome }
    const { code, stdout } = await runCli(["migrate-file", fixture("small.json")], { env })
    expect(code).to.equal(0)
    expect(stdout).to.include(`into store ${join(dataHome, "usage-hub", "usage.db")}`)
    expect(existsSync(join(dataHome, "usage-hub", "usage.db"))).to.equal(true)
    const summary = await runCli(["summary", "--json"], { env })
    expect(JSON.parse(summary.stdout).summaries.openai.callCount).to.equal(6)
  })

  it("imports into the central service with --endpoint and the ingest token, idempotently", async () => {
    const service = await startService({ db: ":memory:", ingestToken: "ingest-secret" })
    try {
      const files = GOOD.map(fixture)
      const first = await runCli(["migrate-file", ...files, "--endpoint", service.url, "--json"], {
        env: { USAGE_TOKEN: "ingest-secret" },
      })
      expect(first.code, first.stderr).to.equal(0)
      expect(figures(JSON.parse(first.stdout).files)).to.deep.equal(expectedFirstRun(GOOD))
      const second = await runCli([
        "migrate-file",
        ...files,
        "--endpoint",
        service.url,
        "--token",
        "ingest-secret",
        "--json",
      ])
      const totals = JSON.parse(second.stdout).totals
      expect(totals.accepted).to.equal(0)
      expect(totals.duplicates).to.equal(JSON.parse(first.stdout).totals.accepted)
      const stored = await runCli(["export", "--endpoint", service.url, "--ndjson"])
      expect(lines(stored.stdout)).to.have.length(totals.duplicates)
    } finally {
      await service.close()
    }
  })

  it("fails with one line when the service refuses the ingest token", async () => {
    const service = await startService({ db: ":memory:", ingestToken: "ingest-secret" })
    try {
      const { code, stderr } = await runCli([
        "migrate-file",
        fixture("small.json"),
        "--endpoint",
        service.url,
        "--token",
        "nope",
      ])
      expect(code).to.equal(1)
      expect(lines(stderr)).to.have.length(1)
      expect(stderr).to.match(/^Error: .*refused the ingest token \(40[13]\)/)
    } finally {
      await service.close()
    }
  })

  it("imports into PostgreSQL with the same figures", async function () {
    this.timeout(60_000)
    const pg = await freshPostgres()
    if (!pg) {
      console.log("    (PostgreSQL not reachable at USAGE_TEST_PG: skipped)")
      this.skip()
    }
    try {
      const files = GOOD.map(fixture)
      const first = await runCli(["migrate-file", ...files, "--db", pg.url, "--json"])
      expect(first.code, first.stderr).to.equal(0)
      expect(figures(JSON.parse(first.stdout).files)).to.deep.equal(expectedFirstRun(GOOD))
      const second = await runCli(["migrate-file", ...files, "--db", pg.url, "--json"])
      expect(JSON.parse(second.stdout).totals.accepted).to.equal(0)
    } finally {
      await pg.drop()
    }
  })

  describe("exports of usage-hub (NDJSON and JSON)", () => {
    /** A store with the good fixtures, its NDJSON export, and its summary over everything. */
    async function exported(flag: "--ndjson" | "--json") {
      const dir = tempDir()
      const db = join(dir, "usage.db")
      const seeded = await runCli(["migrate-file", ...GOOD.map(fixture), "--db", db, "--node", "laptop"])
      expect(seeded.code, seeded.stderr).to.equal(0)
      const file = join(dir, flag === "--ndjson" ? "export.ndjson" : "export.json")
      const out = await runCli(["export", "--db", db, flag])
      expect(out.code, out.stderr).to.equal(0)
      writeFileSync(file, out.stdout)
      return { dir, db, file, records: await storeCount(db) }
    }
    const summaryOf = async (db: string) => {
      const { code, stdout, stderr } = await runCli(["summary", "--db", db, "--since", "2000-01-01", "--json"])
      expect(code, stderr).to.equal(0)
      return JSON.parse(stdout)
    }

    it("imports its own NDJSON export back into the same store as duplicates only", async () => {
      const { db, file, records } = await exported("--ndjson")
      expect(records).to.be.greaterThan(0)
      const again = await runCli(["migrate-file", file, "--db", db, "--json"])
      expect(again.code, again.stderr).to.equal(0)
      const report = JSON.parse(again.stdout)
      expect(report.files[0]).to.include({ status: "imported", format: "ndjson", records, accepted: 0 })
      expect(report.totals).to.include({ records, accepted: 0, duplicates: records, rejected: 0, refused: 0 })
      expect(await storeCount(db)).to.equal(records)
    })

    it("copies a store through its NDJSON export: a new store gets the same totals", async () => {
      const { dir, db, file, records } = await exported("--ndjson")
      const copy = join(dir, "copy.db")
      // Another --node: records of an export carry their own node, which wins.
      const run = await runCli(["migrate-file", file, "--db", copy, "--node", "elsewhere"])
      expect(run.code, run.stderr).to.equal(0)
      expect(run.stdout).to.include(`${file}: ${records} records, ${records} accepted (new), 0 duplicates, 0 rejected`)
      expect(await summaryOf(copy)).to.deep.equal(await summaryOf(db))
    })

    it("imports a JSON array export (export --json) back as duplicates only", async () => {
      const { db, file, records } = await exported("--json")
      const again = await runCli(["migrate-file", file, "--db", db, "--json"])
      expect(again.code, again.stderr).to.equal(0)
      expect(JSON.parse(again.stdout).files[0]).to.include({ format: "json-array", accepted: 0, duplicates: records })
    })

    it("rejects the invalid lines of an NDJSON file by index, importing the valid ones", async () => {
      const dir = tempDir()
      const file = join(dir, "records.ndjson")
      const good = (i: number) =>
        JSON.stringify(recordJson({ id: `usage_nd_${i}`, timestamp: new Date("2026-11-10T10:00:00.000Z") }))
      writeFileSync(file, [good(0), "{oops", good(1), "", JSON.stringify({ id: "x" }), good(2)].join("\n"))
      const { code, stdout, stderr } = await runCli(["migrate-file", file, "--db", join(dir, "usage.db"), "--json"])
      expect(code, stderr).to.equal(0)
      const [report] = JSON.parse(stdout).files as FileReport[]
      expect(report).to.include({ status: "imported", records: 5, accepted: 3, duplicates: 0 })
      expect(report.rejected.map((r) => r.index)).to.deep.equal([1, 3])
      expect(report.rejected[0].error).to.equal("not valid JSON")
    })
  })

  it("exits 2 without a file, or with an unknown flag", async () => {
    const none = await runCli(["migrate-file"])
    expect(none.code).to.equal(2)
    const unknown = await runCli(["migrate-file", fixture("small.json"), "--frobnicate"])
    expect(unknown.code).to.equal(2)
    expect(lines(unknown.stderr)[0]).to.equal("Error: Nonexistent flag: --frobnicate")
    const both = await runCli([
      "migrate-file",
      fixture("small.json"),
      "--db",
      "x.db",
      "--endpoint",
      "http://127.0.0.1:1",
    ])
    expect(both.code).to.equal(2)
  })
})
