import { expect } from "chai"
import { startTestService, type TestService, wireRecord } from "./helpers.js"

function sample(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, "m").exec(text)
  return m ? Number(m[1]) : Number.NaN
}

describe("GET /metrics", () => {
  let svc: TestService

  before(async () => {
    svc = await startTestService()
  })
  after(async () => {
    await svc.stop()
  })

  it("counts accepted, duplicate and rejected records, commits, request durations and the store size", async () => {
    const records = [wireRecord(), wireRecord(), wireRecord()]
    await svc.post(records)
    await svc.post([records[0], { ...wireRecord(), inputTokens: "x" }, { bad: true }])
    await svc.post([{ bad: true }])
    const res = await svc.get("/metrics")
    expect(res.status).to.equal(200)
    expect(res.headers.get("content-type")).to.match(/^text\/plain/)
    expect(sample(res.text, "usage_hub_records_accepted_total")).to.equal(3)
    expect(sample(res.text, "usage_hub_records_duplicate_total")).to.equal(1)
    expect(sample(res.text, "usage_hub_records_rejected_total")).to.equal(3)
    expect(sample(res.text, "usage_hub_ingest_commits_total")).to.equal(2)
    expect(sample(res.text, "usage_hub_store_records")).to.equal(3)
    expect(res.text).to.match(/^usage_hub_store_records\{kind="sqlite"\} 3$/m)
    expect(res.text).to.match(
      /^usage_hub_http_request_duration_seconds_count\{method="POST",route="\/ingest\/usage",status_code="200"\} 2$/m,
    )
    expect(res.text).to.match(
      /^usage_hub_http_request_duration_seconds_count\{method="POST",route="\/ingest\/usage",status_code="400"\} 1$/m,
    )
  })

  it("keeps counters per app instance", async () => {
    const other = await startTestService()
    try {
      const res = await other.get("/metrics")
      expect(sample(res.text, "usage_hub_records_accepted_total")).to.equal(0)
    } finally {
      await other.stop()
    }
  })
})
