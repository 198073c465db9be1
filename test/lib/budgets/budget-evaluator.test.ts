import { expect } from "chai"
import { MemoryAlertStore } from "../../../src/lib/budgets/alert-store.js"
import { BudgetEvaluator, commitDeltas } from "../../../src/lib/budgets/budget-evaluator.js"
import { alertKey, budgetState, projectedSpend, statusOf } from "../../../src/lib/budgets/budget-math.js"
import type { BudgetAlert } from "../../../src/lib/budgets/budget-types.js"
import { parseServiceConfig } from "../../../src/lib/config.js"
import type { StoredRecord } from "../../../src/lib/record.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"
import type { RecordFilter } from "../../../src/lib/store/store.js"
import { record } from "../../helpers/records.js"

const NOW = Date.parse("2026-11-20T12:00:00Z")
let n = 0
const call = (estimatedCost: number, over: Partial<StoredRecord> = {}) =>
  record({ id: `r${++n}`, timestamp: new Date(NOW - 60_000), estimatedCost, ...over })

describe("budget arithmetic", () => {
  it("projects the spend at the period's end from the elapsed share of the period", () => {
    const period = { start: 0, end: 100 }
    expect(projectedSpend(5, period, 25)).to.equal(20)
    expect(projectedSpend(5, period, 100)).to.equal(5)
    expect(projectedSpend(5, period, 0)).to.equal(5)
  })

  it("is ok below the lowest threshold, warning from it, exceeded from 100%", () => {
    expect(statusOf(0.79, [0.8, 1])).to.equal("ok")
    expect(statusOf(0.8, [0.8, 1])).to.equal("warning")
    expect(statusOf(1, [0.8, 1])).to.equal("exceeded")
    expect(budgetState({ name: "b", amount: 2, warnAt: [0.5] }, { start: 0, end: 10 }, 1_000_000_000n, 5)).to.include({
      spent: 1,
      share: 0.5,
      projected: 2,
      status: "warning",
    })
  })

  it("gives one idempotency key per budget, period start and threshold", () => {
    const key = alertKey("team", NOW, 0.8)
    expect(key).to.equal(alertKey("team", NOW, 0.8))
    expect(
      new Set([key, alertKey("team", NOW, 1), alertKey("team", NOW + 1, 0.8), alertKey("other", NOW, 0.8)]).size,
    ).to.equal(4)
  })
})

describe("commit deltas", () => {
  it("sums the stored cost per dimensions and quarter hour", () => {
    const a = call(0.25)
    const b = call(0.5)
    const c = call(1, { model: "other" })
    const { groups, exact } = commitDeltas(
      [[a, b], [c]],
      [
        { accepted: 2, duplicates: 0 },
        { accepted: 1, duplicates: 0 },
      ],
    )
    expect(exact).to.equal(true)
    expect(groups.map((g) => [g.model, g.nanos])).to.deep.equal([
      ["claude-sonnet-4-5", 750_000_000],
      ["other", 1_000_000_000],
    ])
  })

  it("does not guess which records of a batch with duplicates were stored", () => {
    const { groups, exact } = commitDeltas([[call(1), call(1)]], [{ accepted: 1, duplicates: 1 }])
    expect(exact).to.equal(false)
    expect(groups).to.deep.equal([])
  })
})

describe("budget evaluator", () => {
  /** A memory store that counts reads, and an evaluator over it with one budget. */
  async function setup(budgets: unknown[]) {
    const store = new MemoryStore()
    const reads: RecordFilter[] = []
    const counted = {
      aggregate: (filter: RecordFilter, groupBy: "provider") => {
        reads.push(filter)
        return store.aggregate(filter, groupBy)
      },
    }
    const alerts: BudgetAlert[] = []
    const evaluator = new BudgetEvaluator({
      store: counted,
      alerts: new MemoryAlertStore(),
      tz: "UTC",
      now: () => NOW,
      urlsFor: () => [],
      onAlert: (alert) => alerts.push(alert),
      log: (message, error) => {
        throw error ?? new Error(message)
      },
      refreshMs: 0,
    })
    await evaluator.configure(parseServiceConfig({ budgets }).budgets)
    const commit = async (records: StoredRecord[]) => {
      const result = await store.insert(records)
      evaluator.onCommit([records], [result])
      await evaluator.settled()
    }
    return { store, reads, alerts, evaluator, commit }
  }

  it("adds commits without reading the store until a threshold is reached, then confirms it from the store", async () => {
    const { reads, alerts, commit } = await setup([{ name: "b", amount: 1, period: "day" }])
    expect(reads).to.have.length(1) // the start
    await commit([call(0.3)])
    await commit([call(0.3)])
    expect(reads).to.have.length(1)
    await commit([call(0.3)]) // 0.9: past 80%
    expect(reads).to.have.length(2)
    expect(alerts.map((a) => a.threshold)).to.deep.equal([0.8])
    await commit([call(0.05)]) // no new threshold: no read
    expect(reads).to.have.length(2)
    await commit([call(0.2)])
    expect(alerts.map((a) => a.threshold)).to.deep.equal([0.8, 1])
  })

  it("only counts the records a budget matches", async () => {
    const { alerts, evaluator, commit } = await setup([
      { name: "opus", amount: 1, period: "week", model: "opus", node: "n1", agent: "codex" },
    ])
    await commit([call(2, { model: "opus", node: "n1" }), call(2, { model: "opus", agent: "codex" })])
    await commit([call(0.5, { model: "opus", node: "n1", agent: "codex" })])
    expect(alerts).to.deep.equal([])
    expect((await evaluator.list())[0].spent).to.equal(0.5)
  })

  it("reads the store after a commit with duplicates instead of counting them", async () => {
    const { alerts, commit, evaluator } = await setup([{ name: "b", amount: 1, period: "day" }])
    const first = call(0.9)
    await commit([first])
    expect(alerts.map((a) => a.threshold)).to.deep.equal([0.8])
    await commit([first, call(0.05)]) // the redelivered record is not counted twice
    expect(alerts).to.have.length(1)
    expect((await evaluator.list())[0].spent).to.be.closeTo(0.95, 1e-12)
  })
})
