import { expect } from "chai"
import pg from "pg"
import { StoreAdapter } from "../../../../src/lib/adapters/store-adapter.js"
import { UsageHubError } from "../../../../src/lib/errors.js"
import { SCHEMA_VERSION } from "../../../../src/lib/store/postgres/schema.js"
import { PostgresStore } from "../../../../src/lib/store/postgres/store.js"
import { describeStorageAdapterContract } from "../../adapters/storage-adapter-contract.js"
import { collect, describeStoreContract, generateRecords } from "../store-contract.js"

const URL = process.env.USAGE_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test"
/** Every store of this run lives in its own schema, dropped at the end. */
const RUN = `uh_test_${process.pid}_${Date.now().toString(36)}`
const schemas: string[] = []
const newSchema = () => {
  const schema = `${RUN}_${schemas.length}`
  schemas.push(schema)
  return schema
}
const openIn = (schema: string) => PostgresStore.open(URL, { schema, poolSize: 4 })

describe("PostgreSQL store", function () {
  this.timeout(30_000)

  before(async function () {
    const client = new pg.Client({ connectionString: URL, connectionTimeoutMillis: 3000 })
    try {
      await client.connect()
      await client.end()
    } catch (error) {
      console.log(`    (PostgreSQL not reachable at ${URL}: ${(error as Error).message || error}; skipping)`)
      this.skip()
    }
  })

  after(async () => {
    if (schemas.length === 0) return
    const client = new pg.Client({ connectionString: URL })
    await client.connect()
    try {
      for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
    } finally {
      await client.end()
    }
  })

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
        return openIn(schemaOf.get(store)!)
      },
    },
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
      const client = new pg.Client({ connectionString: URL })
      await client.connect()
      try {
        const { rows } = await client.query(`SELECT version FROM "${schema}".usage_schema_version`)
        expect(rows).to.deep.equal([{ version: SCHEMA_VERSION }])
      } finally {
        await client.end()
      }
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
