import { expect } from "chai"
import { UsageApiClient } from "../../../src/lib/client/api-client.js"
import { reportJson } from "../../../src/lib/query/report.js"
import { storeReader } from "../../../src/lib/query/store-reader.js"
import { parseRecord } from "../../../src/lib/record.js"
import { EndpointReader } from "../../../src/lib/source/endpoint-reader.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"
import { startTestService, type TestService, wireRecord } from "./helpers.js"

const READ_TOKEN = "read-token-0123456789abc"

describe("GET /api/usage/report", () => {
  let service: TestService
  const auth = { authorization: `Bearer ${READ_TOKEN}` }
  // Around midnight UTC (a different day in Kolkata), over a month end, two providers and two nodes.
  const records = [
    wireRecord({ id: "a", timestamp: "2026-10-31T20:00:00Z", estimatedCost: 0.5, node: "node-a" }),
    wireRecord({ id: "b", timestamp: "2026-11-01T03:00:00Z", estimatedCost: 0.25, node: "node-b" }),
    wireRecord({
      id: "c",
      timestamp: "2026-11-10T12:00:00Z",
      provider: "openai",
      model: "gpt-5",
      estimatedCost: 1,
      node: "node-a",
    }),
  ]
  // The oracle: the same records in a memory store, read through the library's reader.
  const oracle = storeReader({
    store: new MemoryStore(
      records.map((r) => {
        const parsed = parseRecord(r)
        if (!parsed.ok) throw new Error(parsed.error)
        return { ...parsed.record, node: r.node as string }
      }),
    ),
    tz: "UTC",
  })

  before(async () => {
    service = await startTestService({ readToken: READ_TOKEN, ingestToken: "ingest-token-0123456789" })
    const res = await service.post({ records }, { authorization: "Bearer ingest-token-0123456789" })
    expect(res.status).to.equal(200)
  })
  after(() => service.stop())

  it("answers per day in the query's zone, rows under `daily`, as the library computes it", async () => {
    const res = await service.get("/api/usage/report?period=day&tz=Asia/Kolkata", auth)
    expect(res.status).to.equal(200)
    expect(res.json.daily.map((r: { period: string }) => r.period)).to.deep.equal(["2026-11-01", "2026-11-10"])
    expect(res.json.daily[0].callCount).to.equal(2)
    expect(res.json).to.deep.equal(reportJson(await oracle.report({ period: "day", tz: "Asia/Kolkata" })))
  })

  it("answers per month with a breakdown, newest first, with filters and a range", async () => {
    const res = await service.get(
      "/api/usage/report?period=month&by=provider&order=desc&until=2026-12-01&node=node-a",
      auth,
    )
    expect(res.status).to.equal(200)
    expect(res.json.monthly.map((r: { period: string }) => r.period)).to.deep.equal(["2026-11", "2026-10"])
    expect(res.json.monthly[0].breakdown).to.have.length(1)
    expect(res.json.monthly[0].breakdown[0]).to.include({ key: "openai", callCount: 1, totalCost: 1 })
    expect(res.json.totals).to.include({ callCount: 2, totalCost: 1.5 })
    expect(res.json.until).to.equal("2026-12-01T00:00:00.000Z")
  })

  it("the endpoint reader gets the same report as a store reader over the same records", async () => {
    const reader = new EndpointReader(service.url, { token: READ_TOKEN })
    const query = { period: "week" as const, tz: "America/St_Johns", by: "node" as const }
    expect(await reader.report(query)).to.deep.equal(await oracle.report(query))
    const client = new UsageApiClient({ endpoint: service.url, token: READ_TOKEN })
    expect((await client.report({ period: "week", startOfWeek: 0, tz: "UTC" })).rows[0].period).to.equal("2026-10-25")
  })

  it("refuses a missing or unknown period, a bad order and a bad startOfWeek (400 INVALID_QUERY)", async () => {
    for (const query of ["", "?period=year", "?period=day&order=up", "?period=week&startOfWeek=7"]) {
      const res = await service.get(`/api/usage/report${query}`, auth)
      expect(res.status, query).to.equal(400)
      expect(res.json.error.code, query).to.equal("INVALID_QUERY")
    }
  })

  it("needs the read token", async () => {
    const res = await service.get("/api/usage/report?period=day")
    expect(res.status).to.equal(401)
  })
})
