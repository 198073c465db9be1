import { expect } from "chai"
import { storeSessions } from "../../../src/lib/query/sessions.js"
import { nodesJsonSchema, sessionsJsonSchema } from "../../../src/lib/query/sessions-schema.js"
import { parseRecord, type StoredRecord } from "../../../src/lib/record.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"
import { NOW, startTestService, type TestService, wireRecord } from "./helpers.js"

const READ_TOKEN = "read-token-0123456789abc"
const INGEST = { authorization: "Bearer ingest-token-0123456789" }

describe("GET /api/usage/sessions and GET /api/usage/nodes", () => {
  let service: TestService
  const auth = { authorization: `Bearer ${READ_TOKEN}` }
  const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000).toISOString()
  const records = [
    wireRecord({ id: "a1", node: "node-a", sessionID: "ses_a", timestamp: minutesAgo(200), estimatedCost: 0.5 }),
    wireRecord({
      id: "a2",
      node: "node-a",
      sessionID: "ses_a",
      timestamp: minutesAgo(30),
      model: "gpt-5",
      provider: "openai",
    }),
    wireRecord({
      id: "b1",
      node: "node-b",
      sessionID: "ses_b",
      timestamp: minutesAgo(90),
      agent: "codex",
      project: "web",
    }),
    wireRecord({ id: "b2", node: "node-b", timestamp: minutesAgo(10), estimatedCost: 0.25 }),
    wireRecord({ id: "b3", node: "node-b", timestamp: "2026-10-01T00:00:00Z", estimatedCost: 1 }),
  ]
  const oracle = new MemoryStore(
    records.map((r): StoredRecord => {
      const parsed = parseRecord(r)
      if (!parsed.ok) throw new Error(parsed.error)
      return { ...parsed.record, node: r.node as string }
    }),
  )

  before(async () => {
    service = await startTestService({ readToken: READ_TOKEN, ingestToken: "ingest-token-0123456789" })
    expect((await service.post({ records }, INGEST)).status).to.equal(200)
  })
  after(() => service.stop())

  it("lists sessions newest last call first with the DESIGN fields, as the library computes them", async () => {
    const res = await service.get("/api/usage/sessions", auth)
    expect(res.status).to.equal(200)
    expect(sessionsJsonSchema.parse(res.json)).to.deep.equal(res.json)
    expect(res.json).to.deep.equal(await storeSessions(oracle, { tz: "UTC" }))
    expect(res.json.sessions.map((s: { sessionID: string }) => s.sessionID)).to.deep.equal(["ses_a", "ses_b"])
    expect(res.json.sessions[0]).to.include({
      node: "node-a",
      firstCall: minutesAgo(200),
      lastCall: minutesAgo(30),
      durationMs: 170 * 60_000,
      callCount: 2,
      agent: null,
    })
    expect(res.json.sessions[0].models).to.deep.equal(["claude-sonnet-4-5", "gpt-5"])
    expect(res.json.sessions[1]).to.include({ agent: "codex", project: "web" })
    expect(res.json.withoutSession).to.deep.equal({ callCount: 2, totalCost: 1.25 })
    expect(res.json.totals.callCount).to.equal(3)
  })

  it("filters by node, provider and range, and takes limit and order", async () => {
    const byNode = await service.get("/api/usage/sessions?node=node-b&since=2026-11-20", auth)
    expect(byNode.json.sessions.map((s: { sessionID: string }) => s.sessionID)).to.deep.equal(["ses_b"])
    expect(byNode.json.withoutSession.callCount).to.equal(1)
    expect(byNode.json.since).to.equal("2026-11-20T00:00:00.000Z")
    const openai = await service.get("/api/usage/sessions?provider=openai", auth)
    expect(openai.json.sessions.map((s: { sessionID: string }) => s.sessionID)).to.deep.equal(["ses_a"])
    const asc = await service.get("/api/usage/sessions?order=asc&limit=2", auth)
    expect(asc.json.sessions.map((s: { sessionID: string }) => s.sessionID)).to.deep.equal(["ses_b", "ses_a"])
    const one = await service.get("/api/usage/sessions?limit=1", auth)
    expect(one.json.sessions).to.have.length(1)
  })

  it("refuses a bad limit or order with 400 INVALID_QUERY, and a missing read token with 401", async () => {
    for (const query of ["limit=0", "limit=abc", "order=up"]) {
      const res = await service.get(`/api/usage/sessions?${query}`, auth)
      expect(res.status, query).to.equal(400)
      expect(res.json.error.code).to.equal("INVALID_QUERY")
    }
    expect((await service.get("/api/usage/sessions")).status).to.equal(401)
    expect((await service.get("/api/usage/nodes")).status).to.equal(401)
  })

  it("lists each node with the receipt time of its last record (service clock at commit) and its calls in the last hour", async () => {
    const before = Date.now()
    expect(
      (await service.post([wireRecord({ id: "c1", node: "node-c", timestamp: minutesAgo(5) })], INGEST)).status,
    ).to.equal(200)
    const after = Date.now()
    const res = await service.get("/api/usage/nodes", auth)
    expect(res.status).to.equal(200)
    expect(nodesJsonSchema.parse(res.json)).to.deep.equal(res.json)
    expect(res.json.generatedAt).to.equal(NOW.toISOString())
    expect(res.json.nodes.map((n: { node: string; callsLastHour: number }) => [n.node, n.callsLastHour])).to.deep.equal(
      [
        ["node-a", 1],
        ["node-b", 1],
        ["node-c", 1],
      ],
    )
    const c = Date.parse(res.json.nodes[2].lastSeen)
    expect(c).to.be.within(before, after)
  })
})
