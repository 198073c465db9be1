import { expect } from "chai"
import {
  parseExportQuery,
  parseStreamQuery,
  parseSummaryQuery,
  parseTrendsQuery,
} from "../../../src/lib/server/query-params.js"
import { startTestService, wireRecord } from "./helpers.js"

/**
 * The process runs in New York while the service is configured for Tokyo: a bound without a zone must be read
 * in the service's zone (Tokyo midnight is 15:00 UTC the day before), never in the process's.
 */
describe("query parameters read dates in the service's time zone", () => {
  const savedTz = process.env.TZ
  const service = { tz: "Asia/Tokyo" }
  const tokyoMidnight = "2025-12-31T15:00:00.000Z"

  before(() => {
    process.env.TZ = "America/New_York"
    expect(new Date(2026, 0, 1).toISOString(), "process zone is New York").to.equal("2026-01-01T05:00:00.000Z")
  })
  after(() => {
    if (savedTz === undefined) delete process.env.TZ
    else process.env.TZ = savedTz
  })

  it("summary: since and until without tz= are midnight in the service's zone", () => {
    const q = parseSummaryQuery({ since: "2026-01-01", until: "2026-01-02T09:30" }, service)
    expect(q.tz).to.equal("Asia/Tokyo")
    expect(q.since?.toISOString()).to.equal(tokyoMidnight)
    expect(q.until?.toISOString()).to.equal("2026-01-02T00:30:00.000Z")
  })

  it("summary: tz= in the request still wins over the service's zone", () => {
    const q = parseSummaryQuery({ since: "2026-01-01", tz: "Europe/Paris" }, service)
    expect(q.tz).to.equal("Europe/Paris")
    expect(q.since?.toISOString()).to.equal("2025-12-31T23:00:00.000Z")
  })

  it("stream: the SSE query reads its range in the service's zone too", () => {
    const { query } = parseStreamQuery({ since: "2026-01-01", token: "t" }, service)
    expect(query.since?.toISOString()).to.equal(tokyoMidnight)
    expect(query.tz).to.equal("Asia/Tokyo")
  })

  it("export and trends default to the service's zone", () => {
    expect(parseExportQuery({ since: "2026-01-01" }, service).filter.since?.toISOString()).to.equal(tokyoMidnight)
    expect(parseTrendsQuery("anthropic", {}, service).tz).to.equal("Asia/Tokyo")
  })

  it("GET /api/usage/summary?since= counts a record from the first hour of the day in the service's zone", async () => {
    const svc = await startTestService({ tz: "Asia/Tokyo" })
    try {
      // 01:00 on 1 January in Tokyo; still 31 December in New York.
      await svc.post([wireRecord({ timestamp: "2025-12-31T16:00:00.000Z" })])
      const res = await svc.get("/api/usage/summary?since=2026-01-01")
      expect(res.status).to.equal(200)
      expect(res.json.tz).to.equal("Asia/Tokyo")
      expect(res.json.since).to.equal(tokyoMidnight)
      expect(res.json.summaries.anthropic.callCount).to.equal(1)
    } finally {
      await svc.stop()
    }
  })
})

describe("query dates of the years 0001-9999 (the API reads them as written)", () => {
  it("GET /api/usage/summary?since=0001-01-01 answers for year 1 (not 1901), the same totals as since the record bounds", async () => {
    const svc = await startTestService()
    try {
      const records = [
        wireRecord({ timestamp: "2000-01-01T00:00:00.000Z" }),
        wireRecord({ timestamp: "2026-11-20T10:00:00.000Z" }),
        wireRecord({ timestamp: "2099-12-31T23:59:59.999Z" }),
      ]
      expect((await svc.post(records)).json.accepted).to.equal(3)
      const early = await svc.get("/api/usage/summary?since=0001-01-01")
      const bounds = await svc.get("/api/usage/summary?since=2000-01-01")
      expect(early.status, early.text).to.equal(200)
      expect(early.json.since).to.equal("0001-01-01T00:00:00.000Z")
      expect(early.json.summaries.anthropic.callCount).to.equal(3)
      expect(early.json.summaries).to.deep.equal(
        JSON.parse(
          JSON.stringify(bounds.json.summaries).replaceAll("2000-01-01T00:00:00.000Z", "0001-01-01T00:00:00.000Z"),
        ),
      )
      const ancient = await svc.get("/api/usage/summary?since=0001-01-01&until=0099-12-31T23:00&tz=Asia/Kolkata")
      expect(ancient.status, ancient.text).to.equal(200)
      // Kolkata's local mean time then: +05:53:28.
      expect(ancient.json.until).to.equal("0099-12-31T17:06:32.000Z")
      expect(ancient.json.summaries.anthropic?.callCount ?? 0).to.equal(0)
      const last = await svc.get("/api/usage/export?since=9999-12-31&format=ndjson")
      expect(last.status, last.text).to.equal(200)
      expect(last.text).to.equal("")
    } finally {
      await svc.stop()
    }
  })

  it("answers 400 for a year outside 0001-9999", async () => {
    const svc = await startTestService()
    try {
      for (const since of ["0000-01-01", "0000-12-31T23:00:00Z", "10000-01-01", "+010000-01-01", "-000001-01-01"]) {
        const res = await svc.get(`/api/usage/summary?since=${encodeURIComponent(since)}`)
        expect(res.status, since).to.equal(400)
        expect(res.json.error.code, since).to.equal("INVALID_QUERY")
        expect(res.json.error.message, since).to.match(/^since must be an ISO date/)
      }
    } finally {
      await svc.stop()
    }
  })
})
