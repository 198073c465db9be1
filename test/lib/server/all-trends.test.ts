import { expect } from "chai"
import type { TrendData } from "../../../src/lib/summary-types.js"
import { NOW, startTestService, type TestService, wireRecord } from "./helpers.js"

const DAY = 86_400_000

describe("GET /api/usage/trends (every provider in one answer)", () => {
  let svc: TestService
  const at = (daysAgo: number) => new Date(NOW.getTime() - daysAgo * DAY).toISOString()

  before(async () => {
    svc = await startTestService()
    const posted = await svc.post([
      wireRecord({ provider: "anthropic", estimatedCost: 1.5, timestamp: at(0), node: "a" }),
      wireRecord({ provider: "anthropic", estimatedCost: 0.25, timestamp: at(3), node: "b" }),
      wireRecord({ provider: "openai", estimatedCost: 2, timestamp: at(1), node: "a" }),
      wireRecord({ provider: "..", estimatedCost: 0.1, timestamp: at(2), node: "a" }),
      wireRecord({ provider: "old", estimatedCost: 9, timestamp: at(40), node: "a" }),
    ])
    expect(posted.status).to.equal(200)
  })
  after(async () => {
    await svc.stop()
  })

  it("answers each provider's TrendData, the costliest first, equal to the one-provider endpoint's", async () => {
    const res = await svc.get("/api/usage/trends?days=30")
    expect(res.status).to.equal(200)
    const trends = res.json as TrendData[]
    expect(trends.map((t) => t.provider)).to.deep.equal(["openai", "anthropic", ".."])
    for (const trend of trends.filter((t) => t.provider !== "..")) {
      const one = await svc.get(`/api/usage/provider/${trend.provider}/trends?days=30`)
      expect(trend).to.deep.equal(one.json)
    }
    expect(trends[1].dataPoints).to.have.length(30)
    expect(trends[1].totalCost).to.equal(1.75)
    expect(trends[2].dataPoints.find((p) => p.cost > 0)?.date).to.equal(at(2).slice(0, 10))
  })

  it("takes the provider as a query parameter, so any name works (even ..), and node, tz and range", async () => {
    const dots = await svc.get("/api/usage/trends?provider=..&range=7d")
    expect(dots.status).to.equal(200)
    expect(dots.json.map((t: TrendData) => [t.provider, t.rangeDays, t.totalCost])).to.deep.equal([["..", 7, 0.1]])
    const node = await svc.get("/api/usage/trends?node=b&days=30&tz=Europe/Paris")
    expect(node.json.map((t: TrendData) => [t.provider, t.totalCost])).to.deep.equal([["anthropic", 0.25]])
    expect((await svc.get("/api/usage/trends?provider=nobody")).json).to.deep.equal([])
  })

  it("refuses bad parameters with 400 INVALID_QUERY", async () => {
    for (const q of ["days=0", "range=1y", "range=7d&days=3", "provider=a&provider=b", "tz=Mars/Base"]) {
      const res = await svc.get(`/api/usage/trends?${q}`)
      expect(res.status, q).to.equal(400)
      expect(res.json.error.code, q).to.equal("INVALID_QUERY")
    }
  })
})
