import { expect } from "chai"
import { PostgresAlertStore } from "../../../src/lib/budgets/alert-store-postgres.js"
import { parseServiceConfig } from "../../../src/lib/config.js"
import { type RunningServer, startServer } from "../../../src/lib/server/start.js"
import { PostgresStore } from "../../../src/lib/store/postgres/store.js"
import { PG_TEST_URL, skipWithoutPostgres, testSchemas } from "../../helpers/postgres.js"
import { NOW, wireRecord } from "../server/helpers.js"
import { WebhookReceiver } from "./webhook-receiver.js"

describe("budget alerts with two replicas on one PostgreSQL schema", () => {
  const schemas = testSchemas("uh_budgets")
  let receiver: WebhookReceiver
  const replicas: RunningServer[] = []
  const stores: PostgresStore[] = []

  before(async function () {
    await skipWithoutPostgres(this)
  })

  after(async () => {
    for (const replica of replicas.splice(0)) await replica.close()
    for (const store of stores.splice(0)) await store.close()
    await receiver?.down()
    await schemas.drop()
  })

  it("raises each crossing once, whichever replica the records reach", async () => {
    receiver = new WebhookReceiver()
    await receiver.up()
    const schema = schemas.next()
    const service = parseServiceConfig({
      budgets: [
        { name: "cluster", amount: 2, period: "day", warnAt: [0.5, 0.8, 1] },
        { name: "anthropic", amount: 1, period: "billing", provider: "anthropic" },
      ],
      alerts: { webhooks: [{ url: receiver.url, secret: "s" }] },
    })
    for (let i = 0; i < 2; i++) {
      const store = await PostgresStore.open(PG_TEST_URL, { schema, poolSize: 4 })
      stores.push(store)
      replicas.push(
        await startServer({
          store,
          alertStore: await PostgresAlertStore.open(PG_TEST_URL, schema),
          ownsAlertStore: true,
          host: "127.0.0.1",
          port: 0,
          tz: "UTC",
          clock: () => NOW,
          service,
          budgetTuning: { refreshMs: 50, delivery: { pollMs: 50, backoff: { baseMs: 50, maxMs: 200 } } },
        }),
      )
    }
    // 40 records of 0.06 each (2.40 in all), alternately to each replica, a few at once.
    const posts: Promise<Response>[] = []
    for (let i = 0; i < 40; i++) {
      const replica = replicas[i % 2]
      posts.push(
        fetch(`${replica.url}/ingest/usage`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify([wireRecord({ estimatedCost: 0.06, timestamp: NOW.toISOString() })]),
        }),
      )
      if (i % 4 === 3) for (const res of await Promise.all(posts.splice(0))) expect(res.status).to.equal(200)
    }
    const alerts = await receiver.waitFor(5)
    // Both replicas keep reading the rollups and claiming: nothing more arrives.
    await new Promise((r) => setTimeout(r, 500))
    expect(receiver.received).to.have.length(5)
    expect(alerts.map((a) => `${a.json.budget}@${a.json.threshold}`).sort()).to.deep.equal([
      "anthropic@0.8",
      "anthropic@1",
      "cluster@0.5",
      "cluster@0.8",
      "cluster@1",
    ])
    expect(new Set(alerts.map((a) => a.headers["idempotency-key"])).size).to.equal(5)
  })
})
