import { expect } from "chai"
import { PostgresStore } from "../../../src/lib/store/postgres/store.js"
import { PG_TEST_URL, skipWithoutPostgres, testSchemas } from "../../helpers/postgres.js"
import { startTestService, sumNanos, type TestService, wireRecord } from "./helpers.js"

const URL = PG_TEST_URL
const schemas = testSchemas("uh_server_test")
const SCHEMA = schemas.next()

describe("ingest into a PostgreSQL store (several group commits at once)", function () {
  this.timeout(30_000)
  let store: PostgresStore | undefined
  let svc: TestService | undefined

  before(async function () {
    await skipWithoutPostgres(this)
    store = await PostgresStore.open(URL, { schema: SCHEMA, poolSize: 6 })
    svc = await startTestService({ store })
  })

  after(async () => {
    await svc?.stop()
    await store?.close()
    if (store) await schemas.drop()
  })

  it("counts every concurrent single-record POST exactly once, duplicates included", async () => {
    const service = svc!
    // Same provider, model and node: every commit updates the same rollup rows.
    const records = Array.from({ length: 150 }, (_, i) =>
      wireRecord({ node: "build-01", estimatedCost: Number((0.000017 * (i + 1)).toFixed(9)) }),
    )
    const accepted: number[] = []
    const duplicates: number[] = []
    for (let wave = 0; wave < 3; wave++) {
      const sends = records.slice(wave * 50, wave * 50 + 50)
      // Each wave also resends records of the previous wave (or of itself), concurrently.
      const again = records.slice(Math.max(0, wave - 1) * 50, Math.max(0, wave - 1) * 50 + 10)
      const answers = await Promise.all([...sends, ...again].map((r) => service.post(r)))
      for (const a of answers) {
        expect(a.status).to.equal(200)
        accepted.push(a.json.accepted)
        duplicates.push(a.json.duplicates)
      }
    }
    const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0)
    expect(total(accepted), "accepted").to.equal(records.length)
    expect(total(duplicates), "duplicates").to.equal(30)
    const summary = await service.get("/api/usage/summary?since=2026-11-01&tz=UTC")
    expect(summary.status).to.equal(200)
    const s = summary.json.summaries.anthropic
    expect(s.callCount).to.equal(records.length)
    expect(Math.round(s.totalCost * 1e9)).to.equal(sumNanos(records))
    const metrics = await service.get("/metrics")
    const commits = Number(/^usage_hub_ingest_commits_total (\d+)/m.exec(metrics.text)?.[1])
    expect(commits, "several commits").to.be.greaterThan(1)
  })
})
