import { expect } from "chai"
import nock from "nock"
import { UsageApiClient } from "../../../src/lib/client/api-client.js"
import { caught } from "../../helpers/errors.js"

const BASE = "http://usage.test:3001"

describe("UsageApiClient", () => {
  before(() => nock.disableNetConnect())
  after(() => nock.enableNetConnect())
  afterEach(() => nock.cleanAll())

  it("asks for a summary with the read token and revives its dates", async () => {
    const scope = nock(BASE, { reqheaders: { authorization: "Bearer r3ad" } })
      .get("/api/usage/summary")
      .query({ provider: "anthropic", since: "2026-11-01T00:00:00.000Z", by: "model" })
      .reply(200, {
        summaries: {
          anthropic: {
            provider: "anthropic",
            periodStart: "2026-11-01T00:00:00.000Z",
            nextReset: "2026-11-08T00:00:00.000Z",
            resetType: "weekly",
            totalCost: 1.5,
            totalInputTokens: 10,
            totalOutputTokens: 5,
            callCount: 2,
          },
        },
        totalCost: 1.5,
        nodes: ["a"],
        generatedAt: "2026-11-03T10:00:00.000Z",
        since: "2026-11-01T00:00:00.000Z",
        tz: "UTC",
      })
    const client = new UsageApiClient({ endpoint: `${BASE}/`, token: "r3ad" })
    const result = await client.summary({ provider: "anthropic", since: new Date("2026-11-01T00:00:00Z"), by: "model" })
    scope.done()
    expect(result.summaries.anthropic.periodStart).to.deep.equal(new Date("2026-11-01T00:00:00.000Z"))
    expect(result.summaries.anthropic.nextReset).to.be.instanceOf(Date)
    expect(result.generatedAt).to.deep.equal(new Date("2026-11-03T10:00:00.000Z"))
    expect(result.since).to.be.instanceOf(Date)
    expect(result.until).to.equal(undefined)
  })

  it("asks for trends by provider with days", async () => {
    const body = { provider: "a/b", rangeDays: 3, dataPoints: [], totalCost: 0, avgDailyCost: 0 }
    const scope = nock(BASE).get("/api/usage/provider/a%2Fb/trends").query({ days: "3" }).reply(200, body)
    const result = await new UsageApiClient({ endpoint: BASE }).trends("a/b", { rangeDays: 3 })
    scope.done()
    expect(result).to.deep.equal(body)
  })

  it("turns the server's error body into a UsageHubError with its code and message", async () => {
    const scope = nock(BASE)
      .get("/api/usage/summary")
      .query({ tz: "Mars/Olympus" })
      .reply(400, { error: { code: "INVALID_QUERY", message: "tz: unknown time zone Mars/Olympus" } })
    const error = await caught(new UsageApiClient({ endpoint: BASE }).summary({ tz: "Mars/Olympus" }))
    scope.done()
    expect(error.code).to.equal("INVALID_QUERY")
    expect(error.message).to.equal("tz: unknown time zone Mars/Olympus")
  })

  it("maps a 401 without a JSON body to UNAUTHORIZED", async () => {
    const scope = nock(BASE).get("/healthz").reply(401, "nope")
    const error = await caught(new UsageApiClient({ endpoint: BASE }).health())
    scope.done()
    expect(error.code).to.equal("UNAUTHORIZED")
  })

  it("reports a network failure as UNREACHABLE naming the endpoint", async () => {
    const scope = nock(BASE).get("/healthz").replyWithError({ code: "ECONNREFUSED", message: "connect refused" })
    const error = await caught(new UsageApiClient({ endpoint: BASE }).health())
    scope.done()
    expect(error.code).to.equal("UNREACHABLE")
    expect(error.message).to.match(/^cannot reach http:\/\/usage\.test:3001: /)
  })

  it("gives up after the timeout", async () => {
    const scope = nock(BASE).get("/healthz").delay(2000).reply(200, { ok: true })
    const error = await caught(new UsageApiClient({ endpoint: BASE, timeoutMs: 50 }).health())
    scope.done()
    expect(error.code).to.equal("UNREACHABLE")
    expect(error.message).to.match(/no answer within 50 ms/)
  })

  it("streams an NDJSON export into records with Date timestamps", async () => {
    const lines = Array.from({ length: 2500 }, (_, i) =>
      JSON.stringify({
        id: `usage_${i}`,
        timestamp: new Date(Date.UTC(2026, 10, 1) + i).toISOString(),
        provider: "openai",
        model: "gpt-5.2",
        inputTokens: 1,
        outputTokens: 1,
        estimatedCost: 0.1,
        taskType: "primary",
        node: "n1",
      }),
    )
    const scope = nock(BASE)
      .get("/api/usage/export")
      .query({ format: "ndjson", node: "n1" })
      .reply(200, `${lines.join("\n")}\n`, { "content-type": "application/x-ndjson" })
    const chunks: number[] = []
    let last: Date | undefined
    for await (const chunk of new UsageApiClient({ endpoint: BASE }).exportRecords({ node: "n1" })) {
      chunks.push(chunk.length)
      last = chunk[chunk.length - 1].timestamp
    }
    scope.done()
    expect(chunks.reduce((a, b) => a + b, 0)).to.equal(2500)
    expect(last).to.deep.equal(new Date(Date.UTC(2026, 10, 1) + 2499))
  })

  it("passes a CSV export through as raw bytes", async () => {
    const scope = nock(BASE).get("/api/usage/export").query({ format: "csv" }).reply(200, "id,timestamp\n")
    let text = ""
    for await (const chunk of new UsageApiClient({ endpoint: BASE }).exportRaw({}, "csv"))
      text += new TextDecoder().decode(chunk)
    scope.done()
    expect(text).to.equal("id,timestamp\n")
  })
})
