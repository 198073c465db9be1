import { spawn } from "node:child_process"
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { FileAdapter } from "../../../src/lib/adapters/file-adapter.js"
import { fixedClock } from "../../../src/lib/clock.js"
import { LEGACY_FIXTURES } from "../../helpers/fixtures.js"
import { tempDir } from "../../helpers/tmp.js"
import { describeStorageAdapterContract } from "./storage-adapter-contract.js"

const FIXTURES = LEGACY_FIXTURES
const NOW = fixedClock("2026-11-20T12:00:00.000Z")

function fixtureCopy(name: string): string {
  const path = join(tempDir(), "oh-my-opencode-usage.json")
  copyFileSync(join(FIXTURES, name), path)
  return path
}

function rawRecords(path: string): Array<Record<string, unknown>> {
  return JSON.parse(readFileSync(path, "utf8")).records
}

describeStorageAdapterContract("FileAdapter", async () => {
  const adapter = new FileAdapter({ storagePath: join(tempDir(), "usage.json"), debounceMs: 10 })
  return { adapter, cleanup: () => adapter.close() }
})

describe("FileAdapter", () => {
  for (const name of ["small.json", "shared-ids.json", "version-0.json", "empty.json"]) {
    it(`round-trips ${name} with no record lost or changed`, () => {
      const path = fixtureCopy(name)
      const before = rawRecords(path)
      const adapter = new FileAdapter({ storagePath: path, clock: NOW })
      expect(adapter.records()).to.have.length(before.length)
      adapter.removeWhere(() => false) // mark dirty without changing anything
      adapter.writeSync()
      const after = JSON.parse(readFileSync(path, "utf8"))
      expect(after.version).to.equal(1)
      const key = (r: Record<string, unknown>) => `${r.id}|${new Date(r.timestamp as string).getTime()}`
      expect(after.records.map(key).sort()).to.deep.equal(before.map(key).sort())
      const byKey = new Map(before.map((r) => [key(r), r]))
      for (const r of after.records) expect(r, `record ${r.id}`).to.deep.equal(byKey.get(key(r)))
    })
  }

  it("reads a version-0 file as version 1 and writes it back as version 1", () => {
    const path = fixtureCopy("version-0.json")
    const adapter = new FileAdapter({ storagePath: path, clock: NOW })
    adapter.removeWhere(() => false)
    adapter.writeSync()
    expect(JSON.parse(readFileSync(path, "utf8")).version).to.equal(1)
  })

  it("keeps an unreadable (truncated) file aside, intact, and starts fresh beside it", () => {
    const path = fixtureCopy("truncated.json")
    const original = readFileSync(path, "utf8")
    const warnings: string[] = []
    const adapter = new FileAdapter({ storagePath: path, clock: NOW, warn: (m) => warnings.push(m) })
    expect(adapter.records()).to.have.length(0)
    const dir = join(path, "..")
    const aside = readdirSync(dir).filter((f) => f.includes(".corrupt-"))
    expect(aside).to.have.length(1)
    expect(readFileSync(join(dir, aside[0]), "utf8")).to.equal(original)
    expect(warnings.join("\n")).to.match(/kept it as/)
    adapter.saveRecord({ ...sample("usage_new00001"), timestamp: new Date("2026-11-20T11:00:00Z") })
    adapter.writeSync()
    expect(rawRecords(path)).to.have.length(1)
  })

  it("leaves a file it cannot read at all (an I/O error, not bad content) where it is", () => {
    const path = join(tempDir(), "usage.json")
    mkdirSync(path) // reading a directory fails with EISDIR, like a passing EACCES or EMFILE would
    const warnings: string[] = []
    const adapter = new FileAdapter({ storagePath: path, clock: NOW, warn: (m) => warnings.push(m) })
    expect(adapter.records()).to.have.length(0)
    expect(warnings.join("\n")).to.match(/cannot read .* now/)
    expect(readdirSync(join(path, "..")).filter((f) => f.includes(".corrupt-"))).to.deep.equal([])
    adapter.saveRecord(sample("usage_ioerr001")).catch(() => {})
    expect(() => adapter.writeSync()).to.throw(/cannot read .* before saving/)
    expect(statSync(path).isDirectory()).to.equal(true)
  })

  it("writes atomically: no temp file is left and the file is always complete JSON", () => {
    const path = join(tempDir(), "usage.json")
    const adapter = new FileAdapter({ storagePath: path, clock: NOW })
    for (let i = 0; i < 20; i++) {
      adapter.saveRecord(sample(`usage_atom${String(i).padStart(4, "0")}`))
      adapter.writeSync()
      expect(() => JSON.parse(readFileSync(path, "utf8"))).to.not.throw()
    }
    expect(readdirSync(join(path, "..")).filter((f) => f.endsWith(".tmp"))).to.deep.equal([])
  })

  it("prunes records older than the first day of the month two months back", () => {
    const path = fixtureCopy("small.json")
    const adapter = new FileAdapter({ storagePath: path, clock: fixedClock("2027-01-15T12:00:00.000Z"), tz: "UTC" })
    const cutoff = Date.parse("2026-11-01T00:00:00.000Z")
    const expected = rawRecords(path).filter((r) => Date.parse(r.timestamp as string) >= cutoff).length
    expect(adapter.records()).to.have.length(expected)
    expect(expected).to.be.lessThan(rawRecords(path).length)
  })

  it("merges with records another writer saved meanwhile instead of overwriting them", () => {
    const path = join(tempDir(), "usage.json")
    const a = new FileAdapter({ storagePath: path, clock: NOW })
    const b = new FileAdapter({ storagePath: path, clock: NOW })
    a.records()
    b.records()
    a.saveRecord(sample("usage_aaaa0001"))
    b.saveRecord(sample("usage_bbbb0001"))
    a.writeSync()
    b.writeSync()
    expect(
      rawRecords(path)
        .map((r) => r.id)
        .sort(),
    ).to.deep.equal(["usage_aaaa0001", "usage_bbbb0001"])
  })

  it("does not resurrect records it cleared when merging", () => {
    const path = fixtureCopy("small.json")
    const adapter = new FileAdapter({ storagePath: path, clock: NOW })
    adapter.removeWhere((r) => r.provider === "anthropic")
    adapter.writeSync()
    expect(rawRecords(path).filter((r) => r.provider === "anthropic")).to.deep.equal([])
    expect(rawRecords(path).length).to.be.greaterThan(0)
  })

  it("resolves saveRecord once the debounced save wrote the record", async () => {
    const path = join(tempDir(), "usage.json")
    const adapter = new FileAdapter({ storagePath: path, clock: NOW, debounceMs: 20 })
    await adapter.saveRecord(sample("usage_dbnc0001"))
    expect(rawRecords(path).map((r) => r.id)).to.deep.equal(["usage_dbnc0001"])
  })

  it("loses no record when two processes record 500 records each into one file", async function () {
    this.timeout(60_000)
    const path = join(tempDir(), "usage.json")
    const script = new URL("./fixtures/record-many.ts", import.meta.url).pathname
    const run = (tag: string) =>
      new Promise<void>((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", script, path, tag, "500"], {
          stdio: ["ignore", "inherit", "inherit"],
        })
        child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${tag} exited ${code}`))))
      })
    await Promise.all([run("p1"), run("p2")])
    const records = rawRecords(path)
    expect(records).to.have.length(1000)
    expect(new Set(records.map((r) => r.id)).size).to.equal(1000)
    expect(existsSync(`${path}.lock`)).to.equal(false)
  })
})

function sample(id: string) {
  return {
    id,
    timestamp: new Date("2026-11-20T10:00:00.000Z"),
    provider: "anthropic",
    model: "claude-sonnet-4-5",
    inputTokens: 10,
    outputTokens: 5,
    estimatedCost: 0.000105,
    taskType: "primary",
  }
}
