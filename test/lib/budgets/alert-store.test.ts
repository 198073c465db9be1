import { join } from "node:path"
import Database from "better-sqlite3"
import { expect } from "chai"
import { type AlertStore, MemoryAlertStore } from "../../../src/lib/budgets/alert-store.js"
import { PostgresAlertStore } from "../../../src/lib/budgets/alert-store-postgres.js"
import { SqliteAlertStore } from "../../../src/lib/budgets/alert-store-sqlite.js"
import { budgetAlert, budgetState } from "../../../src/lib/budgets/budget-math.js"
import { SCHEMA_VERSION as POSTGRES_VERSION } from "../../../src/lib/store/postgres/schema.js"
import { PostgresStore } from "../../../src/lib/store/postgres/store.js"
import { SCHEMA_VERSION as SQLITE_VERSION } from "../../../src/lib/store/sqlite/schema.js"
import { SqliteStore } from "../../../src/lib/store/sqlite/store.js"
import type { UsageStore } from "../../../src/lib/store/store.js"
import { PG_TEST_URL, skipWithoutPostgres, testSchemas, withPgClient } from "../../helpers/postgres.js"
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

/** A new database (a SQLite file, a PostgreSQL schema) opened as the usage store and as the alert store. */
interface Place {
  openStore(): Promise<UsageStore>
  openAlerts(): Promise<AlertStore>
  /** Runs one statement on a connection of its own; its rows. */
  query(sql: string): Promise<Record<string, unknown>[]>
}

const versionsOf = async (place: Place) =>
  (await place.query("SELECT version FROM usage_schema_version ORDER BY version")).map((row) => Number(row.version))
const countOf = async (place: Place, table: string) =>
  Number((await place.query(`SELECT CAST(count(*) AS INTEGER) AS n FROM ${table}`))[0].n)
const upTo = (version: number) => Array.from({ length: version }, (_, i) => i + 1)

/** The alert tables are the usage store's last migration (`version`), for each backend. */
function migrationContract(newPlace: () => Place, version: number) {
  it("creates the alert tables when a new store opens, with no budget configured", async () => {
    const place = newPlace()
    await (await place.openStore()).close()
    expect(await versionsOf(place)).to.deep.equal(upTo(version))
    expect(await countOf(place, "usage_budget_alerts")).to.equal(0)
    expect(await countOf(place, "usage_budget_outbox")).to.equal(0)
  })

  it("migrates a store whose alert tables the budgets module created itself, keeping its alerts and outbox", async () => {
    const place = newPlace()
    const before = await place.openStore()
    const alerts = await place.openAlerts()
    await alerts.claim(alert(1), ["http://a/hook", "http://b/hook"], 1000)
    await alerts.claim(alert(0.8), [], 1000)
    const [sent] = await alerts.take(1000, 5000, 1)
    await alerts.delivered(sent.id, 1100)
    await alerts.close()
    await before.close()
    // The previous release: the same tables and rows (CREATE TABLE IF NOT EXISTS by the budgets module), one
    // version less in the version table.
    await place.query(`DELETE FROM usage_schema_version WHERE version = ${version}`)

    await (await place.openStore()).close()
    expect(await versionsOf(place)).to.deep.equal(upTo(version))
    expect(await countOf(place, "usage_budget_alerts")).to.equal(2)
    expect(await countOf(place, "usage_budget_outbox")).to.equal(2)
    const reopened = await place.openAlerts()
    try {
      expect(await reopened.claim(alert(1), ["http://a/hook", "http://b/hook"], 2000)).to.equal(false)
      expect(await reopened.claim(alert(0.8), [], 2000)).to.equal(false)
      const rows = await reopened.take(2000, 5000, 10)
      expect(rows).to.have.length(1)
      expect(rows[0].id).to.not.equal(sent.id)
      expect(JSON.parse(rows[0].body)).to.deep.equal(alert(1))
    } finally {
      await reopened.close()
    }
  })

  it("opens as a usage store at the current version when the alert store opens a new database first", async () => {
    const place = newPlace()
    await (await place.openAlerts()).close()
    expect(await versionsOf(place)).to.deep.equal(upTo(version))
    const store = await place.openStore()
    expect((await store.stats()).records).to.equal(0)
    await store.close()
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

  describe("tables (store migration v7)", () =>
    migrationContract(() => {
      const path = join(tempDir(), "usage.db")
      return {
        openStore: () => SqliteStore.open(path),
        openAlerts: () => SqliteAlertStore.open(path),
        async query(sql) {
          const db = new Database(path)
          try {
            const statement = db.prepare(sql)
            if (statement.reader) return statement.all() as Record<string, unknown>[]
            statement.run()
            return []
          } finally {
            db.close()
          }
        },
      }
    }, SQLITE_VERSION))
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

  const inSchema = (schema: string): Place => ({
    openStore: () => PostgresStore.open(PG_TEST_URL, { schema, poolSize: 2 }),
    openAlerts: () => PostgresAlertStore.open(PG_TEST_URL, schema),
    query: (sql) =>
      withPgClient(async (client) => {
        await client.query(`SET search_path = "${schema}"`)
        return (await client.query(sql)).rows
      }),
  })

  describe("tables (store migration v6)", () => migrationContract(() => inSchema(schemas.next()), POSTGRES_VERSION))

  it("migrates a new schema once when replicas' stores and alert stores open it at the same time", async () => {
    const place = inSchema(schemas.next())
    const opened = await Promise.all([place.openStore(), place.openAlerts(), place.openStore(), place.openAlerts()])
    await Promise.all(opened.map((o) => o.close()))
    expect(await versionsOf(place)).to.deep.equal(upTo(POSTGRES_VERSION))
  })
})
