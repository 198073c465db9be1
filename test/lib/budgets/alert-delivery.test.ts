import { expect } from "chai"
import { AlertDelivery } from "../../../src/lib/budgets/alert-delivery.js"
import { MemoryAlertStore } from "../../../src/lib/budgets/alert-store.js"
import { budgetAlert, budgetState } from "../../../src/lib/budgets/budget-math.js"

const PERIOD = { start: Date.parse("2026-11-01T00:00:00Z"), end: Date.parse("2026-12-01T00:00:00Z") }
const ALERT = budgetAlert(
  budgetState({ name: "team", amount: 10, warnAt: [0.8, 1] }, PERIOD, 10_500_000_000n, PERIOD.start + 1e9),
  1,
  PERIOD.start,
)
const URL = "http://127.0.0.1:9/hook"

describe("alert delivery: retries", () => {
  it("retries an alert at most 30 s apart with the default backoff, so a receiver back from a long outage gets it within half a minute", async () => {
    const alerts = new MemoryAlertStore()
    let clock = PERIOD.start + 2e9
    let attempts = 0
    const delivery = new AlertDelivery({
      alerts,
      webhooks: () => [{ url: URL, secret: "s", events: ["budget.warning", "budget.exceeded"] }],
      log: () => {},
      now: () => clock,
      pollMs: 3_600_000,
      fetch: (async () => {
        attempts += 1
        throw new TypeError("fetch failed (connection refused)")
      }) as typeof fetch,
    })
    try {
      await alerts.claim(ALERT, [URL], clock)
      const gaps: number[] = []
      // 15 refused attempts: 1 s doubling would be past 4 hours by the last one without a cap.
      for (let i = 0; i < 15; i++) {
        delivery.wake()
        await delivery.settled()
        const due = (await alerts.nextDue()) as number
        gaps.push(due - clock)
        clock = due
      }
      expect(attempts).to.equal(15)
      expect(Math.max(...gaps)).to.be.at.most(30_000)
      // Capped, not cut short: the late retries wait between 15 and 30 s (the upper half of the cap).
      for (const gap of gaps.slice(6)) expect(gap).to.be.within(15_000, 30_000)
      // Early retries still start at about a second.
      expect(gaps[0]).to.be.within(500, 1000)
    } finally {
      await delivery.close()
    }
  })
})
