import { readFileSync } from "node:fs"
import { expect } from "chai"
import pg from "pg"
import { StoreAdapter } from "../../../../src/lib/adapters/store-adapter.js"
import { UsageHubError } from "../../../../src/lib/errors.js"
import { type AggregateRequest, type QueryPlan, runPlan } from "../../../../src/lib/query/plan.js"
import { summaryPlan } from "../../../../src/lib/query/summary.js"
import { trendsPlan } from "../../../../src/lib/query/trends.js"
import { SCHEMA_VERSION } from "../../../../src/lib/store/postgres/schema.js"
import { PostgresStore } from "../../../../src/lib/store/postgres/store.js"
import { NARROW_LEVELS } from "../../../../src/lib/store/rollup.js"
import { SESSION_TABLES, STORE_TABLES } from "../../../../src/lib/store/sql-query.js"
import { PG_TEST_URL, skipWithoutPostgres, testSchemas, withPgClient } from "../../../helpers/postgres.js"
import { describeStorageAdapterContract } from "../../adapters/storage-adapter-contract.js"
import { describeSessionsContract } from "../sessions-contract.js"
import { collect, describeStoreContract, generateRecords, record } from "../store-contract.js"
import { describeUpgradeFromPreviousRelease, storeFixture } from "../upgrade-contract.js"

const NARROW_TABLES = NARROW_LEVELS.map((level) => level.table)

const URL = PG_TEST_URL
/** Every store of this run lives in its own schema, dropped at the end. */
const schemas = testSchemas("uh_test")
const newSchema = () => schemas.next()
const openIn = (schema: string) => PostgresStore.open(URL, { schema, poolSize: 4 })

describe("PostgreSQL store", function () {
  this.timeout(30_000)

  before(async function () {
    await skipWithoutPostgres(this)
  })

  after(() => schemas.drop())

  const schemaOf = new WeakMap<object, string>()
  describeStoreContract(
    "PostgresStore",
    async () => {
      const schema = newSchema()
      const store = await openIn(schema)
      schemaOf.set(store, schema)
      return store
    },
    {
      reopen: async (store) => {
        await store.close()
        const schema = schemaOf.get(store)!
        const reopened = await openIn(schema)
        schemaOf.set(reopened, schema)
        return reopened
      },
      reopenWithoutNarrowRollups: async (store) => {
        await store.close()
        const schema = schemaOf.get(store)!
        await withPgClient((client) =>
          client.query(
            `SET search_path = ${schema}; DROP TABLE ${NARROW_TABLES.join(", ")}; DELETE FROM usage_schema_version WHERE version >= 5;`,
          ),
        )
        const reopened = await openIn(schema)
        schemaOf.set(reopened, schema)
        return reopened
      },
    },
  )

  describeSessionsContract(
    "PostgresStore",
    async () => {
      const schema = newSchema()
      const store = await openIn(schema)
      schemaOf.set(store, schema)
      return store
    },
    {
      reopenFromPreviousVersion: async (store) => {
        await store.close()
        const schema = schemaOf.get(store)!
        await withPgClient((client) =>
          client.query(
            `SET search_path = ${schema}; DROP TABLE ${[...SESSION_TABLES, ...NARROW_TABLES].join(", ")}; DELETE FROM usage_schema_version WHERE version >= 4;`,
          ),
        )
        return openIn(schema)
      },
    },
  )

  describeUpgradeFromPreviousRelease(
    "PostgresStore (schema v1)",
    async () => {
      // The previous release's tables, restored from its pg_dump into a schema of this run.
      const schema = newSchema()
      const dump = readFileSync(storeFixture("v1-postgres.sql"), "utf8").replaceAll("__SCHEMA__", schema)
      await withPgClient((client) => client.query(dump))
      return openIn(schema)
    },
    { quarantined: 2 },
  )

  describeStorageAdapterContract("StoreAdapter over PostgresStore", async () => {
    const adapter = new StoreAdapter({ store: await openIn(newSchema()), nodeId: "node-a" })
    return { adapter, cleanup: () => adapter.close() }
  })

  describe("PostgresStore", () => {
    it("migrates once when several replicas open a new database at the same time", async () => {
      const schema = newSchema()
      const stores = await Promise.all(Array.from({ length: 4 }, () => openIn(schema)))
      await Promise.all(stores.map((s) => s.close()))
      const { rows } = await withPgClient((client) =>
        client.query(`SELECT version FROM "${schema}".usage_schema_version`),
      )
      expect(rows).to.deep.equal(Array.from({ length: SCHEMA_VERSION }, (_, i) => ({ version: i + 1 })))
    })

    it("counts records that two replicas receive at the same time once", async () => {
      const schema = newSchema()
      const [a, b] = await Promise.all([openIn(schema), openIn(schema)])
      try {
        const records = generateRecords(400, 11, Date.parse("2026-11-01T00:00:00Z"), Date.parse("2026-11-20T00:00:00Z"))
        const results = await Promise.all([
          a.insertBatches([records.slice(0, 200), records.slice(200)]),
          b.insert(records),
          a.insert(records.slice(100, 300)),
        ])
        const accepted = results.flat().reduce((sum, r) => sum + r.accepted, 0)
        expect(accepted).to.equal(400)
        expect((await collect(b)).records).to.have.length(400)
        expect((await a.aggregate({}, "provider")).reduce((sum, r) => sum + r.calls, 0)).to.equal(400)
        expect((await b.stats()).records).to.equal(400)
      } finally {
        await Promise.all([a.close(), b.close()])
      }
    })

    it("writes for a commit mixing stored and new records exactly what the new records alone write", async () => {
      /** Every store table's rows (the counter slots summed, receipt times left out), sorted. */
      const contents = (schema: string) =>
        withPgClient(async (client) => {
          const tables: Record<string, string[]> = {}
          for (const table of STORE_TABLES.filter((t) => t !== "usage_counters" && t !== "usage_schema_version")) {
            const { rows } = await client.query(
              `SELECT (to_jsonb(t) - 'last_received_at')::text AS row FROM ${schema}.${table} AS t`,
            )
            tables[table] = rows.map((r) => r.row).sort()
          }
          const { rows } = await client.query(`SELECT SUM(records)::text AS n FROM ${schema}.usage_counters`)
          return { tables, records: rows[0].n }
        })
      const records = generateRecords(600, 31, Date.parse("2026-10-01T00:00:00Z"), Date.parse("2026-11-20T00:00:00Z"))
      const [mixedSchema, newSchemaOnly] = [newSchema(), newSchema()]
      const [mixed, only] = await Promise.all([openIn(mixedSchema), openIn(newSchemaOnly)])
      try {
        await mixed.insert(records.slice(0, 300))
        // Stored and new records in each batch of one commit, and a batch of stored records only.
        expect(
          await mixed.insertBatches([records.slice(200, 450), records.slice(100, 150), records.slice(450)]),
        ).to.deep.equal([
          { accepted: 150, duplicates: 100 },
          { accepted: 0, duplicates: 50 },
          { accepted: 150, duplicates: 0 },
        ])
        expect(await mixed.insert(records.slice(0, 600))).to.deep.equal({ accepted: 0, duplicates: 600 })
        await only.insert(records.slice(0, 300))
        await only.insert(records.slice(300))
        const [got, want] = [await contents(mixedSchema), await contents(newSchemaOnly)]
        expect(got.records).to.equal("600")
        expect(got).to.deep.equal(want)
      } finally {
        await Promise.all([mixed.close(), only.close()])
      }
    })

    it("answers aggregateMany exactly as the per-request aggregates, in every zone", async () => {
      const store = await openIn(newSchema())
      try {
        const records = generateRecords(
          3000,
          21,
          Date.parse("2026-09-20T00:00:00Z"),
          Date.parse("2026-11-25T00:00:00Z"),
        )
        await store.insert(records)
        const now = new Date("2026-11-24T17:45:00Z")
        const plans: (() => QueryPlan<unknown>)[] = []
        for (const tz of ["UTC", "Asia/Kolkata", "Asia/Kathmandu"]) {
          plans.push(() => summaryPlan({ tz }, now))
          plans.push(() => summaryPlan({ tz, by: "model", node: records[0].node }, now))
          plans.push(() => trendsPlan({ provider: records[0].provider, rangeDays: 30, tz }, now))
        }
        // The per-request path (aggregate only) records every step's requests and answers.
        const steps: { requests: AggregateRequest[]; answers: unknown[] }[] = []
        const oneByOne = {
          aggregate: async (filter: AggregateRequest["filter"], groupBy: AggregateRequest["groupBy"]) => {
            const answer = await store.aggregate(filter, groupBy)
            steps[steps.length - 1].answers.push(answer)
            return answer
          },
        }
        for (const plan of plans) {
          const generator = plan()
          const driven: QueryPlan<unknown> = (function* () {
            let step = generator.next(undefined as never)
            while (!step.done) {
              steps.push({ requests: step.value, answers: [] })
              step = generator.next(yield step.value)
            }
            return step.value
          })()
          const expected = await runPlan(driven, oneByOne)
          expect(await runPlan(plan(), store)).to.deep.equal(expected)
        }
        const sortRows = (rows: unknown) => [...(rows as { key: string }[])].sort((a, b) => (a.key < b.key ? -1 : 1))
        let compared = 0
        for (const { requests, answers } of steps) {
          const many = await store.aggregateMany(requests)
          expect(many).to.have.length(requests.length)
          for (const [i, rows] of many.entries()) expect(sortRows(rows)).to.deep.equal(sortRows(answers[i]))
          compared += requests.length
        }
        expect(compared).to.be.greaterThan(90)
        expect(steps.flatMap((s) => s.answers).some((rows) => (rows as unknown[]).length > 0)).to.equal(true)
      } finally {
        await store.close()
      }
    })

    it("never fails a write or a read when token sums pass 2^63 (they saturate)", async () => {
      const schema = newSchema()
      const store = await openIn(schema)
      const big = (id: string, node: string) =>
        record({ id, node, timestamp: new Date("2026-11-20T10:00:00Z"), inputTokens: 1_000_000_000_000 })
      const client = new pg.Client({ connectionString: URL })
      await client.connect()
      try {
        await store.insert([big("usage_1", "a"), big("usage_2", "b")])
        for (const table of ["usage_rollup_30m", "usage_rollup_3h", "usage_rollup_day", "usage_rollup_month"])
          await client.query(`UPDATE "${schema}".${table} SET input_tokens = 9223372036854775000`)
        expect(await store.insert([big("usage_3", "a")])).to.deep.equal({ accepted: 1, duplicates: 0 })
        const rows = await store.aggregate({}, "node")
        expect(rows.map((r) => r.inputTokens)).to.deep.equal([2 ** 63, 9_223_372_036_854_775_000])
        const [total] = await store.aggregate({}, "provider")
        expect(total.inputTokens).to.equal(2 ** 64)
      } finally {
        await client.end()
        await store.close()
      }
    })

    it("survives its backends being terminated mid-transaction (failover): failed inserts reject, then it reconnects", async () => {
      const schema = newSchema()
      const app = `uh_failover_${process.pid}`
      const store = await PostgresStore.open(`${URL}${URL.includes("?") ? "&" : "?"}application_name=${app}`, {
        schema,
        poolSize: 4,
      })
      const admin = new pg.Client({ connectionString: URL })
      await admin.connect()
      const acknowledged: string[] = []
      let failures = 0
      try {
        const start = Date.parse("2026-11-20T00:00:00Z")
        let stop = false
        const writers = Array.from({ length: 4 }, async (_, w) => {
          for (let i = 0; !stop; i++) {
            const id = `usage_w${w}_${i}`
            try {
              await store.insert([record({ id, timestamp: new Date(start + i * 1000) })])
              acknowledged.push(id)
            } catch (error) {
              expect((error as UsageHubError).code).to.equal("STORE_ERROR")
              failures += 1
            }
          }
        })
        for (let round = 0; round < 5; round++) {
          await new Promise((resolve) => setTimeout(resolve, 60))
          await admin.query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()",
            [app],
          )
        }
        await new Promise((resolve) => setTimeout(resolve, 100))
        stop = true
        await Promise.all(writers)
        expect(failures, "some inserts met a terminated backend").to.be.above(0)
        // Reconnected by itself: a new insert works, and every acknowledged record is there, once.
        expect(await store.insert([record({ id: "usage_after", timestamp: new Date(start) })])).to.deep.equal({
          accepted: 1,
          duplicates: 0,
        })
        const ids = (await collect(store)).records.map((r) => r.id)
        expect(ids).to.include.members(acknowledged)
        expect((await store.stats()).records).to.equal(ids.length)
      } finally {
        await admin.end()
        await store.close()
      }
    })

    it("reports its size from pg_total_relation_size", async () => {
      const store = await openIn(newSchema())
      await store.insert(
        generateRecords(50, 12, Date.parse("2026-11-01T00:00:00Z"), Date.parse("2026-11-20T00:00:00Z")),
      )
      const stats = await store.stats()
      expect(stats.records).to.equal(50)
      expect(stats.bytes).to.be.greaterThan(8192)
      await store.close()
    })

    it("reports an unreachable server as one STORE_ERROR line without the password", async () => {
      const error = await PostgresStore.open("postgres://app:s3cret@127.0.0.1:1/usage", {
        connectTimeoutMs: 2000,
      }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).to.be.instanceOf(UsageHubError)
      expect((error as UsageHubError).code).to.equal("STORE_ERROR")
      expect((error as UsageHubError).message).to.match(
        /cannot open PostgreSQL postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/usage: .*ECONNREFUSED/,
      )
      expect((error as UsageHubError).message).to.not.include("s3cret")
    })
  })
})
