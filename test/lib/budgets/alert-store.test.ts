import { join } from "node:path"
import { expect } from "chai"
import { type AlertStore, MemoryAlertStore } from "../../../src/lib/budgets/alert-store.js"
import { PostgresAlertStore } from "../../../src/lib/budgets/alert-store-postgres.js"
import { SqliteAlertStore } from "../../../src/lib/budgets/alert-store-sqlite.js"
import { budgetAlert, budgetState } from "../../../src/lib/budgets/budget-math.js"
import { PG_TEST_URL, skipWithoutPostgres, testSchemas } from "../../helpers/postgres.js"
import { tempDir } from "../../helpers/tmp.js"

const PERIOD = { start: Date.parse("2026-11-01T00:00:00Z"), end: Date.parse("2026-12-01T00:00:00Z") }
const alert = (threshold: number) =>
  budgetAlert(
    budgetState({ name: "team", amount: 10, warnAt: [0.8, 1] }, PERIOD, 10_500_000_000n, PERIOD.start + 1e9),
    threshold,
    PERIOD.start,
  )

/** The alert store contract, for each backend. */
function contract(open: () => Promise<AlertStore>) {
  let store: AlertStore
  beforeEach(async () => {
    store = await open()
  })
  afterEach(() => store.close())

  it("claims a crossing once, with one outbox row per webhook URL", async () => {
    expect(await store.claim(alert(1), ["http://a/hook", "http://b/hook"], 1000)).to.equal(true)
    expect(await store.claim(alert(1), ["http://a/hook", "http://b/hook"], 1001)).to.equal(false)
    const rows = await store.take(1000, 60_000, 10)
    expect(rows.map((r) => r.url).sort()).to.deep.equal(["http://a/hook", "http://b/hook"])
    expect(rows[0]).to.include({ key: alert(1).idempotencyKey, attempts: 0 })
    expect(JSON.parse(rows[0].body)).to.deep.equal(alert(1))
  })

  it("claims an alert without webhooks (the SSE event only)", async () => {
    expect(await store.claim(alert(0.8), [], 1000)).to.equal(true)
    expect(await store.claim(alert(0.8), [], 1000)).to.equal(false)
    expect(await store.nextDue()).to.equal(undefined)
  })

  it("leases taken rows, retries a failed one when due and never sends a delivered one again", async () => {
    await store.claim(alert(1), ["http://a/hook"], 1000)
    const [row] = await store.take(1000, 5000, 10)
    expect(await store.take(2000, 5000, 10)).to.deep.equal([]) // leased
    await store.failed(row.id, 3000, "HTTP 503")
    expect(await store.nextDue()).to.equal(3000)
    expect(await store.take(2999, 5000, 10)).to.deep.equal([])
    const [again] = await store.take(3000, 5000, 10)
    expect(again).to.include({ id: row.id, attempts: 1 })
    await store.delivered(again.id, 3100)
    expect(await store.take(1e12, 5000, 10)).to.deep.equal([])
    expect(await store.nextDue()).to.equal(undefined)
  })

  it("drops a row given up on", async () => {
    await store.claim(alert(1), ["http://a/hook"], 1000)
    const [row] = await store.take(1000, 5000, 10)
    await store.failed(row.id, undefined, "HTTP 410")
    expect(await store.take(1e12, 5000, 10)).to.deep.equal([])
  })
}

describe("alert store: memory", () => contract(async () => new MemoryAlertStore()))

describe("alert store: SQLite", () => {
  contract(() => SqliteAlertStore.open(join(tempDir(), "usage.db")))

  it("keeps claims and the outbox across a reopen of the file", async () => {
    const path = join(tempDir(), "usage.db")
    const first = await SqliteAlertStore.open(path)
    await first.claim(alert(1), ["http://a/hook"], 1000)
    await first.close()
    const second = await SqliteAlertStore.open(path)
    expect(await second.claim(alert(1), ["http://a/hook"], 2000)).to.equal(false)
    expect(await second.take(2000, 5000, 10)).to.have.length(1)
    await second.close()
  })
})

describe("alert store: PostgreSQL", () => {
  const schemas = testSchemas("uh_alert_store")
  before(async function () {
    await skipWithoutPostgres(this)
  })
  after(() => schemas.drop())

  contract(async () => {
    const schema = schemas.next()
    const { withPgClient } = await import("../../helpers/postgres.js")
    await withPgClient((client) => client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`))
    return PostgresAlertStore.open(PG_TEST_URL, schema)
  })

  it("gives a row to one of two takers at once (SKIP LOCKED and the lease)", async () => {
    const schema = schemas.next()
    const { withPgClient } = await import("../../helpers/postgres.js")
    await withPgClient((client) => client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`))
    const a = await PostgresAlertStore.open(PG_TEST_URL, schema)
    const b = await PostgresAlertStore.open(PG_TEST_URL, schema)
    try {
      const urls = Array.from({ length: 20 }, (_, i) => `http://r${i}/hook`)
      const claims = await Promise.all([a.claim(alert(1), urls, 1000), b.claim(alert(1), urls, 1000)])
      expect(claims.filter(Boolean)).to.have.length(1)
      const [fromA, fromB] = await Promise.all([a.take(1000, 60_000, 15), b.take(1000, 60_000, 15)])
      expect(fromA.length + fromB.length).to.equal(20)
      expect(new Set([...fromA, ...fromB].map((r) => r.id)).size).to.equal(20)
    } finally {
      await a.close()
      await b.close()
    }
  })
})
