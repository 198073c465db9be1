/**
 * The StorageAdapter contract, written once and run against every adapter (FileAdapter, StoreAdapter over each
 * store, HttpIngestAdapter against the real service). Time is pinned with USAGE_NOW.
 */
import { expect } from "chai"
import type { StorageAdapter } from "../../../src/lib/adapters/storage-adapter.js"
import { toNanos } from "../../../src/lib/money.js"
import { record } from "../../helpers/records.js"

export interface AdapterFixture {
  adapter: StorageAdapter
  /** Makes saved records visible to queries (e.g. flush and wait for delivery). Default: adapter.flush(). */
  settle?: () => Promise<void>
  cleanup: () => Promise<void>
}

export const CONTRACT_NOW = "2026-11-18T12:00:00.000Z"

export function describeStorageAdapterContract(name: string, open: () => Promise<AdapterFixture>): void {
  describe(`StorageAdapter contract: ${name}`, () => {
    let fixture: AdapterFixture
    let savedNow: string | undefined
    const settle = () => (fixture.settle ? fixture.settle() : (fixture.adapter.flush?.() ?? Promise.resolve()))

    beforeEach(async () => {
      savedNow = process.env.USAGE_NOW
      process.env.USAGE_NOW = CONTRACT_NOW
      fixture = await open()
    })

    afterEach(async () => {
      await fixture.cleanup()
      if (savedNow === undefined) delete process.env.USAGE_NOW
      else process.env.USAGE_NOW = savedNow
    })

    it("returns a saved record with its fields and a Date timestamp", async () => {
      const r = record({ id: "usage_c0ffee01", timestamp: new Date("2026-11-18T10:00:00.000Z"), sessionID: "ses_1" })
      await fixture.adapter.saveRecord(r)
      await settle()
      const all = await fixture.adapter.getAllRecords()
      const got = all.find((x) => x.id === r.id)
      expect(got, "saved record is returned").to.not.equal(undefined)
      expect(got!.timestamp).to.be.instanceOf(Date)
      expect(got!.timestamp.getTime()).to.equal(r.timestamp.getTime())
      expect(got).to.include({
        provider: "anthropic",
        model: "claude-sonnet-4-5",
        inputTokens: 1000,
        outputTokens: 100,
        sessionID: "ses_1",
      })
      expect(toNanos(got!.estimatedCost)).to.equal(toNanos(0.0045))
    })

    it("counts a redelivered record once", async () => {
      const r = record({ id: "usage_dup00001", timestamp: new Date("2026-11-18T09:00:00.000Z") })
      await fixture.adapter.saveRecord(r)
      await fixture.adapter.saveRecord({ ...r, timestamp: new Date(r.timestamp.getTime()) })
      await settle()
      const summaries = await fixture.adapter.getAllSummaries()
      expect(summaries.anthropic.callCount).to.equal(1)
    })

    it("counts two events sharing a legacy id twice", async () => {
      await fixture.adapter.saveRecord(
        record({ id: "usage_5a5a5a5a", timestamp: new Date("2026-11-17T09:00:00.000Z") }),
      )
      await fixture.adapter.saveRecord(
        record({ id: "usage_5a5a5a5a", timestamp: new Date("2026-11-17T09:00:01.000Z") }),
      )
      await settle()
      const summaries = await fixture.adapter.getAllSummaries()
      expect(summaries.anthropic.callCount).to.equal(2)
    })

    it("sums the current billing period per provider exactly, with Date period bounds", async () => {
      const costs = [0.1, 0.2, 0.3, 0.000000001, 1.23456789]
      let i = 0
      for (const c of costs) {
        await fixture.adapter.saveRecord(
          record({
            id: `usage_sum0000${i}`,
            provider: "openai",
            model: "gpt-5.2",
            estimatedCost: c,
            timestamp: new Date(`2026-11-1${i}T08:00:00.000Z`),
          }),
        )
        i++
      }
      // Before openai's current period (monthly from the 1st): not counted.
      await fixture.adapter.saveRecord(
        record({
          id: "usage_oct00001",
          provider: "openai",
          estimatedCost: 5,
          timestamp: new Date("2026-10-20T08:00:00.000Z"),
        }),
      )
      await settle()
      const s = (await fixture.adapter.getAllSummaries()).openai
      expect(s.callCount).to.equal(5)
      expect(toNanos(s.totalCost)).to.equal(costs.reduce((sum, c) => sum + toNanos(c), 0))
      expect(s.totalInputTokens).to.equal(5000)
      expect(s.totalOutputTokens).to.equal(500)
      expect(s.periodStart).to.be.instanceOf(Date)
      expect(s.nextReset).to.be.instanceOf(Date)
      expect(s.nextReset.getTime()).to.be.greaterThan(s.periodStart.getTime())
      expect(s.resetType).to.equal("monthly")
    })

    it("gives rangeDays daily points ending today, today included, zeros on empty days", async () => {
      await fixture.adapter.saveRecord(
        record({ id: "usage_today001", estimatedCost: 0.5, timestamp: new Date("2026-11-18T11:00:00.000Z") }),
      )
      await fixture.adapter.saveRecord(
        record({ id: "usage_older001", estimatedCost: 0.25, timestamp: new Date("2026-11-16T11:00:00.000Z") }),
      )
      await settle()
      const trends = await fixture.adapter.getProviderTrends("anthropic", 7)
      expect(trends.provider).to.equal("anthropic")
      expect(trends.dataPoints).to.have.length(7)
      const last = trends.dataPoints[6]
      expect(last.calls).to.equal(1)
      expect(toNanos(last.cost)).to.equal(toNanos(0.5))
      expect(trends.dataPoints.reduce((n, p) => n + p.calls, 0)).to.equal(2)
      expect(trends.dataPoints.filter((p) => p.calls === 0)).to.have.length(5)
      expect(toNanos(trends.totalCost)).to.equal(toNanos(0.75))
    })
  })
}
