import { createHmac } from "node:crypto"
import { join } from "node:path"
import { expect } from "chai"
import type { BudgetState } from "../../../src/lib/budgets/budget-types.js"
import { parseServiceConfig, type ServiceConfigInput } from "../../../src/lib/config.js"
import { type RunningServer, startServer } from "../../../src/lib/server/start.js"
import { tempDir } from "../../helpers/tmp.js"
import { NOW, wireRecord } from "../server/helpers.js"
import { type Received, WebhookReceiver } from "./webhook-receiver.js"

const SECRET = "webhook-secret"
const FAST = { refreshMs: 100, delivery: { backoff: { baseMs: 50, maxMs: 200 }, pollMs: 50, timeoutMs: 1000 } }

function serviceConfig(receiver: WebhookReceiver, budgets: ServiceConfigInput["budgets"]) {
  return parseServiceConfig({ budgets, alerts: { webhooks: [{ url: receiver.url, secret: SECRET }] } })
}

async function post(server: RunningServer, records: unknown[]): Promise<void> {
  const res = await fetch(`${server.url}/ingest/usage`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(records),
  })
  expect(res.status).to.equal(200)
}

async function settle(server: RunningServer): Promise<void> {
  await server.app.usageHubIdle()
  await server.app.usageHubBudgets.settled()
}

function expectSigned(alert: Received): void {
  const expected = `sha256=${createHmac("sha256", SECRET).update(alert.body).digest("hex")}`
  expect(alert.headers["x-usage-signature"]).to.equal(expected)
  expect(alert.headers["idempotency-key"]).to.equal(alert.json.idempotencyKey)
}

const cost = (estimatedCost: number, over: Record<string, unknown> = {}) =>
  wireRecord({ estimatedCost, timestamp: NOW.toISOString(), ...over })

describe("budget alerts (service on SQLite, loopback webhook receiver)", () => {
  let receiver: WebhookReceiver
  let server: RunningServer | undefined

  beforeEach(async () => {
    receiver = new WebhookReceiver()
    await receiver.up()
  })

  afterEach(async () => {
    await server?.close()
    server = undefined
    await receiver.down()
  })

  const start = (db: string, budgets: ServiceConfigInput["budgets"]) =>
    startServer({
      db,
      host: "127.0.0.1",
      port: 0,
      tz: "UTC",
      clock: () => NOW,
      service: serviceConfig(receiver, budgets),
      budgetTuning: FAST,
    })

  it("sends each threshold crossing once, signed, with one idempotency key, across a restart", async () => {
    const db = join(tempDir(), "usage.db")
    const budgets = [{ name: "team", amount: 1, period: "day" as const, provider: "anthropic" }]
    server = await start(db, budgets)
    await post(server, [cost(0.3)])
    await settle(server)
    expect(receiver.received).to.have.length(0)
    await post(server, [cost(0.55)]) // 0.85: warning (80%)
    await receiver.waitFor(1)
    await post(server, [cost(0.1), cost(0.1)]) // 1.05: exceeded
    await post(server, [cost(0.1, { provider: "openai" })]) // another provider: not this budget's
    const alerts = await receiver.waitFor(2)
    expect(alerts.map((a) => a.json.event)).to.deep.equal(["budget.warning", "budget.exceeded"])
    expect(alerts.map((a) => a.json.threshold)).to.deep.equal([0.8, 1])
    for (const alert of alerts) expectSigned(alert)
    expect(new Set(alerts.map((a) => a.json.idempotencyKey)).size).to.equal(2)
    expect(alerts[1].json).to.include({ budget: "team", amount: 1, periodStart: "2026-11-20T00:00:00.000Z" })
    expect(alerts[1].json.spent).to.be.closeTo(1.05, 1e-9)
    expect(alerts[1].json.text).to.match(/^Budget "team" exceeded: \$1\.05 of \$1\.00/)

    // Restart on the same file: the crossings already alerted are not alerted again.
    await server.close()
    server = await start(db, budgets)
    await post(server, [cost(0.2)])
    await settle(server)
    await new Promise((r) => setTimeout(r, 300))
    await settle(server)
    expect(receiver.received).to.have.length(2)
  })

  it("counts a late record toward the period it belongs to, and alerts for that period", async () => {
    const db = join(tempDir(), "usage.db")
    server = await start(db, [{ name: "daily", amount: 1, period: "day" }])
    const yesterday = new Date(NOW.getTime() - 86_400_000).toISOString()
    await post(server, [cost(1.5, { timestamp: yesterday })])
    const alerts = await receiver.waitFor(2)
    expect(alerts.map((a) => a.json.periodStart)).to.deep.equal([
      "2026-11-19T00:00:00.000Z",
      "2026-11-19T00:00:00.000Z",
    ])
    const res = await fetch(`${server.url}/api/usage/budgets`)
    const { budgets } = (await res.json()) as { budgets: Array<Record<string, unknown>> }
    expect(budgets).to.deep.equal([
      {
        name: "daily",
        amount: 1,
        spent: 0,
        share: 0,
        periodStart: "2026-11-20T00:00:00.000Z",
        periodEnd: "2026-11-21T00:00:00.000Z",
        projected: 0,
        status: "ok",
      },
    ])
  })

  it("delivers every alert to a receiver that was down when they were raised, across a service restart", async () => {
    const db = join(tempDir(), "usage.db")
    await receiver.down()
    server = await start(db, [
      { name: "a", amount: 1, period: "day" },
      { name: "b", amount: 2, period: "month", warnAt: [0.5, 0.9, 1] },
    ])
    await post(server, [cost(2.5)])
    await settle(server)
    // A few failed attempts (connection refused), retried with backoff from the outbox.
    await new Promise((r) => setTimeout(r, 400))
    expect(receiver.received).to.have.length(0)
    // The service restarts meanwhile: the outbox is in the store.
    await server.close()
    server = await start(db, [
      { name: "a", amount: 1, period: "day" },
      { name: "b", amount: 2, period: "month", warnAt: [0.5, 0.9, 1] },
    ])
    await new Promise((r) => setTimeout(r, 200))
    await receiver.up()
    const alerts = await receiver.waitFor(5)
    await new Promise((r) => setTimeout(r, 300))
    expect(receiver.received).to.have.length(5)
    expect(alerts.map((a) => `${a.json.budget}@${a.json.threshold}`).sort()).to.deep.equal([
      "a@0.8",
      "a@1",
      "b@0.5",
      "b@0.9",
      "b@1",
    ])
    for (const alert of alerts) expectSigned(alert)
  })

  it("reports spent, share, projection and status on GET /api/usage/budgets", async () => {
    const db = join(tempDir(), "usage.db")
    server = await start(db, [
      { name: "month", amount: 10, period: "month" },
      { name: "opus", amount: 1, period: "week", model: "claude-opus-4" },
    ])
    await post(server, [cost(9), cost(0.5, { model: "claude-opus-4" })])
    await settle(server)
    const res = await fetch(`${server.url}/api/usage/budgets`)
    const { budgets } = (await res.json()) as { budgets: BudgetState[] }
    const month = budgets.find((b) => b.name === "month")!
    expect(month).to.include({ amount: 10, status: "warning", periodStart: "2026-11-01T00:00:00.000Z" })
    expect(month.spent).to.be.closeTo(9.5, 1e-9)
    expect(month.share).to.be.closeTo(0.95, 1e-9)
    // 19.5 of 30 days elapsed.
    expect(month.projected).to.be.closeTo((9.5 * 30) / 19.5, 1e-6)
    const opus = budgets.find((b) => b.name === "opus")!
    expect(opus).to.include({ spent: 0.5, status: "ok", periodStart: "2026-11-16T00:00:00.000Z" })
  })

  it("sends a budget event on the live stream for each crossing", async () => {
    const db = join(tempDir(), "usage.db")
    server = await start(db, [{ name: "live", amount: 1, period: "day" }])
    const controller = new AbortController()
    const res = await fetch(`${server.url}/api/usage/stream`, { signal: controller.signal })
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let text = ""
    const budgetEvents = () => [...text.matchAll(/event: budget\ndata: (.*)\n\n/g)].map((m) => JSON.parse(m[1]))
    while (!text.includes("event: summary")) text += decoder.decode((await reader.read()).value, { stream: true })
    await post(server, [cost(1.2)])
    while (budgetEvents().length < 2) text += decoder.decode((await reader.read()).value, { stream: true })
    controller.abort()
    expect(budgetEvents().map((e) => [e.event, e.budget, e.threshold])).to.deep.equal([
      ["budget.warning", "live", 0.8],
      ["budget.exceeded", "live", 1],
    ])
    const webhooks = await receiver.waitFor(2)
    const keys = (list: Array<{ idempotencyKey?: unknown }>) => list.map((e) => String(e.idempotencyKey)).sort()
    expect(keys(budgetEvents())).to.deep.equal(keys(webhooks.map((w) => w.json)))
  })
})
