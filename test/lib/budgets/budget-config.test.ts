import { expect } from "chai"
import { parseServiceConfig } from "../../../src/lib/config.js"

describe("service config (budgets and alert webhooks)", () => {
  it("defaults warnAt to 80% and 100% and a webhook's events to both", () => {
    const cfg = parseServiceConfig({
      budgets: [{ name: "team", amount: 100, period: "month" }],
      alerts: { webhooks: [{ url: "http://127.0.0.1:9/hook", secret: "s" }] },
    })
    expect(cfg.budgets[0].warnAt).to.deep.equal([0.8, 1])
    expect(cfg.alerts.webhooks[0].events).to.deep.equal(["budget.warning", "budget.exceeded"])
  })

  it("is empty without a service object", () => {
    expect(parseServiceConfig(undefined)).to.deep.equal({ budgets: [], alerts: { webhooks: [] } })
  })

  it("asks for a provider when the period is billing, naming the key and the fix", () => {
    expect(() => parseServiceConfig({ budgets: [{ name: "a", amount: 5, period: "billing" }] })).to.throw(
      /service\.budgets\.0\.provider: is required when period is "billing" \(name the provider/,
    )
  })

  it("names the key and the fix of a bad period, amount, webhook URL or event", () => {
    expect(() => parseServiceConfig({ budgets: [{ name: "a", amount: 5, period: "year" }] })).to.throw(
      /service\.budgets\.0\.period: .*\(use "billing", "day", "week" or "month"\)/,
    )
    expect(() => parseServiceConfig({ budgets: [{ name: "a", amount: -1, period: "day" }] })).to.throw(
      /service\.budgets\.0\.amount: .*\(give a positive number of USD/,
    )
    expect(() => parseServiceConfig({ alerts: { webhooks: [{ url: "ftp://x", secret: "s" }] } })).to.throw(
      /service\.alerts\.webhooks\.0\.url: must be an http/,
    )
    expect(() =>
      parseServiceConfig({ alerts: { webhooks: [{ url: "http://x", secret: "s", events: ["budget.nope"] }] } }),
    ).to.throw(/service\.alerts\.webhooks\.0\.events\.0: .*\(use a subset of/)
  })

  it("refuses two budgets of one name", () => {
    const budget = { name: "a", amount: 5, period: "day" }
    expect(() => parseServiceConfig({ budgets: [budget, budget] })).to.throw(
      /service\.budgets\.1\.name: "a" is used twice/,
    )
  })
})
