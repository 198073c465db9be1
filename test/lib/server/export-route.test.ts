import { spawn } from "node:child_process"
import { mkdtempSync, renameSync, rmSync } from "node:fs"
import { request } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { expect } from "chai"
import { exportChunks } from "../../../src/lib/export-format.js"
import type { StoredRecord } from "../../../src/lib/record.js"
import { parseExportQuery } from "../../../src/lib/server/query-params.js"
import { openStoreAt } from "../../../src/lib/store/open.js"
import { activeExportWorkers } from "../../../src/lib/store/sqlite/worker-export.js"
import type { UsageStore } from "../../../src/lib/store/store.js"
import { startTestService, type TestService, wireRecord } from "./helpers.js"

/** `n` stored records spread over a day, three nodes and two providers, with ~250 bytes of NDJSON each. */
function storedRecords(n: number, prefix: string): StoredRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}_${i}`,
    timestamp: new Date(Date.UTC(2026, 10, 19) + ((i * 7919) % 86_400_000)),
    provider: i % 2 ? "openai" : "anthropic",
    model: "claude-sonnet-4-5",
    inputTokens: 1000 + i,
    outputTokens: 100 + (i % 37),
    estimatedCost: 0.0001 * ((i % 13) + 1),
    taskType: "primary",
    sessionID: `ses_${i % 100}`,
    node: `node-${i % 3}`,
    cacheReadTokens: i % 5 === 0 ? 10 : undefined,
  }))
}

async function fill(store: UsageStore, records: StoredRecord[]): Promise<void> {
  for (let i = 0; i < records.length; i += 10_000) await store.insert(records.slice(i, i + 10_000))
}

/** The export's bytes as the store's own iterator and the shared writer make them (the path of other stores). */
async function storePathBytes(store: UsageStore, query: Record<string, string>): Promise<string> {
  const { format, filter } = parseExportQuery(query, { tz: "UTC" })
  let out = ""
  for await (const piece of exportChunks(store.iterate(filter, 1000), format)) out += piece
  return out
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!condition() && Date.now() < end) await new Promise((r) => setTimeout(r, 10))
  return condition()
}

describe("GET /api/usage/export on a SQLite file (export in a worker thread)", () => {
  let dir: string
  let store: UsageStore
  let svc: TestService

  before(async function () {
    this.timeout(60_000)
    dir = mkdtempSync(join(tmpdir(), "usage-hub-export-route-"))
    store = await openStoreAt(join(dir, "usage.db"), { create: true })
    await fill(store, storedRecords(12_000, "usage_bulk"))
    svc = await startTestService({ store })
    await svc.post([
      wireRecord({ id: '=HYPERLINK("http://x")', model: "+1", node: "-2", taskType: "@SUM(A1)", sessionID: "\tx" }),
      wireRecord({ id: 'plain, "quoted"', model: "\r\nm", node: "ok", provider: "zzz", agent: "a,b", project: "p" }),
    ])
  })
  after(async () => {
    await svc.stop()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it("gives the same bytes as the store's own path, for json, ndjson and csv, with and without filters", async () => {
    const queries: Record<string, string>[] = [
      {},
      { format: "ndjson" },
      { format: "csv" },
      { format: "json", provider: "openai", since: "2026-11-19T03:00:00Z", until: "2026-11-19T20:00:00Z" },
      { format: "ndjson", node: "node-1", until: "2026-11-19T12:00:00Z" },
      { format: "csv", provider: "anthropic", since: "2026-11-19T06:00:00Z" },
      { format: "csv", provider: "zzz" },
      { format: "csv", node: "-2" },
      { format: "json", provider: "nobody" },
      { format: "csv", provider: "nobody" },
    ]
    for (const query of queries) {
      const label = JSON.stringify(query)
      const res = await svc.get(`/api/usage/export?${new URLSearchParams(query)}`)
      expect(res.status, label).to.equal(200)
      expect(res.text, label).to.equal(await storePathBytes(store, query))
    }
    const all = await svc.get("/api/usage/export?format=ndjson")
    expect(all.text.split("\n")).to.have.length(12_002 + 1)
    expect(await until(() => activeExportWorkers() === 0, 5000), "every worker ended").to.equal(true)
  })

  it("stops the worker when the client goes away mid-export, and ingestion and /healthz go on meanwhile", async function () {
    this.timeout(30_000)
    // A reader that takes the first bytes and then stops reading holds the export open (~3 MB, more than the
    // socket buffers hold): the worker waits for credit.
    const { socket, firstBytes } = await new Promise<{ socket: import("node:net").Socket; firstBytes: number }>(
      (resolve, reject) => {
        const req = request(`${svc.url}/api/usage/export?format=ndjson`, (res) => {
          res.once("data", (chunk: Buffer) => {
            res.pause()
            resolve({ socket: req.socket!, firstBytes: chunk.length })
          })
        })
        req.on("error", reject)
        req.end()
      },
    )
    expect(firstBytes).to.be.above(0)
    expect(activeExportWorkers()).to.equal(1)
    const posted = await svc.post([wireRecord({ node: "during-export" })])
    expect(posted.status).to.equal(200)
    expect(posted.json.accepted).to.equal(1)
    expect((await svc.get("/healthz")).status).to.equal(200)
    socket.destroy()
    expect(await until(() => activeExportWorkers() === 0, 10_000), "the worker ended").to.equal(true)
  })

  it("keeps the main thread free while a large export streams to a fast reader in another process", async function () {
    this.timeout(120_000)
    await fill(store, storedRecords(150_000, "usage_large"))
    const reader = spawn(
      process.execPath,
      [
        "-e",
        "fetch(process.argv[1]).then(async (res) => { let n = 0; for await (const b of res.body) n += b.length; console.log(n) })",
        `${svc.url}/api/usage/export?format=ndjson`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    )
    let out = ""
    reader.stdout.on("data", (d) => (out += d))
    let exporting = true
    const exited = new Promise((resolve) => reader.on("exit", resolve)).finally(() => (exporting = false))
    // Until the reader has it all: how busy the service's event loop is, and a light probe of ingestion and
    // /healthz every 200 ms (each must be answered).
    const start = performance.eventLoopUtilization()
    let probes = 0
    while (exporting) {
      expect((await svc.post([wireRecord({ node: "probe" })])).status).to.equal(200)
      expect((await svc.get("/healthz")).status).to.equal(200)
      probes += 1
      await new Promise((r) => setTimeout(r, 200))
    }
    const busy = performance.eventLoopUtilization(start)
    await exited
    expect(Number(out), "bytes exported").to.be.above(150_000 * 200)
    expect(probes).to.be.above(0)
    // Querying and formatting the export on the event loop keeps it busy nearly all the time (0.9 and more);
    // with the worker, the loop only moves Buffers and answers the probes.
    expect(busy.utilization, `event loop utilization during the export (${probes} probes)`).to.be.below(0.5)
  })

  it("answers the usual JSON error when the worker cannot open the database", async () => {
    const file = join(dir, "usage.db")
    renameSync(file, join(dir, "moved.db"))
    try {
      for (const format of ["json", "ndjson", "csv"]) {
        const res = await svc.get(`/api/usage/export?format=${format}`)
        expect(res.status, `${format}: ${res.text.slice(0, 200)}`).to.equal(500)
        expect(res.headers.get("content-disposition"), format).to.equal(null)
        expect(res.json.error.code, format).to.equal("STORE_ERROR")
        expect(res.text, format).not.to.include(dir)
      }
    } finally {
      renameSync(join(dir, "moved.db"), file)
    }
    expect(await until(() => activeExportWorkers() === 0, 5000)).to.equal(true)
  })
})
