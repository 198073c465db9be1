import { spawn } from "node:child_process"
import { expect } from "chai"
import { UsageHubError } from "../../../src/lib/errors.js"
import type { UsageRecord } from "../../../src/lib/record.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"
import type { RecordFilter } from "../../../src/lib/store/store.js"
import { startTestService, type TestService, wireRecord } from "./helpers.js"

/** A store that generates `chunks` chunks of 1000 records on demand and counts how many were pulled. */
class EndlessStore extends MemoryStore {
  pulled = 0
  closed = false
  constructor(private readonly chunks: number) {
    super()
  }
  override async *iterate(_filter: RecordFilter, chunkSize = 1000): AsyncIterable<UsageRecord[]> {
    try {
      for (let c = 0; c < this.chunks; c++) {
        this.pulled += 1
        yield Array.from({ length: chunkSize }, (_, i) => ({
          id: `usage_${c}_${i}`,
          timestamp: new Date(1_700_000_000_000 + c * chunkSize + i),
          provider: "anthropic",
          model: "claude-sonnet-4-5",
          inputTokens: 1,
          outputTokens: 2,
          estimatedCost: 0.001,
          taskType: "primary",
          node: "n".repeat(200),
        }))
      }
    } finally {
      this.closed = true
    }
  }
}

/** A store whose export fails on the first pull, before any record. */
class FailingExportStore extends MemoryStore {
  pulls = 0
  // biome-ignore lint/correctness/useYield: it fails on the first pull, before yielding anything, on purpose
  override async *iterate(): AsyncIterable<UsageRecord[]> {
    this.pulls += 1
    throw new UsageHubError("STORE_ERROR", "SQLITE_IOERR: disk I/O error reading /var/lib/usage-hub/usage.db")
  }
}

describe("GET /api/usage/export", () => {
  describe("over SQLite", () => {
    let svc: TestService
    const records = Array.from({ length: 2500 }, (_, i) =>
      wireRecord({ node: `node-${i % 3}`, provider: i % 2 ? "openai" : "anthropic" }),
    )

    before(async () => {
      svc = await startTestService()
      await svc.post(records)
      await svc.post([
        wireRecord({ id: '=HYPERLINK("http://x")', model: "+1", node: "-2", taskType: "@SUM(A1)", sessionID: "\tx" }),
        wireRecord({ id: 'plain, "quoted"', model: "\r\nm", node: "ok", provider: "zzz" }),
      ])
    })
    after(async () => {
      await svc.stop()
    })

    it("streams every record as JSON, NDJSON and CSV", async () => {
      const json = await svc.get("/api/usage/export")
      expect(json.status).to.equal(200)
      expect(json.headers.get("content-type")).to.match(/^application\/json/)
      expect(json.json).to.have.length(2502)
      const nd = await svc.get("/api/usage/export?format=ndjson")
      expect(nd.headers.get("content-type")).to.match(/^application\/x-ndjson/)
      const lines = nd.text.trim().split("\n")
      expect(lines).to.have.length(2502)
      expect(JSON.parse(lines[0])).to.have.keys(Object.keys(json.json[0]))
      const csv = await svc.get("/api/usage/export?format=csv&provider=openai")
      expect(csv.headers.get("content-type")).to.match(/^text\/csv/)
      const rows = csv.text.trim().split("\n")
      expect(rows[0]).to.equal(
        "id,timestamp,provider,model,inputTokens,outputTokens,estimatedCost,taskType,sessionID,node,cacheReadTokens,cacheWriteTokens,reasoningTokens,agent,project",
      )
      expect(rows).to.have.length(1 + 1250)
    })

    it("filters by provider, node, since and until", async () => {
      const res = await svc.get(
        "/api/usage/export?format=ndjson&provider=anthropic&node=node-1&since=2026-11-20T11:30:00Z&until=2026-11-20T11:50:00Z",
      )
      const got = res.text
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
      const expected = records.filter((r, i) => {
        const t = Date.parse(r.timestamp as string)
        return (
          i % 2 === 0 &&
          i % 3 === 1 &&
          t >= Date.parse("2026-11-20T11:30:00Z") &&
          t < Date.parse("2026-11-20T11:50:00Z")
        )
      })
      expect(got.length).to.equal(expected.length).and.to.be.above(0)
    })

    it("defuses CSV cells that a spreadsheet would run as formulas, with RFC 4180 quoting", async () => {
      const res = await svc.get("/api/usage/export?format=csv&provider=anthropic&node=-2")
      const [, row] = res.text.split("\n")
      expect(row).to.match(/^"'=HYPERLINK\(""http:\/\/x""\)",/)
      expect(row).to.include(",'+1,")
      expect(row).to.include(",'@SUM(A1),'\tx,'-2,")
      const quoted = await svc.get("/api/usage/export?format=csv&provider=zzz")
      expect(quoted.text).to.match(/\n"plain, ""quoted""",[^,]+,zzz,"'\r\nm",/)
    })
  })

  it("answers a JSON error, not a 200 with a cut-off body, when the store fails at once (every format)", async () => {
    const store = new FailingExportStore()
    const svc = await startTestService({ store })
    try {
      for (const format of ["json", "ndjson", "csv"]) {
        const res = await svc.get(`/api/usage/export?format=${format}`)
        expect(res.status, `${format}: ${res.text}`).to.equal(500)
        expect(res.headers.get("content-type"), format).to.match(/^application\/json/)
        expect(res.headers.get("content-disposition"), format).to.equal(null)
        expect(res.json.error.code, format).to.equal("STORE_ERROR")
      }
      expect(store.pulls).to.equal(3)
    } finally {
      await svc.stop()
    }
  })

  it("exports an empty store as [] and a CSV header alone", async () => {
    const svc = await startTestService({ store: new MemoryStore() })
    try {
      const json = await svc.get("/api/usage/export")
      expect(json.status).to.equal(200)
      expect(json.json).to.deep.equal([])
      const csv = await svc.get("/api/usage/export?format=csv")
      expect(csv.text.trim().split("\n")).to.have.length(1)
      expect((await svc.get("/api/usage/export?format=ndjson")).text).to.equal("")
    } finally {
      await svc.stop()
    }
  })

  it("streams with bounded memory: pulls chunks as the client reads, and stops when it goes away", async () => {
    const store = new EndlessStore(500)
    const svc = await startTestService({ store })
    try {
      const controller = new AbortController()
      const res = await fetch(`${svc.url}/api/usage/export?format=ndjson`, { signal: controller.signal })
      const reader = res.body!.getReader()
      let received = 0
      while (received < 1024 * 1024) received += (await reader.read()).value!.length
      // Real time on purpose: the test shows nothing more is produced while the client does not read, which
      // only a wait can show (the producer would run ahead within this time if it ignored backpressure).
      await new Promise((r) => setTimeout(r, 100))
      // 500 chunks are ~150 MB of NDJSON; only what the socket buffers can hold was produced.
      expect(store.pulled).to.be.below(60)
      controller.abort()
      for (let i = 0; i < 100 && !store.closed; i++) await new Promise((r) => setTimeout(r, 10))
      expect(store.closed).to.equal(true)
      expect(store.pulled).to.be.below(60)
      expect((await svc.get("/healthz")).status).to.equal(200)
    } finally {
      await svc.stop()
    }
  })

  it("keeps answering /healthz while a long export streams to a fast reader in another process", async function () {
    this.timeout(60_000)
    // 300 chunks of 1000 records (~90 MB of NDJSON), made synchronously like SQLite's pages.
    const store = new EndlessStore(300)
    const svc = await startTestService({ store })
    try {
      // The reader drains the export as fast as it can: the socket never pushes back, so only the route's own
      // yielding lets the event loop serve anyone else.
      const reader = spawn(
        process.execPath,
        [
          "-e",
          `fetch(process.argv[1]).then(async (res) => { let n = 0; for await (const b of res.body) n += b.length; console.log(n) })`,
          `${svc.url}/api/usage/export?format=ndjson`,
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      )
      let out = ""
      reader.stdout.on("data", (d) => (out += d))
      const done = new Promise((resolve) => reader.on("exit", resolve))
      while (store.pulled < 20) await new Promise((r) => setTimeout(r, 5))
      const latencies: number[] = []
      while (store.pulled < 280 && latencies.length < 5) {
        const t0 = Date.now()
        expect((await svc.get("/healthz")).status).to.equal(200)
        latencies.push(Date.now() - t0)
      }
      await done
      expect(Number(out), "bytes exported").to.be.above(50_000_000)
      expect(latencies.length, "/healthz answers during the export").to.be.at.least(2)
      expect(Math.max(...latencies), `latencies ${latencies.join(", ")} ms`).to.be.below(1000)
    } finally {
      await svc.stop()
    }
  })
})
