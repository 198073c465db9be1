import { gzipSync } from "node:zlib"
import { expect } from "chai"
import { UsageHubError } from "../../../src/lib/errors.js"
import type { StoredRecord } from "../../../src/lib/record.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"
import type { InsertResult } from "../../../src/lib/store/store.js"
import { NOW, startTestService, sumNanos, type TestService, wireRecord } from "./helpers.js"

describe("POST /ingest/usage on an in-memory SQLite store", () => {
  let svc: TestService

  beforeEach(async () => {
    svc = await startTestService()
  })
  afterEach(async () => {
    await svc.stop()
  })

  it("serves a SQLite store", async () => {
    const health = await svc.get("/healthz")
    expect(health.status).to.equal(200)
    expect(health.json.store).to.include({ kind: "sqlite", status: "ok", records: 0 })
  })

  it("aggregates records of several nodes exactly in the summary and the trends", async () => {
    const nodes = ["build-01", "build-02", "laptop-ü", "ci-runner"]
    const sent: Array<Record<string, unknown>> = []
    for (const [n, node] of nodes.entries()) {
      const batch = Array.from({ length: 40 + n * 7 }, (_, i) =>
        wireRecord({
          provider: i % 3 === 0 ? "openai" : "anthropic",
          model: i % 3 === 0 ? "gpt-5.2" : "claude-sonnet-4-5",
          estimatedCost: Number((0.000123 * (i + 1) + 0.1 * n).toFixed(9)),
          timestamp: new Date(NOW.getTime() - (i % 5) * 86_400_000 - 3_600_000).toISOString(),
        }),
      )
      const res = await svc.post({ node, records: batch })
      expect(res.status).to.equal(200)
      expect(res.json).to.deep.equal({ accepted: batch.length, duplicates: 0, rejected: [] })
      sent.push(...batch.map((r) => ({ ...r, node })))
    }

    const since = "2026-11-01"
    const summary = await svc.get(`/api/usage/summary?since=${since}&tz=UTC&by=node`)
    expect(summary.status).to.equal(200)
    for (const provider of ["anthropic", "openai"]) {
      const mine = sent.filter((r) => r.provider === provider)
      const s = summary.json.summaries[provider]
      expect(s.callCount).to.equal(mine.length)
      expect(Math.round(s.totalCost * 1e9)).to.equal(sumNanos(mine))
      expect(s.totalInputTokens).to.equal(mine.reduce((a, r) => a + (r.inputTokens as number), 0))
      expect(s.totalOutputTokens).to.equal(mine.reduce((a, r) => a + (r.outputTokens as number), 0))
      expect(s.nodes).to.equal(nodes.length)
    }
    expect(Math.round(summary.json.totalCost * 1e9)).to.equal(sumNanos(sent))
    expect(summary.json.nodes).to.deep.equal([...nodes].sort())
    const byNode = Object.fromEntries(summary.json.breakdown.groups.map((g: any) => [g.key, g]))
    for (const node of nodes) {
      const mine = sent.filter((r) => r.node === node)
      expect(byNode[node].callCount).to.equal(mine.length)
      expect(Math.round(byNode[node].totalCost * 1e9)).to.equal(sumNanos(mine))
    }

    const trends = await svc.get("/api/usage/provider/anthropic/trends?range=7d&tz=UTC")
    expect(trends.status).to.equal(200)
    expect(trends.json.rangeDays).to.equal(7)
    expect(trends.json.dataPoints.map((p: any) => p.date)).to.deep.equal([
      "2026-11-14",
      "2026-11-15",
      "2026-11-16",
      "2026-11-17",
      "2026-11-18",
      "2026-11-19",
      "2026-11-20",
    ])
    for (const point of trends.json.dataPoints) {
      const mine = sent.filter((r) => r.provider === "anthropic" && (r.timestamp as string).startsWith(point.date))
      expect(point.calls, point.date).to.equal(mine.length)
      expect(Math.round(point.cost * 1e9), point.date).to.equal(sumNanos(mine))
    }
    const anthropic = sent.filter((r) => r.provider === "anthropic")
    expect(Math.round(trends.json.totalCost * 1e9)).to.equal(sumNanos(anthropic))
  })

  it("gets exact totals from five concurrent senders", async () => {
    const senders = 5
    const batches = 8
    const perBatch = 60
    const sent: Array<Record<string, unknown>> = []
    await Promise.all(
      Array.from({ length: senders }, async (_, s) => {
        for (let b = 0; b < batches; b++) {
          const batch = Array.from({ length: perBatch }, () => wireRecord({ node: `sender-${s}` }))
          // Every other batch is sent twice: a retry must count once.
          const copies = b % 2 === 0 ? 2 : 1
          for (let c = 0; c < copies; c++) {
            const res = await svc.post(batch)
            expect(res.status).to.equal(200)
            expect(res.json.accepted + res.json.duplicates).to.equal(perBatch)
          }
          sent.push(...batch.map((r) => ({ ...r })))
        }
      }),
    )
    const summary = await svc.get("/api/usage/summary?since=2026-01-01")
    const s = summary.json.summaries.anthropic
    expect(s.callCount).to.equal(senders * batches * perBatch)
    expect(Math.round(summary.json.totalCost * 1e9)).to.equal(sumNanos(sent))
    expect(summary.json.nodes).to.have.length(senders)
    const health = await svc.get("/healthz")
    expect(health.json.store.records).to.equal(senders * batches * perBatch)
  })

  it("keeps the valid records of a mixed batch and reports each rejected one by index", async () => {
    const good = [wireRecord(), wireRecord()]
    const res = await svc.post([good[0], { ...wireRecord(), inputTokens: -1 }, good[1], "not a record"])
    expect(res.status).to.equal(200)
    expect(res.json.accepted).to.equal(2)
    expect(res.json.rejected.map((r: any) => r.index)).to.deep.equal([1, 3])
    expect(res.json.rejected[0].error).to.match(/inputTokens/)
    expect(res.json.rejected[1].error).to.match(/object/)
  })

  it("rejects by index a record whose cost is absurd (2e10 USD) and keeps the five good ones", async () => {
    const good = Array.from({ length: 5 }, () => wireRecord())
    const batch = [good[0], good[1], wireRecord({ estimatedCost: 2e10 }), good[2], good[3], good[4]]
    const res = await svc.post(batch)
    expect(res.status, JSON.stringify(res.json)).to.equal(200)
    expect(res.json.accepted).to.equal(5)
    expect(res.json.rejected.map((r: any) => r.index)).to.deep.equal([2])
    expect(res.json.rejected[0].error).to.match(/estimatedCost/)
    const summary = await svc.get("/api/usage/summary?since=2026-01-01")
    expect(Math.round(summary.json.totalCost * 1e9)).to.equal(sumNanos(good))
  })

  it("counts a redelivered record once and two events sharing a legacy id twice", async () => {
    const a = wireRecord({ id: "usage_3f9a1c2e", node: "n1" })
    const b = { ...a, timestamp: new Date(NOW.getTime() - 5000).toISOString() }
    expect((await svc.post([a, b])).json).to.deep.include({ accepted: 2, duplicates: 0 })
    const sameInstant = { ...a, timestamp: new Date(a.timestamp as string).getTime() }
    expect((await svc.post([a, sameInstant])).json).to.deep.include({ accepted: 0, duplicates: 2 })
  })

  it("takes the node from the record, else the body, else X-Usage-Node, else unknown", async () => {
    await svc.post(
      { node: "body-node", records: [wireRecord({ node: "own" }), wireRecord()] },
      { "x-usage-node": "hdr" },
    )
    await svc.post([wireRecord()], { "x-usage-node": "hdr" })
    await svc.post([wireRecord()])
    const summary = await svc.get("/api/usage/summary?since=2026-01-01&by=node")
    const counts = Object.fromEntries(summary.json.breakdown.groups.map((g: any) => [g.key, g.callCount]))
    expect(counts).to.deep.equal({ own: 1, "body-node": 1, hdr: 1, unknown: 1 })
  })

  it("reads X-Usage-Node as UTF-8 (bücher stays bücher, not bÃ¼cher)", async () => {
    // fetch sends each character of a header value as one byte: this sends the UTF-8 bytes of the name.
    for (const node of ["bücher", "節点-🚀"]) {
      const res = await svc.post([wireRecord()], { "x-usage-node": Buffer.from(node, "utf8").toString("latin1") })
      expect(res.status, JSON.stringify(res.json)).to.equal(200)
    }
    const summary = await svc.get("/api/usage/summary?since=2026-01-01&by=node")
    expect(summary.json.breakdown.groups.map((g: any) => g.key).sort()).to.deep.equal(["bücher", "節点-🚀"])
  })

  it("accepts a single record, NDJSON with per-line indexes, and gzip", async () => {
    expect((await svc.post(wireRecord())).json.accepted).to.equal(1)
    const ndjson = `${JSON.stringify(wireRecord())}\n\n{not json\n${JSON.stringify({ ...wireRecord(), provider: "" })}\n${JSON.stringify(wireRecord())}\n`
    const nd = await svc.post(ndjson, { "content-type": "application/x-ndjson" })
    expect(nd.status).to.equal(200)
    expect(nd.json.accepted).to.equal(2)
    expect(nd.json.rejected.map((r: any) => r.index)).to.deep.equal([1, 2])
    const gz = await fetch(`${svc.url}/ingest/usage`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: gzipSync(JSON.stringify([wireRecord(), wireRecord(), wireRecord()])),
    })
    expect(gz.status).to.equal(200)
    expect(((await gz.json()) as { accepted: number }).accepted).to.equal(3)
    const health = await svc.get("/healthz")
    expect(health.json.store.records).to.equal(6)
  })

  it("answers the summary with ISO dates and accepts by, provider and node filters", async () => {
    await svc.post([wireRecord({ node: "a", provider: "openai" }), wireRecord({ node: "b" })])
    const res = await svc.get("/api/usage/summary?provider=openai&by=model")
    expect(res.status).to.equal(200)
    expect(Object.keys(res.json.summaries)).to.deep.equal(["openai"])
    expect(res.json.summaries.openai.periodStart).to.equal("2026-11-01T00:00:00.000Z")
    expect(res.json.generatedAt).to.equal(NOW.toISOString())
    expect(res.json.breakdown.by).to.equal("model")
    const nodeB = await svc.get("/api/usage/summary?node=b")
    expect(nodeB.json.nodes).to.deep.equal(["b"])
  })
})

/** A store whose first commit waits until released, and which fails any transaction holding a poisoned record. */
class PoisonStore extends MemoryStore {
  transactions: number[] = []
  private gate: Promise<void> | undefined
  private open: () => void = () => {}
  constructor() {
    super()
    this.gate = new Promise((resolve) => {
      this.open = resolve
    })
  }
  override async insertBatches(batches: readonly (readonly StoredRecord[])[]): Promise<InsertResult[]> {
    this.transactions.push(batches.length)
    const gate = this.gate
    this.gate = undefined
    if (gate) await gate
    if (batches.some((b) => b.some((r) => r.model === "poison"))) {
      throw new UsageHubError("STORE_ERROR", "constraint failed in /var/lib/usage-hub/usage.db")
    }
    return super.insertBatches(batches)
  }
  async waitForFirstCommit(): Promise<void> {
    while (this.transactions.length === 0) await new Promise((r) => setImmediate(r))
  }
  release(): void {
    this.open()
  }
}

describe("POST /ingest/usage when one batch of a shared commit fails", () => {
  it("answers that request a JSON error and commits the other requests' records", async () => {
    const store = new PoisonStore()
    const svc = await startTestService({ store })
    try {
      // The first request holds the store; the next four queue up and share the following transaction.
      const first = svc.post([wireRecord()])
      await store.waitForFirstCommit()
      const batches = [0, 1, 2, 3].map((i) =>
        Array.from({ length: 3 }, () => wireRecord(i === 2 ? { model: "poison" } : { node: `n${i}` })),
      )
      const answers = batches.map((batch) => svc.post(batch))
      while (svc.app.usageHubWaiting() < 4) await new Promise((r) => setImmediate(r))
      store.release()
      expect((await first).status).to.equal(200)
      const results = await Promise.all(answers)
      expect(store.transactions[1], "the four batches shared a transaction").to.equal(4)
      results.forEach((res, i) => {
        if (i === 2) {
          expect(res.status).to.equal(500)
          expect(res.json.error.code).to.equal("STORE_ERROR")
          expect(JSON.stringify(res.json)).not.to.include("/var/lib")
        } else {
          expect(res.status, `request ${i}: ${JSON.stringify(res.json)}`).to.equal(200)
          expect(res.json).to.deep.equal({ accepted: 3, duplicates: 0, rejected: [] })
        }
      })
      expect(store.all()).to.have.length(1 + 9)
      expect(store.all().some((r) => r.model === "poison")).to.equal(false)
    } finally {
      await svc.stop()
    }
  })
})
