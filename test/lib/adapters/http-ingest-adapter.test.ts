import { readFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import nock from "nock"
import type { HttpIngestAdapter } from "../../../src/lib/adapters/http-ingest-adapter.js"
import { UsageHubError } from "../../../src/lib/errors.js"
import { startServer } from "../../../src/lib/server/start.js"
import { openStoreAt } from "../../../src/lib/store/open.js"
import { removeDir, tempDir } from "../../helpers/tmp.js"
import {
  deadLetters,
  type MemoryLogger,
  makeRecord,
  makeRecords,
  memoryLogger,
  testAdapter,
} from "./http-test-helpers.js"
import { describeStorageAdapterContract } from "./storage-adapter-contract.js"

const BASE = "http://central.test:3001"

// The service on loopback over a temp SQLite file; its clock (the default) reads the contract's USAGE_NOW.
describeStorageAdapterContract("HttpIngestAdapter against the real service", async () => {
  const dir = tempDir("usage-contract-http-")
  const store = await openStoreAt(join(dir, "central.db"), { create: true })
  const server = await startServer({ store, host: "127.0.0.1", port: 0, tz: "UTC" })
  const adapter = testAdapter(join(dir, "spool"), { endpoint: server.url, tz: "UTC", flushIntervalMs: 60_000 })
  return {
    adapter,
    settle: async () => {
      await adapter.flush({ timeoutMs: 5000 })
      expect(adapter.stats(), "every record delivered").to.include({ pending: 0, deadLettered: 0 })
    },
    cleanup: async () => {
      await adapter.close()
      await server.close()
      await store.close()
      removeDir(dir)
    },
  }
})

type Body = { node: string; records: Array<{ id: string; node?: string }> }

/** A reply function that remembers the ids it was sent and answers like the service. */
function collector(received: string[][]) {
  return (_uri: string, body: unknown): [number, unknown] => {
    const ids = (body as Body).records.map((r) => r.id)
    received.push(ids)
    return [200, { accepted: ids.length, duplicates: 0, rejected: [] }]
  }
}

describe("HttpIngestAdapter delivery (nock)", () => {
  let dir: string
  let adapter: HttpIngestAdapter | undefined
  let logger: MemoryLogger

  before(() => nock.disableNetConnect())
  after(() => nock.enableNetConnect())
  beforeEach(() => {
    dir = tempDir()
    logger = memoryLogger()
  })
  afterEach(async () => {
    await adapter?.close()
    adapter = undefined
    nock.cleanAll()
    removeDir(dir)
  })

  it("sends gzip batches with the token and its node id, and acknowledges them in the spool", async () => {
    const received: Body[] = []
    const scope = nock(BASE, { reqheaders: { authorization: "Bearer s3cret", "content-encoding": "gzip" } })
      .post("/ingest/usage")
      .times(3)
      .reply(200, (_uri, body) => {
        received.push(body as Body)
        return { accepted: (body as Body).records.length, duplicates: 0, rejected: [] }
      })
    adapter = testAdapter(dir, { endpoint: BASE, token: "s3cret", batchSize: 2, logger })
    const records = makeRecords(5)
    await Promise.all(records.map((r) => adapter!.saveRecord(r)))
    await adapter.flush({ timeoutMs: 5000 })
    scope.done()
    expect(received.map((b) => b.records.length)).to.deep.equal([2, 2, 1])
    expect(received.flatMap((b) => b.records.map((r) => r.id))).to.deep.equal(records.map((r) => r.id))
    expect(received.every((b) => b.node === "test-node" && b.records.every((r) => r.node === "test-node"))).to.equal(
      true,
    )
    const stats = adapter.stats()
    expect(stats).to.include({ spooled: 5, acknowledged: 5, accepted: 5, pending: 0, pendingBytes: 0, deadLettered: 0 })
    expect(readFileSync(adapter.spoolPath!, "utf8")).to.equal("")
  })

  it("keeps a record's own node and stamps its node id on the others", async () => {
    const nodes: Array<string | undefined> = []
    const scope = nock(BASE)
      .post("/ingest/usage")
      .reply(200, (_uri, body) => {
        for (const r of (body as Body).records) nodes.push(r.node)
        return { accepted: 2, duplicates: 0, rejected: [] }
      })
    adapter = testAdapter(dir, { endpoint: BASE, logger })
    await adapter.saveRecord(makeRecord({ node: "elsewhere" }))
    await adapter.saveRecord(makeRecord())
    await adapter.flush({ timeoutMs: 5000 })
    scope.done()
    expect(nodes).to.deep.equal(["elsewhere", "test-node"])
  })

  it("delivers records of a node id beyond Latin-1 (the node travels in the body, not in a header)", async () => {
    const received: Body[] = []
    const scope = nock(BASE)
      .post("/ingest/usage")
      .reply(200, (_uri, body) => {
        received.push(body as Body)
        return { accepted: (body as Body).records.length, duplicates: 0, rejected: [] }
      })
    adapter = testAdapter(dir, { endpoint: BASE, logger, nodeId: "节点-07" })
    const record = makeRecord()
    await adapter.saveRecord(record)
    await adapter.flush({ timeoutMs: 2000 })
    scope.done()
    expect(received.map((b) => [b.node, b.records.map((r) => [r.id, r.node])])).to.deep.equal([
      ["节点-07", [[record.id, "节点-07"]]],
    ])
    expect(adapter.stats()).to.include({ pending: 0, acknowledged: 1, failedAttempts: 0 })
  })

  it("refuses a node id the service would refuse (empty, blank or over 128 characters) when constructed", () => {
    for (const nodeId of ["", "   ", "n".repeat(129)]) {
      let error: unknown
      try {
        adapter = testAdapter(dir, { endpoint: BASE, logger, nodeId })
      } catch (e) {
        error = e
      }
      expect(error, JSON.stringify(nodeId)).to.be.instanceOf(UsageHubError)
      expect((error as UsageHubError).code).to.equal("INVALID_CONFIG")
      expect((error as UsageHubError).message).to.match(/node/)
    }
    adapter = testAdapter(dir, { endpoint: BASE, logger, nodeId: "n".repeat(128) })
    expect(adapter.nodeId).to.have.length(128)
  })

  it("holds records it cannot even build a request for, and says why", async () => {
    const calls: string[] = []
    const fetch: typeof globalThis.fetch = async (input) => {
      calls.push(String(input))
      return new Response(JSON.stringify({ accepted: 1, duplicates: 0, rejected: [] }), { status: 200 })
    }
    // A token with a character a header cannot carry: no request can be built with it.
    adapter = testAdapter(dir, { endpoint: BASE, logger, token: "tøken-✓", fetch })
    await adapter.saveRecord(makeRecord())
    await adapter.flush({ timeoutMs: 300 })
    expect(calls).to.deep.equal([])
    expect(adapter.stats()).to.include({ pending: 1, deadLettered: 0, held: true, authFailing: false })
    expect(logger.text()).to.match(/error .*cannot build a request .*token cannot be sent in an HTTP header/)
    expect(logger.text()).to.not.include("tøken")
    expect(readFileSync(adapter.spoolPath!, "utf8").trim().split("\n")).to.have.length(1)
  })

  it("retries a 503 no sooner than its Retry-After says", async () => {
    const times: number[] = []
    const received: string[][] = []
    const scope = nock(BASE)
      .post("/ingest/usage")
      .reply(() => {
        times.push(Date.now())
        return [503, { error: { code: "STORE_ERROR", message: "busy" } }, { "Retry-After": "1" }]
      })
      .post("/ingest/usage")
      .reply((uri, body) => {
        times.push(Date.now())
        return collector(received)(uri, body)
      })
    adapter = testAdapter(dir, { endpoint: BASE, logger })
    const record = makeRecord()
    await adapter.saveRecord(record)
    await adapter.flush({ timeoutMs: 5000 })
    scope.done()
    expect(received).to.deep.equal([[record.id]])
    expect(times[1] - times[0]).to.be.at.least(950)
    expect(adapter.stats()).to.include({ failedAttempts: 1, acknowledged: 1, pending: 0 })
  })

  it("retries a 429, a 408 and a 500", async () => {
    const received: string[][] = []
    const scope = nock(BASE)
      .post("/ingest/usage")
      .reply(429, "slow down")
      .post("/ingest/usage")
      .reply(408, "")
      .post("/ingest/usage")
      .reply(500, { error: { code: "INTERNAL", message: "oops" } })
      .post("/ingest/usage")
      .reply(collector(received))
    adapter = testAdapter(dir, { endpoint: BASE, logger, retryAttempts: 5 })
    const record = makeRecord()
    await adapter.saveRecord(record)
    await adapter.flush({ timeoutMs: 5000 })
    scope.done()
    expect(received).to.deep.equal([[record.id]])
    expect(adapter.stats()).to.include({ failedAttempts: 3, acknowledged: 1, deadLettered: 0 })
  })

  it("resends a batch whose answer timed out mid-body", async () => {
    const received: string[][] = []
    const scope = nock(BASE)
      .post("/ingest/usage")
      .delayBody(800)
      .reply(200, { accepted: 1, duplicates: 0, rejected: [] })
      .post("/ingest/usage")
      .reply(collector(received))
    adapter = testAdapter(dir, { endpoint: BASE, logger, timeoutMs: 150 })
    const record = makeRecord()
    await adapter.saveRecord(record)
    await adapter.flush({ timeoutMs: 5000 })
    scope.done()
    expect(received).to.deep.equal([[record.id]])
    expect(adapter.stats().failedAttempts).to.equal(1)
    expect(adapter.stats().sent).to.equal(2)
  })

  it("resends a batch after a connection reset", async () => {
    const received: string[][] = []
    const scope = nock(BASE)
      .post("/ingest/usage")
      .replyWithError({ code: "ECONNRESET", message: "socket hang up" })
      .post("/ingest/usage")
      .reply(collector(received))
    adapter = testAdapter(dir, { endpoint: BASE, logger })
    const record = makeRecord()
    await adapter.saveRecord(record)
    await adapter.flush({ timeoutMs: 5000 })
    scope.done()
    expect(received).to.deep.equal([[record.id]])
  })

  it("splits a batch answered 413 and resends the halves", async () => {
    const received: string[][] = []
    const scope = nock(BASE)
      .post("/ingest/usage")
      .reply(413, { error: { code: "PAYLOAD_TOO_LARGE", message: "too many records" } })
      .post("/ingest/usage")
      .times(2)
      .reply(collector(received))
    adapter = testAdapter(dir, { endpoint: BASE, logger, batchSize: 4 })
    const records = makeRecords(4)
    await Promise.all(records.map((r) => adapter!.saveRecord(r)))
    await adapter.flush({ timeoutMs: 5000 })
    scope.done()
    expect(received).to.deep.equal([records.slice(0, 2).map((r) => r.id), records.slice(2).map((r) => r.id)])
    expect(adapter.stats()).to.include({ acknowledged: 4, deadLettered: 0, pending: 0 })
  })

  it("sets a single record answered 413 aside in the dead-letter file", async () => {
    const scope = nock(BASE)
      .post("/ingest/usage")
      .reply(413, { error: { code: "PAYLOAD_TOO_LARGE", message: "body over 16 MiB" } })
    adapter = testAdapter(dir, { endpoint: BASE, logger })
    const record = makeRecord()
    await adapter.saveRecord(record)
    await adapter.flush({ timeoutMs: 5000 })
    scope.done()
    const dead = deadLetters(dir)
    expect(dead.map((d) => d.record.id)).to.deep.equal([record.id])
    expect(dead[0].reason).to.match(/too large.*16 MiB/)
    expect(adapter.stats()).to.include({ deadLettered: 1, pending: 0 })
  })

  it("holds records on 401, says the token is wrong, and delivers them once the service accepts it", async () => {
    const received: string[][] = []
    const scope = nock(BASE)
      .post("/ingest/usage")
      .reply(401, { error: { code: "UNAUTHORIZED", message: "bad token" } })
      .post("/ingest/usage")
      .reply(collector(received))
    adapter = testAdapter(dir, { endpoint: BASE, logger, token: "old" })
    const record = makeRecord()
    await adapter.saveRecord(record)
    // The flush ends at the refusal (no use waiting for the deadline), saying the records stay spooled.
    await adapter.flush({ timeoutMs: 5000 })
    expect(adapter.stats()).to.include({ pending: 1, authFailing: true, held: true })
    expect(logger.text()).to.match(/error .*refused the token \(401\).*token is wrong/)
    expect(logger.text()).to.match(/warn .*flush: delivery is held .*1 records stay spooled/)
    // The next attempt is due before this flush's deadline: the flush waits for it.
    await adapter.flush({ timeoutMs: 5000 })
    scope.done()
    expect(logger.text()).to.match(/accepts the token again/)
    expect(received).to.deep.equal([[record.id]])
    expect(adapter.stats()).to.include({ deadLettered: 0, acknowledged: 1, authFailing: false, held: false })
  })

  it("keeps records spooled while the token is refused", async () => {
    const scope = nock(BASE)
      .post("/ingest/usage")
      .reply(403, { error: { code: "FORBIDDEN", message: "no" } })
    adapter = testAdapter(dir, { endpoint: BASE, logger, retryBaseMs: 100, maxRetryDelayMs: 100 })
    await adapter.saveRecord(makeRecord())
    await adapter.flush({ timeoutMs: 150 })
    scope.done()
    expect(adapter.stats()).to.include({ pending: 1, deadLettered: 0, authFailing: true })
    expect(readFileSync(adapter.spoolPath!, "utf8").trim().split("\n")).to.have.length(1)
  })

  it("backs off while the token is refused, even while flushes wait, and delivers everything once the token is fixed", async () => {
    let requests = 0
    const received: string[] = []
    const scope = nock(BASE)
      .persist()
      .post("/ingest/usage")
      .reply(function (_uri, body) {
        requests += 1
        if (this.req.headers.authorization !== "Bearer right") {
          return [401, { error: { code: "UNAUTHORIZED", message: "bad token" } }]
        }
        const ids = (body as Body).records.map((r) => r.id)
        received.push(...ids)
        return [200, { accepted: ids.length, duplicates: 0, rejected: [] }]
      })
    const records = makeRecords(5)
    const wrong = testAdapter(dir, {
      endpoint: BASE,
      logger,
      token: "wrong",
      retryBaseMs: 250,
      maxRetryDelayMs: 30_000,
    })
    await Promise.all(records.map((r) => wrong.saveRecord(r)))
    // One flush with a 2 s deadline, and a caller that keeps flushing until then: a handful of requests, no storm.
    const until = Date.now() + 2000
    await wrong.flush({ timeoutMs: 2000 })
    while (Date.now() < until) {
      await wrong.flush({ timeoutMs: until - Date.now() })
      // Real time on purpose: the adapter's backoff runs on real timers; a caller flushing every 10 ms for 2 s.
      await new Promise((r) => setTimeout(r, 10))
    }
    await wrong.close()
    expect(requests).to.be.within(1, 6)
    expect(wrong.stats()).to.include({ pending: 5, acknowledged: 0, held: true })
    expect(received).to.deep.equal([])
    adapter = testAdapter(dir, { endpoint: BASE, logger, token: "right" })
    await adapter.init()
    await adapter.flush({ timeoutMs: 5000 })
    scope.persist(false)
    expect(received).to.deep.equal(records.map((r) => r.id))
    expect(adapter.stats()).to.include({ takenOver: 5, acknowledged: 5, pending: 0 })
  })

  it("backs off while no request can be built, however often flush is called", async () => {
    let calls = 0
    const fetch: typeof globalThis.fetch = async () => {
      calls += 1
      return new Response("{}", { status: 200 })
    }
    adapter = testAdapter(dir, {
      endpoint: BASE,
      logger,
      token: "tøken-✓",
      fetch,
      retryBaseMs: 250,
      maxRetryDelayMs: 30_000,
    })
    await adapter.saveRecord(makeRecord())
    const until = Date.now() + 1000
    while (Date.now() < until) {
      await adapter.flush({ timeoutMs: until - Date.now() })
      // Real time on purpose: the adapter's backoff runs on real timers; a caller flushing every 10 ms for 1 s.
      await new Promise((r) => setTimeout(r, 10))
    }
    expect(calls).to.equal(0)
    expect(adapter.stats().failedAttempts).to.be.within(1, 5)
    expect(adapter.stats()).to.include({ pending: 1, held: true })
  })

  it("dead-letters the rejected entries of a 200 and of a 400 with their reasons, never retrying them", async () => {
    const scope = nock(BASE)
      .post("/ingest/usage")
      .reply(200, { accepted: 2, duplicates: 0, rejected: [{ index: 1, error: "estimatedCost: must be >= 0" }] })
      .post("/ingest/usage")
      .reply(400, {
        error: { code: "INVALID_RECORD", message: "no valid record in the body" },
        accepted: 0,
        duplicates: 0,
        rejected: [{ index: 0, error: "provider: too long" }],
      })
    adapter = testAdapter(dir, { endpoint: BASE, logger, batchSize: 3 })
    const first = makeRecords(3)
    await Promise.all(first.map((r) => adapter!.saveRecord(r)))
    await adapter.flush({ timeoutMs: 5000 })
    const lone = makeRecord()
    await adapter.saveRecord(lone)
    await adapter.flush({ timeoutMs: 5000 })
    scope.done()
    const dead = deadLetters(dir)
    expect(dead.map((d) => [d.record.id, d.reason])).to.deep.equal([
      [first[1].id, "estimatedCost: must be >= 0"],
      [lone.id, "provider: too long"],
    ])
    expect(adapter.stats()).to.include({ deadLettered: 2, acknowledged: 2, pending: 0 })
  })

  it("halves a batch refused with 400 without detail until the bad record is alone", async () => {
    const received: string[][] = []
    const records = makeRecords(4)
    const bad = records[2].id
    const scope = nock(BASE)
      .post("/ingest/usage")
      .times(5)
      .reply((uri, body) => {
        const ids = (body as Body).records.map((r) => r.id)
        if (ids.includes(bad)) return [400, { error: { code: "UNPARSEABLE_BODY", message: "bad body" } }]
        return collector(received)(uri, body)
      })
    adapter = testAdapter(dir, { endpoint: BASE, logger, batchSize: 4 })
    await Promise.all(records.map((r) => adapter!.saveRecord(r)))
    await adapter.flush({ timeoutMs: 5000 })
    scope.done()
    expect(received.flat()).to.deep.equal([records[0].id, records[1].id, records[3].id])
    expect(deadLetters(dir).map((d) => d.record.id)).to.deep.equal([bad])
  })

  it("gives up at the flush deadline with records still spooled, and delivers them when the service is back", async () => {
    const down = nock(BASE)
      .post("/ingest/usage")
      .times(3)
      .replyWithError({ code: "ECONNREFUSED", message: "connect ECONNREFUSED" })
    adapter = testAdapter(dir, { endpoint: BASE, logger, retryAttempts: 2, retryBaseMs: 20, maxRetryDelayMs: 40 })
    const records = makeRecords(3)
    await Promise.all(records.map((r) => adapter!.saveRecord(r)))
    await adapter.flush({ timeoutMs: 30 })
    expect(adapter.stats().pending).to.equal(3)
    expect(readFileSync(adapter.spoolPath!, "utf8").trim().split("\n")).to.have.length(3)
    // The retries after the flush deadline go on in the background until all three refusals are used.
    for (let i = 0; i < 400 && !down.isDone(); i++) await new Promise((r) => setTimeout(r, 5))
    down.done()
    const received: string[][] = []
    const up = nock(BASE).post("/ingest/usage").reply(collector(received))
    await adapter.flush({ timeoutMs: 5000 })
    up.done()
    expect(received).to.deep.equal([records.map((r) => r.id)])
    expect(adapter.stats()).to.include({ pending: 0, acknowledged: 3 })
  })

  it("holds at most localBufferSize pending records in memory and reads the rest back from the spool", async () => {
    const down = nock(BASE).post("/ingest/usage").replyWithError({ code: "ECONNREFUSED", message: "refused" })
    adapter = testAdapter(dir, {
      endpoint: BASE,
      logger,
      localBufferSize: 5,
      batchSize: 10,
      retryAttempts: 0,
      retryBaseMs: 200,
      maxRetryDelayMs: 200,
    })
    const records = makeRecords(60)
    await Promise.all(records.map((r) => adapter!.saveRecord(r)))
    await adapter.flush({ timeoutMs: 50 })
    down.done()
    expect(adapter.stats().pending).to.equal(60)
    expect(adapter.stats().buffered).to.be.at.most(15)
    const received: string[][] = []
    const up = nock(BASE).post("/ingest/usage").times(6).reply(collector(received))
    await adapter.flush({ timeoutMs: 5000 })
    up.done()
    expect(received.flat()).to.deep.equal(records.map((r) => r.id))
    expect(adapter.stats()).to.include({ pending: 0, buffered: 0 })
  })

  it("drops records beyond the spool's size cap with a log line and a counter", async () => {
    const down = nock(BASE).post("/ingest/usage").replyWithError({ code: "ECONNREFUSED", message: "refused" })
    adapter = testAdapter(dir, { endpoint: BASE, logger, maxSpoolBytes: 1000, retryBaseMs: 200, maxRetryDelayMs: 200 })
    const results = await Promise.allSettled(makeRecords(10).map((r) => adapter!.saveRecord(r)))
    await adapter.flush({ timeoutMs: 50 })
    down.done()
    const rejected = results.filter((r) => r.status === "rejected").length
    expect(rejected).to.be.greaterThan(0)
    expect(adapter.stats().dropped).to.equal(rejected)
    expect(adapter.stats().spooled).to.equal(10 - rejected)
    expect(logger.text()).to.match(/error .*spool .* is full/)
  })

  it("returns a batch in flight at close() to the spool, and the next adapter delivers it", async () => {
    const slow = nock(BASE).post("/ingest/usage").delay(3000).reply(200, { accepted: 2, duplicates: 0, rejected: [] })
    const first = testAdapter(dir, { endpoint: BASE, logger, timeoutMs: 5000, closeGraceMs: 50 })
    const records = makeRecords(2)
    await Promise.all(records.map((r) => first.saveRecord(r)))
    while (first.stats().sent === 0) await new Promise((r) => setTimeout(r, 5))
    await first.close()
    slow.done()
    expect(first.stats()).to.include({ acknowledged: 0, pending: 2 })
    const received: string[][] = []
    const up = nock(BASE).post("/ingest/usage").reply(collector(received))
    adapter = testAdapter(dir, { endpoint: BASE, logger })
    await adapter.init()
    await adapter.flush({ timeoutMs: 5000 })
    up.done()
    expect(received).to.deep.equal([records.map((r) => r.id)])
  })

  it("answers queries from the service, and from local data when it is unreachable", async () => {
    const central = nock(BASE)
      .get("/api/usage/summary")
      .query(true)
      .reply(200, { summaries: {}, totalCost: 0, nodes: [], generatedAt: new Date().toISOString(), tz: "UTC" })
    adapter = testAdapter(dir, { endpoint: BASE, logger, flushIntervalMs: 60_000, tz: "UTC" })
    await adapter.saveRecord(makeRecord({ provider: "openai", model: "gpt-5.2", estimatedCost: 0.25 }))
    const first = await adapter.summaryWithSource()
    central.done()
    expect(first.source).to.equal("central")
    expect(first.data.summaries).to.deep.equal({})
    const down = nock(BASE)
      .get("/api/usage/summary")
      .query(true)
      .replyWithError({ code: "ECONNREFUSED", message: "refused" })
    const summaries = await adapter.getAllSummaries()
    down.done()
    expect(summaries.openai.callCount).to.equal(1)
    expect(summaries.openai.totalCost).to.equal(0.25)
    expect(summaries.openai.periodStart).to.be.instanceOf(Date)
  })
})
