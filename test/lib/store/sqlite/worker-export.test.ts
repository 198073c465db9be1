import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect } from "chai"
import { UsageHubError } from "../../../../src/lib/errors.js"
import { exportChunks } from "../../../../src/lib/export-format.js"
import type { StoredRecord } from "../../../../src/lib/record.js"
import { openStoreAt } from "../../../../src/lib/store/open.js"
import { activeExportWorkers, exportInWorker } from "../../../../src/lib/store/sqlite/worker-export.js"
import type { UsageStore } from "../../../../src/lib/store/store.js"

const RECORDS: StoredRecord[] = Array.from({ length: 3000 }, (_, i) => ({
  id: `usage_${i}`,
  timestamp: new Date(Date.UTC(2026, 10, 20) + i * 1000),
  provider: "anthropic",
  model: "claude-sonnet-4-5",
  inputTokens: i,
  outputTokens: 1,
  estimatedCost: 0.001,
  taskType: "primary",
  node: `node-${i % 2}`,
}))

/** The nice values of this process's threads (Linux: field 19 of /proc/self/task/<tid>/stat). */
function threadNiceValues(): number[] {
  return readdirSync("/proc/self/task").map((tid) => {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8")
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16])
  })
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
  return condition()
}

describe("exportInWorker (a SQLite export in a worker thread)", () => {
  let dir: string
  let file: string
  let store: UsageStore

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "usage-hub-worker-export-"))
    file = join(dir, "usage.db")
    store = await openStoreAt(file, { create: true })
    await store.insert(RECORDS)
  })
  after(async () => {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it("streams the bytes the store's iterator and the export writer make, page after page", async () => {
    const stream = await exportInWorker(file, { node: "node-1" }, "csv", { pageRows: 100, chunkBytes: 4096 })
    const got: Buffer[] = []
    for await (const piece of stream) got.push(piece as Buffer)
    let expected = ""
    for await (const piece of exportChunks(store.iterate({ node: "node-1" }), "csv")) expected += piece
    expect(got.length).to.be.above(10)
    expect(Buffer.concat(got).toString()).to.equal(expected)
    expect(await until(() => activeExportWorkers() === 0, 5000)).to.equal(true)
  })

  it("runs no further ahead of an unread stream than its credits, and ends the worker when destroyed", async () => {
    const stream = await exportInWorker(file, {}, "ndjson", { pageRows: 50, chunkBytes: 2048, credits: 2 })
    // Real time on purpose: only a wait shows that nothing more is produced while nobody reads.
    await new Promise((r) => setTimeout(r, 300))
    // The initial credits, plus the one the stream asked for when the first Buffer arrived (each ~2 KB + a page).
    expect(stream.readableLength).to.be.below(4 * (2048 + 50 * 300))
    expect(activeExportWorkers()).to.equal(1)
    stream.destroy()
    expect(await until(() => activeExportWorkers() === 0, 5000), "the worker ended").to.equal(true)
  })

  it("runs the export thread at a lower priority than the service's (Linux)", async function () {
    if (!existsSync("/proc/self/task")) this.skip()
    expect(threadNiceValues().filter((n) => n > 0)).to.deep.equal([])
    const stream = await exportInWorker(file, {}, "ndjson", { pageRows: 50, chunkBytes: 2048, nice: 7 })
    try {
      expect(threadNiceValues().filter((n) => n > 0)).to.deep.equal([7])
    } finally {
      stream.destroy()
    }
    expect(await until(() => activeExportWorkers() === 0, 5000)).to.equal(true)
  })

  it("rejects with STORE_ERROR naming the file when the database cannot be opened", async () => {
    const missing = join(dir, "missing.db")
    const error = await exportInWorker(missing, {}, "json").then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).to.be.instanceOf(UsageHubError)
    expect((error as UsageHubError).code).to.equal("STORE_ERROR")
    expect((error as Error).message).to.include(missing)
    expect(await until(() => activeExportWorkers() === 0, 5000)).to.equal(true)
  })
})
