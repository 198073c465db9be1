import { readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import type { StorageAdapter } from "../../src/lib/adapters/storage-adapter.js"
import { fixedClock } from "../../src/lib/clock.js"
import { toNanos } from "../../src/lib/money.js"
import type { UsageRecord } from "../../src/lib/record.js"
import { UsageTracker } from "../../src/lib/tracker.js"
import { tempDir } from "../helpers/tmp.js"

const clock = fixedClock("2026-11-18T12:00:00.000Z") // a Wednesday

function tracker(extra: Record<string, unknown> = {}) {
  return new UsageTracker({ storagePath: join(tempDir(), "usage.json"), clock, tz: "UTC", ...extra })
}

class RecordingAdapter implements StorageAdapter {
  saved: UsageRecord[] = []
  flushed = 0
  async saveRecord(r: UsageRecord) {
    this.saved.push(r)
  }
  async getAllSummaries() {
    return {}
  }
  async getProviderTrends(provider: string, rangeDays: number) {
    return { provider, rangeDays, dataPoints: [], totalCost: 0, avgDailyCost: 0 }
  }
  async getAllRecords() {
    return this.saved
  }
  async flush() {
    this.flushed++
  }
}

describe("UsageTracker (the legacy surface)", () => {
  it("records synchronously and returns the record with a Date timestamp and the legacy cost", () => {
    const t = tracker()
    const r = t.recordUsage({
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      inputTokens: 1_000_000,
      outputTokens: 100_000,
      taskType: "primary",
      sessionID: "ses_1",
    })
    expect(r.timestamp).to.be.instanceOf(Date)
    expect(r.timestamp.toISOString()).to.equal("2026-11-18T12:00:00.000Z")
    expect(r.estimatedCost).to.be.closeTo(3 + 1.5, 1e-12)
    expect(r.id).to.match(/^usage_[0-9a-f-]{36}$/)
    expect(r.unpriced).to.equal(undefined)
    expect(t.getAllRecords()).to.have.length(1)
  })

  it("keeps legacy prices and flags a model nobody knows as unpriced at the 5/20 fallback", () => {
    const t = tracker()
    expect(t.getModelPricing("claude-sonnet-4-5")).to.deep.equal({ inputPer1M: 3, outputPer1M: 15 })
    expect(t.getModelPricing("claude-haiku-4-5-latest")).to.deep.equal({ inputPer1M: 0.25, outputPer1M: 1.25 })
    expect(t.estimateCost("x", "no-such-model-zz", 1_000_000, 1_000_000)).to.equal(25)
    const r = t.recordUsage({
      provider: "x",
      model: "no-such-model-zz",
      inputTokens: 1,
      outputTokens: 1,
      taskType: "primary",
    })
    expect(r.unpriced).to.equal(true)
  })

  it("summarises each provider over its current billing period, with Date bounds", () => {
    const t = tracker()
    t.recordUsage({
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      inputTokens: 1000,
      outputTokens: 0,
      taskType: "primary",
    })
    t.recordUsage({
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      inputTokens: 2000,
      outputTokens: 0,
      taskType: "subagent",
    })
    const s = t.getProviderSummary("anthropic")
    expect(s.callCount).to.equal(2)
    expect(s.totalInputTokens).to.equal(3000)
    expect(s.periodStart.toISOString()).to.equal("2026-11-15T00:00:00.000Z") // Sunday
    expect(s.nextReset.toISOString()).to.equal("2026-11-22T00:00:00.000Z")
    expect(s.resetType).to.equal("weekly")
    expect(Object.keys(t.getAllSummaries())).to.deep.equal(["anthropic"])
    expect(toNanos(t.getTotalCost())).to.equal(toNanos(0.009))
    expect(t.getRecordsForCurrentPeriod("anthropic")).to.have.length(2)
  })

  it("answers a zero summary for a provider without records", () => {
    const s = tracker().getProviderSummary("openai")
    expect(s).to.include({ provider: "openai", callCount: 0, totalCost: 0, resetType: "monthly" })
    expect(s.periodStart.toISOString()).to.equal("2026-11-01T00:00:00.000Z")
  })

  it("loads the legacy file on start and writes it on flush() before returning", () => {
    const path = join(tempDir(), "usage.json")
    const a = new UsageTracker({ storagePath: path, clock, tz: "UTC" })
    a.recordUsage({ provider: "openai", model: "gpt-5.2", inputTokens: 10, outputTokens: 10, taskType: "primary" })
    a.flush()
    const file = JSON.parse(readFileSync(path, "utf8"))
    expect(file.version).to.equal(1)
    expect(file.records).to.have.length(1)
    expect(file.summaries.openai.callCount).to.equal(1)
    expect(Object.keys(file.summaries.openai).sort()).to.deep.equal(
      [
        "callCount",
        "nextReset",
        "periodStart",
        "provider",
        "resetType",
        "totalCost",
        "totalInputTokens",
        "totalOutputTokens",
      ].sort(),
    )
    const b = new UsageTracker({ storagePath: path, clock, tz: "UTC" })
    expect(b.getAllRecords()).to.have.length(1)
    expect(b.getAllRecords()[0].timestamp).to.be.instanceOf(Date)
    b.shutdown()
  })

  it("writes nothing with persist: false, and records nothing with enabled: false", () => {
    const path = join(tempDir(), "usage.json")
    const t = new UsageTracker({ storagePath: path, persist: false, clock })
    t.recordUsage({ provider: "openai", model: "gpt-5.2", inputTokens: 1, outputTokens: 1, taskType: "primary" })
    t.flush()
    expect(() => readFileSync(path)).to.throw()
    expect(t.getAllRecords()).to.have.length(1)
    const off = new UsageTracker({ storagePath: path, enabled: false, clock })
    const r = off.recordUsage({
      provider: "openai",
      model: "gpt-5.2",
      inputTokens: 1,
      outputTokens: 1,
      taskType: "primary",
    })
    expect(r.provider).to.equal("openai")
    expect(off.getAllRecords()).to.have.length(0)
  })

  it("hands every record to a given adapter and returns its flush", async () => {
    const adapter = new RecordingAdapter()
    const t = new UsageTracker({ adapter, clock })
    t.recordUsage({ provider: "openai", model: "gpt-5.2", inputTokens: 1, outputTokens: 1, taskType: "primary" })
    await t.flush()
    expect(adapter.saved).to.have.length(1)
    expect(adapter.flushed).to.equal(1)
    expect(t.getProviderSummary("openai").callCount).to.equal(1)
  })

  it("clears one provider or everything, in memory and in the file", () => {
    const path = join(tempDir(), "usage.json")
    const t = new UsageTracker({ storagePath: path, clock, tz: "UTC" })
    t.recordUsage({ provider: "openai", model: "gpt-5.2", inputTokens: 1, outputTokens: 1, taskType: "primary" })
    t.recordUsage({ provider: "google", model: "gemini-3-pro", inputTokens: 1, outputTokens: 1, taskType: "primary" })
    t.clearProvider("openai")
    t.flush()
    expect(JSON.parse(readFileSync(path, "utf8")).records.map((r: UsageRecord) => r.provider)).to.deep.equal(["google"])
    t.clearAll()
    t.flush()
    expect(JSON.parse(readFileSync(path, "utf8")).records).to.deep.equal([])
    expect(t.getAllRecords()).to.deep.equal([])
  })

  it("includes today in trends (the legacy off-by-one is fixed)", () => {
    const t = tracker()
    t.recordUsage({ provider: "openai", model: "gpt-5.2", inputTokens: 1000, outputTokens: 0, taskType: "primary" })
    const trends = t.getProviderTrends("openai")
    expect(trends.dataPoints).to.have.length(7)
    expect(trends.dataPoints[6]).to.include({ date: "2026-11-18", calls: 1 })
    expect(trends.dataPoints[0].date).to.equal("2026-11-12")
    expect(trends.avgDailyCost).to.be.closeTo(trends.totalCost / 7, 1e-15)
  })

  describe("storage (the legacy tracker's field, read by the plugin's tests)", () => {
    it("holds the records recorded so far, in recording order, with their token fields", () => {
      const tracker = new UsageTracker({ enabled: true, persist: false, clock, tz: "UTC" })
      tracker.recordUsage({
        provider: "anthropic",
        model: "claude-sonnet-4-5",
        inputTokens: 1200,
        outputTokens: 340,
        taskType: "primary",
        sessionID: "ses_a",
      })
      tracker.recordUsage({
        provider: "openai",
        model: "gpt-5.2",
        inputTokens: 50,
        outputTokens: 7,
        taskType: "subagent",
        cacheReadTokens: 30,
      })
      expect(tracker.storage.records.length).to.equal(2)
      expect(tracker.storage.records[0].inputTokens).to.equal(1200)
      expect(tracker.storage.records[0].outputTokens).to.equal(340)
      expect(tracker.storage.records[1].inputTokens).to.equal(50)
      expect(tracker.storage.records[1].outputTokens).to.equal(7)
      expect(tracker.storage.records[1].cacheReadTokens).to.equal(30)
      expect(tracker.storage.records.map((r) => r.provider)).to.deep.equal(["anthropic", "openai"])
      expect(tracker.storage.records[0].timestamp).to.be.instanceOf(Date)
    })

    it("has the legacy UsageStorage shape: version 1, a Date lastUpdated, legacy summaries per provider", () => {
      const path = join(tempDir(), "usage.json")
      const t = new UsageTracker({ storagePath: path, clock, tz: "UTC" })
      t.recordUsage({ provider: "openai", model: "gpt-5.2", inputTokens: 10, outputTokens: 10, taskType: "primary" })
      const storage = t.storage
      expect(Object.keys(storage).sort()).to.deep.equal(["lastUpdated", "records", "summaries", "version"])
      expect(storage.version).to.equal(1)
      expect(storage.lastUpdated).to.be.instanceOf(Date)
      expect(storage.lastUpdated.toISOString()).to.equal("2026-11-18T12:00:00.000Z")
      expect(Object.keys(storage.summaries)).to.deep.equal(["openai"])
      t.flush()
      // The same summaries as the legacy file holds.
      const file = JSON.parse(readFileSync(path, "utf8"))
      expect(JSON.parse(JSON.stringify(storage.summaries))).to.deep.equal(file.summaries)
      expect(storage.summaries.openai.periodStart).to.be.instanceOf(Date)
    })

    it("starts from the legacy file's records and follows clearProvider", () => {
      const path = join(tempDir(), "usage.json")
      const a = new UsageTracker({ storagePath: path, clock, tz: "UTC" })
      a.recordUsage({ provider: "openai", model: "gpt-5.2", inputTokens: 1, outputTokens: 1, taskType: "primary" })
      a.flush()
      const b = new UsageTracker({ storagePath: path, clock, tz: "UTC" })
      b.recordUsage({ provider: "google", model: "gemini-3-pro", inputTokens: 2, outputTokens: 2, taskType: "primary" })
      expect(b.storage.records.map((r) => r.provider)).to.deep.equal(["openai", "google"])
      b.clearProvider("openai")
      expect(b.storage.records.map((r) => r.provider)).to.deep.equal(["google"])
      expect(Object.keys(b.storage.summaries)).to.deep.equal(["google"])
    })

    it("is read-only: it cannot be replaced, and changing what it returns does not change the tracker", () => {
      const t = tracker()
      t.recordUsage({ provider: "openai", model: "gpt-5.2", inputTokens: 1, outputTokens: 1, taskType: "primary" })
      const writable = t as unknown as { storage: unknown }
      expect(() => {
        writable.storage = { records: [] }
      }).to.throw(TypeError)
      expect(() => t.storage.records.pop()).to.throw(TypeError)
      expect(t.getAllRecords()).to.have.length(1)
    })

    it("is built when read, once per change: reading twice without a new record answers the same object", () => {
      const t = tracker()
      t.recordUsage({ provider: "openai", model: "gpt-5.2", inputTokens: 1, outputTokens: 1, taskType: "primary" })
      const first = t.storage
      expect(t.storage).to.equal(first)
      t.recordUsage({ provider: "openai", model: "gpt-5.2", inputTokens: 1, outputTokens: 1, taskType: "primary" })
      expect(t.storage).to.not.equal(first)
      expect(t.storage.records).to.have.length(2)
      expect(first.records).to.have.length(1)
    })

    it("is empty with enabled: false", () => {
      const t = new UsageTracker({ enabled: false, clock })
      t.recordUsage({ provider: "openai", model: "gpt-5.2", inputTokens: 1, outputTokens: 1, taskType: "primary" })
      expect(t.storage.records).to.deep.equal([])
      expect(t.storage.summaries).to.deep.equal({})
    })
  })

  it("keys trend days in its zone, not in UTC as the legacy tracker did", () => {
    const late = fixedClock("2026-11-18T20:00:00.000Z") // 2026-11-19 05:00 in Tokyo
    const t = new UsageTracker({ persist: false, clock: late, tz: "Asia/Tokyo" })
    t.recordUsage({ provider: "openai", model: "gpt-5.2", inputTokens: 1000, outputTokens: 0, taskType: "primary" })
    const trends = t.getProviderTrends("openai")
    expect(trends.dataPoints[6]).to.include({ date: "2026-11-19", calls: 1 })
    expect(trends.dataPoints.find((p) => p.date === "2026-11-18")?.calls).to.equal(0)
  })

  describe("analytics over the local view", () => {
    function seeded() {
      const path = join(tempDir(), "usage.json")
      const now = new Date("2026-11-18T12:00:00.000Z").getTime()
      const at = (days: number) => new Date(now - days * 86_400_000).toISOString()
      const recs = [
        {
          id: "usage_00000001",
          timestamp: at(1),
          provider: "anthropic",
          model: "claude-opus-4-5",
          inputTokens: 1000,
          outputTokens: 1000,
          estimatedCost: 0.09,
          taskType: "primary",
          sessionID: "s1",
        },
        {
          id: "usage_00000002",
          timestamp: at(1.01),
          provider: "anthropic",
          model: "claude-haiku-4-5",
          inputTokens: 1000,
          outputTokens: 0,
          estimatedCost: 0.01,
          taskType: "subagent",
          sessionID: "s1",
        },
        {
          id: "usage_00000003",
          timestamp: at(2),
          provider: "openai",
          model: "gpt-5-nano",
          inputTokens: 4000,
          outputTokens: 0,
          estimatedCost: 2,
          taskType: "background-task",
          sessionID: "s2",
        },
        {
          id: "usage_00000004",
          timestamp: at(9),
          provider: "openai",
          model: "gpt-5.2",
          inputTokens: 10,
          outputTokens: 0,
          estimatedCost: 1.05,
          taskType: "primary",
        },
      ]
      writeFileSync(path, JSON.stringify({ version: 1, lastUpdated: at(0), records: recs, summaries: {} }))
      return new UsageTracker({ storagePath: path, clock, tz: "UTC" })
    }

    it("compares the last 7 days with the 7 before", () => {
      const w = seeded().getWeeklySummary()
      expect(w.current.totalCalls).to.equal(3)
      expect(w.current.totalCost).to.be.closeTo(2.1, 1e-9)
      expect(w.previous.totalCalls).to.equal(1)
      expect(w.change.costPercent).to.be.closeTo(100, 1e-9)
      expect(w.change.callsPercent).to.be.closeTo(200, 1e-9)
      expect(w.avgDailySpend).to.be.closeTo(0.3, 1e-9)
    })

    it("compares the last month with the month before", () => {
      const m = seeded().getMonthlySummary()
      expect(m.current.totalCalls).to.equal(4)
      expect(m.previous.totalCalls).to.equal(0)
      expect(m.change).to.deep.equal({ costPercent: 0, callsPercent: 0 })
      expect(m.avgDailySpend).to.be.closeTo(3.15 / 31, 1e-9)
    })

    it("breaks the week down by task type with shares", () => {
      const c = seeded().getByCategory()
      expect(Object.keys(c).sort()).to.deep.equal(["background-task", "primary", "subagent"])
      expect(c["background-task"].percentage).to.be.closeTo((2 / 2.1) * 100, 1e-9)
      expect(c.primary.calls).to.equal(1)
    })

    it("rates models and tiers by cost per 1k tokens and tokens per $1", () => {
      const e = seeded().getEfficiency()
      expect(e.byModel["claude-opus-4-5"].avgCostPer1kTokens).to.be.closeTo(0.045, 1e-12)
      expect(e.byModel["gpt-5-nano"].tokensPer$1).to.be.closeTo(2000, 1e-9)
      expect(Object.keys(e.byTier).sort()).to.deep.equal(["budget", "premium"])
    })

    it("counts sessions with average cost, duration and a cost distribution", () => {
      const s = seeded().getSessionStats()
      expect(s.totalSessions).to.equal(2)
      expect(s.avgSessionCost).to.be.closeTo(1.05, 1e-9)
      expect(s.avgSessionDuration).to.be.closeTo((0.01 * 1440) / 2, 1e-6)
      expect(s.costDistribution.find((d) => d.range === "$0.10-$0.50")?.count).to.equal(1)
      expect(s.costDistribution.find((d) => d.range === "$1.00-$5.00")?.count).to.equal(1)
    })
  })
})
