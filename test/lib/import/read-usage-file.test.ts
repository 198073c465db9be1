import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { PassThrough } from "node:stream"
import { expect } from "chai"
import { UsageHubError } from "../../../src/lib/errors.js"
import { readAllUsageRecords, readUsageRecords } from "../../../src/lib/import/read-usage-file.js"
import { LEGACY_FIXTURES } from "../../helpers/fixtures.js"
import { recordJson } from "../../helpers/records.js"
import { removeDir, tempDir } from "../../helpers/tmp.js"

const FIXTURES = LEGACY_FIXTURES
const fixture = (name: string) => join(FIXTURES, name)

/** Record `i` as a file carries it (one second apart from 2026-11-01, 100 in, 10 out, $0.00045), `extra` on top. */
function record(i: number, extra: Record<string, unknown> = {}) {
  return {
    ...recordJson({
      id: `usage_${i.toString(16).padStart(8, "0")}`,
      timestamp: new Date(Date.UTC(2026, 10, 1) + i * 1000),
      inputTokens: 100,
      outputTokens: 10,
      estimatedCost: 0.00045,
    }),
    ...extra,
  }
}

async function expectRejects(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(UsageHubError)
    expect((error as UsageHubError).code).to.equal(code)
    expect((error as Error).message).to.match(pattern)
    return
  }
  expect.fail(`expected ${code}`)
}

describe("readUsageRecords", () => {
  let dir: string
  beforeEach(() => {
    dir = tempDir("usage-import-")
  })
  afterEach(() => removeDir(dir))

  it("reads a legacy file and stamps the importing node on records without one", async () => {
    const { records, rejected, stats } = await readAllUsageRecords(fixture("small.json"), { node: "build-07" })
    expect(stats.format).to.equal("legacy")
    expect(records.length).to.be.greaterThan(10)
    expect(rejected).to.deep.equal([])
    expect(records.every((r) => r.node === "build-07")).to.equal(true)
    expect(records[0].timestamp).to.be.instanceOf(Date)
  })

  it("keeps a record's own node", async () => {
    const path = join(dir, "mixed.json")
    writeFileSync(path, JSON.stringify({ version: 1, records: [record(1, { node: "own" }), record(2)] }))
    const { records } = await readAllUsageRecords(path, { node: "importer" })
    expect(records.map((r) => r.node)).to.deep.equal(["own", "importer"])
  })

  it("defaults the node to this machine's hostname", async () => {
    const { records } = await readAllUsageRecords(fixture("small.json"))
    const { hostname } = await import("node:os")
    expect(records[0].node).to.equal(hostname())
  })

  it("reads a version-0 file like version 1", async () => {
    const { records, stats } = await readAllUsageRecords(fixture("version-0.json"), { node: "n" })
    expect(stats.format).to.equal("legacy")
    expect(records.length).to.be.greaterThan(0)
  })

  it("refuses a truncated legacy file with one line naming it, importing nothing", async () => {
    const seen: unknown[] = []
    const iterate = async () => {
      for await (const batch of readUsageRecords(fixture("truncated.json"), { node: "n" })) seen.push(...batch)
    }
    await expectRejects(iterate(), "NOT_LEGACY_FILE", /truncated\.json is not a legacy usage file/)
    expect(seen).to.deep.equal([])
  })

  it("refuses JSON of the wrong shape and files that are not JSON", async () => {
    const wrong = join(dir, "config.json")
    writeFileSync(wrong, JSON.stringify({ usage: { backend: "file" } }))
    await expectRejects(readAllUsageRecords(wrong), "NOT_LEGACY_FILE", /config\.json .*"version"/)
    const noRecords = join(dir, "norec.json")
    writeFileSync(noRecords, JSON.stringify({ version: 1, records: "nope" }))
    await expectRejects(readAllUsageRecords(noRecords), "NOT_LEGACY_FILE", /"records" array/)
    const text = join(dir, "notes.txt")
    writeFileSync(text, "hello\nworld\n")
    await expectRejects(readAllUsageRecords(text), "NOT_LEGACY_FILE", /notes\.txt .*not valid JSON/)
    const empty = join(dir, "empty.json")
    writeFileSync(empty, "")
    await expectRejects(readAllUsageRecords(empty), "NOT_LEGACY_FILE", /empty/)
  })

  it("reports a missing file as FILE_ERROR", async () => {
    await expectRejects(readAllUsageRecords(join(dir, "nope.json")), "FILE_ERROR", /nope\.json/)
    await expectRejects(readAllUsageRecords(join(dir, "nope.ndjson")), "FILE_ERROR", /nope\.ndjson/)
  })

  it("rejects bad records of a legacy file by index with the reason, keeping the rest", async () => {
    const path = join(dir, "bad.json")
    writeFileSync(path, JSON.stringify({ version: 1, records: [record(1), { ...record(2), inputTokens: -1 }, 7] }))
    const { records, rejected } = await readAllUsageRecords(path, { node: "n" })
    expect(records.map((r) => r.id)).to.deep.equal([record(1).id])
    expect(rejected.map((r) => r.index)).to.deep.equal([1, 2])
    expect(rejected[0].error).to.match(/inputTokens/)
    expect(rejected[1].error).to.match(/object/)
  })

  it("reads NDJSON, indexing rejections among non-empty lines", async () => {
    const path = join(dir, "export.json")
    const lines = [
      JSON.stringify(record(1)),
      "",
      "{not json",
      JSON.stringify({ ...record(3), provider: "" }),
      JSON.stringify(record(4, { node: "x" })),
    ]
    writeFileSync(path, lines.join("\n") + "\n")
    const { records, rejected, stats } = await readAllUsageRecords(path, { node: "n" })
    expect(stats.format).to.equal("ndjson")
    expect(records.map((r) => [r.id, r.node])).to.deep.equal([
      [record(1).id, "n"],
      [record(4).id, "x"],
    ])
    expect(rejected.map((r) => [r.index, r.line])).to.deep.equal([
      [1, 3],
      [2, 4],
    ])
  })

  it("reads a compact one-line legacy file and a JSON array export", async () => {
    const compact = join(dir, "compact.json")
    writeFileSync(compact, JSON.stringify({ version: 1, records: [record(1)] }))
    expect((await readAllUsageRecords(compact)).stats.format).to.equal("legacy")
    const array = join(dir, "array.json")
    writeFileSync(array, JSON.stringify([record(1), record(2)], null, 2))
    const read = await readAllUsageRecords(array, { node: "n" })
    expect(read.stats.format).to.equal("json-array")
    expect(read.records.length).to.equal(2)
  })

  it("reads NDJSON from stdin in batches", async () => {
    const stdin = new PassThrough()
    const batches: number[] = []
    const done = (async () => {
      for await (const batch of readUsageRecords("-", { stdin, node: "n", batchSize: 2 })) batches.push(batch.length)
    })()
    for (let i = 0; i < 5; i++) stdin.write(`${JSON.stringify(record(i))}\n`)
    stdin.end()
    await done
    expect(batches).to.deep.equal([2, 2, 1])
  })

  it("reads a 100,000-record legacy file", async () => {
    const path = join(dir, "big.json")
    const records = Array.from({ length: 100_000 }, (_, i) => record(i))
    writeFileSync(path, JSON.stringify({ version: 1, lastUpdated: new Date().toISOString(), records }, null, 2))
    let n = 0
    for await (const batch of readUsageRecords(path, { node: "n", batchSize: 5000 })) n += batch.length
    expect(n).to.equal(100_000)
  })
})
