import { expect } from "chai"
import { toNanos } from "../../../src/lib/money.js"
import { runPlan } from "../../../src/lib/query/plan.js"
import { type ReportQuery, reportJson, reportPlan } from "../../../src/lib/query/report.js"
import { storeReader } from "../../../src/lib/query/store-reader.js"
import type { StoredRecord } from "../../../src/lib/record.js"
import { openStore } from "../../../src/lib/store/index.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"
import { PostgresStore } from "../../../src/lib/store/postgres/store.js"
import type { UsageStore } from "../../../src/lib/store/store.js"
import { PG_TEST_URL, skipWithoutPostgres, testSchemas } from "../../helpers/postgres.js"
import { record, seededRandom } from "../../helpers/records.js"
import { periodSums } from "../../helpers/report-oracle.js"

const ZONES = ["UTC", "Asia/Kolkata", "America/St_Johns"]
const MODELS = ["claude-sonnet-4-5", "gpt-5", "gemini-2.5-pro"]
const PROVIDERS = ["anthropic", "openai", "google"]

/** Records over 2025-10-20 .. 2026-03-20 (St. John's leaves DST on 2025-11-02, enters it on 2026-03-08), many near midnight. */
function records(): StoredRecord[] {
  const random = seededRandom(15)
  const start = Date.parse("2025-10-20T00:00:00Z")
  const span = Date.parse("2026-03-20T00:00:00Z") - start
  const out: StoredRecord[] = []
  for (let i = 0; i < 600; i++) {
    let ts = start + Math.floor(random() * span)
    // Every third record sits within two hours of a UTC midnight, where zones disagree about the day.
    if (i % 3 === 0) ts = ts - (ts % 86_400_000) + Math.floor((random() - 0.5) * 4 * 3_600_000)
    const k = Math.floor(random() * 3)
    out.push(
      record({
        id: `r${i}`,
        timestamp: new Date(ts),
        provider: PROVIDERS[k],
        model: MODELS[k],
        node: random() < 0.5 ? "node-a" : "node-b",
        inputTokens: 1 + Math.floor(random() * 5000),
        outputTokens: Math.floor(random() * 900),
        cacheReadTokens: Math.floor(random() * 300),
        estimatedCost: Math.round(random() * 1e6) / 1e7,
      }),
    )
  }
  // The hour St. John's repeats (01:00-02:00 NDT then NST, 2025-11-02) and the day it skips an hour.
  out.push(record({ id: "dst-fall", timestamp: new Date("2025-11-02T04:00:00Z"), estimatedCost: 0.25 }))
  out.push(record({ id: "dst-spring", timestamp: new Date("2026-03-08T05:45:00Z"), estimatedCost: 0.5 }))
  return out
}

const run = (store: UsageStore | undefined, query: ReportQuery) => runPlan(reportPlan(query), store!)

const schemas = testSchemas("uh_report")

async function openKind(kind: "memory" | "sqlite" | "postgres"): Promise<UsageStore> {
  if (kind === "memory") return new MemoryStore()
  if (kind === "sqlite") return openStore(":memory:")
  return PostgresStore.open(PG_TEST_URL, { schema: schemas.next() })
}

for (const kind of ["memory", "sqlite", "postgres"] as const) {
  describe(`reportPlan (${kind} store)`, function () {
    this.timeout(20_000)
    const all = records()
    let store: UsageStore | undefined
    before(async function () {
      if (kind === "postgres") await skipWithoutPostgres(this)
      store = await openKind(kind)
      await store.insert(all)
    })
    after(async () => {
      await store?.close()
      if (kind === "postgres" && store) await schemas.drop()
    })

    for (const tz of ZONES) {
      for (const period of ["day", "week", "month"] as const) {
        it(`per ${period} in ${tz}: each row equals the exact sum over its records`, async () => {
          const report = await run(store, { period, tz })
          const expected = periodSums(all, period, tz)
          expect(report.rows.map((r) => r.period)).to.deep.equal([...expected.keys()])
          for (const row of report.rows) {
            const s = expected.get(row.period)!
            expect(row.callCount, row.period).to.equal(s.calls)
            expect(BigInt(toNanos(row.totalCost)), row.period).to.equal(s.nanos)
            expect(row.inputTokens).to.equal(s.input)
            expect(row.outputTokens).to.equal(s.output)
            expect(row.cacheReadTokens).to.equal(s.cacheRead)
            expect(row.models).to.deep.equal([...s.models].sort())
          }
          expect(report.totals.callCount).to.equal(all.length)
          const nanos = [...expected.values()].reduce((a, s) => a + s.nanos, 0n)
          expect(BigInt(toNanos(report.totals.totalCost))).to.equal(nanos)
          expect(report.tz).to.equal(tz)
        })
      }
    }

    it("counts St. John's 25-hour day (DST ends) and 23-hour day (DST starts) as one day each", async () => {
      const report = await run(store, { period: "day", tz: "America/St_Johns" })
      const expected = periodSums(all, "day", "America/St_Johns")
      for (const day of ["2025-11-01", "2025-11-02", "2026-03-07", "2026-03-08"]) {
        expect(report.rows.find((r) => r.period === day)?.callCount, day).to.equal(expected.get(day)?.calls)
      }
    })

    it("starts weeks on the day --start-of-week names (Sunday here)", async () => {
      const report = await run(store, { period: "week", tz: "UTC", startOfWeek: 0 })
      const expected = periodSums(all, "week", "UTC", 0)
      expect(report.rows.map((r) => [r.period, r.callCount])).to.deep.equal([...expected].map(([k, s]) => [k, s.calls]))
      for (const row of report.rows) expect(new Date(`${row.period}T00:00:00Z`).getUTCDay()).to.equal(0)
    })

    it("keeps to since/until and the filters, and clips the first and last period to the range", async () => {
      const since = new Date("2025-12-10T12:00:00Z")
      const until = new Date("2026-01-20T00:00:00Z")
      const report = await run(store, { period: "month", tz: "UTC", since, until, provider: "openai" })
      const inRange = all.filter((r) => r.timestamp >= since && r.timestamp < until && r.provider === "openai")
      const expected = periodSums(inRange, "month", "UTC")
      expect(report.rows.map((r) => [r.period, r.callCount])).to.deep.equal([...expected].map(([k, s]) => [k, s.calls]))
      expect(report.since).to.deep.equal(since)
      expect(report.until).to.deep.equal(until)
      expect(report.rows.every((r) => r.models.join() === "gpt-5")).to.equal(true)
    })

    it("adds a breakdown per row that sums to the row, by cost descending", async () => {
      const report = await run(store, { period: "month", tz: "UTC", by: "node" })
      for (const row of report.rows) {
        const breakdown = row.breakdown!
        expect(breakdown.map((b) => b.key).sort()).to.deep.equal(["node-a", "node-b"])
        expect(breakdown.reduce((a, b) => a + b.callCount, 0)).to.equal(row.callCount)
        expect(breakdown[0].totalCost).to.be.at.least(breakdown[1].totalCost)
      }
    })

    it("orders rows by date, newest first with order desc", async () => {
      const asc = await run(store, { period: "month", tz: "UTC" })
      const desc = await run(store, { period: "month", tz: "UTC", order: "desc" })
      expect(asc.rows.map((r) => r.period)).to.deep.equal([
        "2025-10",
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
      ])
      expect(desc.rows.map((r) => r.period)).to.deep.equal(asc.rows.map((r) => r.period).reverse())
    })

    it("answers no rows and zero totals where there is no matching record", async () => {
      const report = await run(store, { period: "day", tz: "UTC", provider: "nobody" })
      expect(report.rows).to.deep.equal([])
      expect(report.totals.callCount).to.equal(0)
      expect(reportJson(report)).to.deep.equal({
        daily: [],
        totals: report.totals,
        tz: "UTC",
        since: null,
        until: null,
      })
    })
  })
}

describe("storeReader.report", () => {
  it("reports in the reader's zone unless the query names one; JSON keyed by the period", async () => {
    const store = new MemoryStore([record({ id: "a", timestamp: new Date("2026-03-09T20:00:00Z") })])
    const reader = storeReader({ store, tz: "Asia/Kolkata" })
    const kolkata = await reader.report({ period: "day" })
    expect(kolkata.rows.map((r) => r.period)).to.deep.equal(["2026-03-10"])
    const json = reportJson(await reader.report({ period: "week", tz: "UTC" }))
    expect(json.weekly?.map((r) => r.period)).to.deep.equal(["2026-03-09"])
    expect(json.since).to.equal("2026-03-09T00:00:00.000Z")
    expect(json.until).to.equal("2026-03-16T00:00:00.000Z")
  })
})
