import { spawn } from "node:child_process"
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import Database from "better-sqlite3"
import { expect } from "chai"
import { StoreAdapter } from "../../../../src/lib/adapters/store-adapter.js"
import { UsageHubError } from "../../../../src/lib/errors.js"
import { NARROW_LEVELS } from "../../../../src/lib/store/rollup.js"
import { SESSION_TABLES } from "../../../../src/lib/store/sql-query.js"
import { MIGRATIONS, SCHEMA_VERSION } from "../../../../src/lib/store/sqlite/schema.js"
import { SqliteStore } from "../../../../src/lib/store/sqlite/store.js"
import type { UsageStore } from "../../../../src/lib/store/store.js"
import { tempDir } from "../../../helpers/tmp.js"
import { describeStorageAdapterContract } from "../../adapters/storage-adapter-contract.js"
import { describeSessionsContract } from "../sessions-contract.js"
import { collect, describeStoreContract, generateRecords, record } from "../store-contract.js"
import { describeUpgradeFromPreviousRelease, storeFixture } from "../upgrade-contract.js"

let n = 0
const NARROW_TABLES = NARROW_LEVELS.map((level) => level.table)
const newPath = () => join(tempDir(), `usage-${n++}.db`)
const pathOf = (store: UsageStore) => (store as SqliteStore).label.replace(/^SQLite database /, "")

describeStoreContract("SqliteStore :memory:", () => SqliteStore.open(":memory:"))
describeSessionsContract("SqliteStore file", () => SqliteStore.open(newPath()), {
  reopenFromPreviousVersion: async (store) => {
    await store.close()
    const path = pathOf(store)
    const db = new Database(path)
    db.exec(
      `${[...SESSION_TABLES, "usage_session_pending", "usage_sessionless_pending", ...NARROW_TABLES].map((t) => `DROP TABLE ${t};`).join("\n")} DELETE FROM usage_schema_version WHERE version >= 5;`,
    )
    db.close()
    return SqliteStore.open(path)
  },
})

describeStoreContract("SqliteStore file", () => SqliteStore.open(newPath()), {
  reopen: async (store) => {
    await store.close()
    return SqliteStore.open(pathOf(store))
  },
  reopenWithoutNarrowRollups: async (store) => {
    await store.close()
    const db = new Database(pathOf(store))
    db.exec(
      `${NARROW_TABLES.map((t) => `DROP TABLE ${t};`).join("\n")} DELETE FROM usage_schema_version WHERE version >= 6;`,
    )
    db.close()
    return SqliteStore.open(pathOf(store))
  },
})

describeUpgradeFromPreviousRelease(
  "SqliteStore (schema v2, poisoned by a record at -8.64e15 ms)",
  async () => {
    const path = newPath()
    copyFileSync(storeFixture("v2-sqlite.db"), path)
    return SqliteStore.open(path)
  },
  { quarantined: 3 },
)

describeStorageAdapterContract("StoreAdapter over SqliteStore", async () => {
  const adapter = new StoreAdapter({ store: await SqliteStore.open(newPath()), nodeId: "node-a" })
  return { adapter, cleanup: () => adapter.close() }
})

async function expectStoreError(promise: Promise<unknown>, pattern: RegExp): Promise<UsageHubError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, "it throws").to.be.instanceOf(UsageHubError)
  expect((error as UsageHubError).code).to.equal("STORE_ERROR")
  expect((error as UsageHubError).message).to.match(pattern)
  return error as UsageHubError
}

describe("SqliteStore", () => {
  it("applies its migrations once and records them in the version table", async () => {
    const path = newPath()
    await (await SqliteStore.open(path)).close()
    await (await SqliteStore.open(path)).close()
    const db = new Database(path, { readonly: true })
    try {
      const versions = db.prepare("SELECT version FROM usage_schema_version").all()
      expect(versions).to.deep.equal(MIGRATIONS.map(({ version }) => ({ version })))
      expect(db.pragma("journal_mode", { simple: true })).to.equal("wal")
    } finally {
      db.close()
    }
  })

  it("creates the directory of a new database file", async () => {
    const path = join(tempDir(), "a", "b", "usage.db")
    const store = await SqliteStore.open(path)
    await store.insert([record({ id: "usage_1", timestamp: new Date("2026-11-20T10:00:00Z") })])
    await store.close()
    expect(existsSync(path)).to.equal(true)
  })

  it("refuses a missing file when told not to create one", async () => {
    const path = join(tempDir(), "missing.db")
    await expectStoreError(SqliteStore.open(path, { create: false }), /no usage-hub store at .*missing\.db/)
    expect(existsSync(path)).to.equal(false)
  })

  it("refuses a file that is not a SQLite database, leaving it unchanged", async () => {
    const path = join(tempDir(), "usage.json")
    const text = `{"version": 1, "records": []}\n`.repeat(200)
    writeFileSync(path, text)
    await expectStoreError(SqliteStore.open(path), /usage\.json is not a SQLite database/)
    expect(readFileSync(path, "utf8")).to.equal(text)
  })

  it("refuses a SQLite database that is not a usage-hub store", async () => {
    const path = newPath()
    const db = new Database(path)
    db.exec("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    db.close()
    await expectStoreError(SqliteStore.open(path), /not a usage-hub store .*"invoices"/)
  })

  it("refuses a store written by a newer usage-hub", async () => {
    const path = newPath()
    await (await SqliteStore.open(path)).close()
    const db = new Database(path)
    db.prepare("INSERT INTO usage_schema_version VALUES (?, 'future', '2030-01-01')").run(SCHEMA_VERSION + 1)
    db.close()
    await expectStoreError(SqliteStore.open(path), /newer than this usage-hub knows/)
  })

  it("reports use after close as a STORE_ERROR", async () => {
    const store = await SqliteStore.open(":memory:")
    await store.close()
    await expectStoreError(store.aggregate({}, "provider"), /closed/)
  })

  it("keeps the rollups equal to the records they sum, at every level", async () => {
    const store = await SqliteStore.open(newPath())
    const records = generateRecords(300, 9, Date.parse("2026-09-28T00:00:00Z"), Date.parse("2026-11-03T00:00:00Z"))
    await store.insertBatches([records.slice(0, 100), records.slice(50, 300)])
    const path = pathOf(store)
    await store.close()
    const db = new Database(path, { readonly: true })
    try {
      const truth = db
        .prepare(
          "SELECT COUNT(*) AS calls, SUM(cost_nanos) AS cost, SUM(COALESCE(cache_read_tokens, 0)) AS cr FROM usage_records",
        )
        .get()
      expect(truth).to.deep.equal({
        calls: 300,
        cost: records.reduce((s, r) => s + Math.round(r.estimatedCost * 1e9), 0),
        cr: records.reduce((s, r) => s + (r.cacheReadTokens ?? 0), 0),
      })
      for (const table of ["usage_rollup_30m", "usage_rollup_3h", "usage_rollup_day", "usage_rollup_month"]) {
        const sums = db
          .prepare(`SELECT SUM(calls) AS calls, SUM(cost_nanos) AS cost, SUM(cache_read_tokens) AS cr FROM ${table}`)
          .get()
        expect(sums, table).to.deep.equal(truth)
      }
      expect(db.prepare("SELECT COUNT(*) AS n FROM usage_rollup_month").get()).to.have.property("n").below(300)
    } finally {
      db.close()
    }
  })

  it("folds the increments another connection left pending when it reads and the write lock is free", async () => {
    const path = newPath()
    const writer = await SqliteStore.open(path)
    const reader = await SqliteStore.open(path)
    const db = new Database(path, { readonly: true })
    const pending = () => (db.prepare("SELECT COUNT(*) AS n FROM usage_rollup_pending").get() as { n: number }).n
    try {
      const at = Date.parse("2026-11-20T10:00:00Z")
      await writer.insert([record({ id: "usage_1", timestamp: new Date(at) })])
      await writer.insert([record({ id: "usage_2", timestamp: new Date(at + 60_000) })])
      expect(pending()).to.equal(2)
      const november = { since: new Date("2026-11-01T00:00:00Z"), until: new Date("2026-12-01T00:00:00Z") }
      expect((await reader.aggregate(november, "provider"))[0].calls).to.equal(2)
      expect(pending(), "folded by the reader").to.equal(0)
      expect(db.prepare("SELECT calls FROM usage_rollup_month").all()).to.deep.equal([{ calls: 2 }])
    } finally {
      db.close()
      await reader.close()
      await writer.close()
    }
  })

  it("reads pending increments with the rollups, without waiting, while another process holds the write lock", async () => {
    const path = newPath()
    const writer = await SqliteStore.open(path)
    const reader = await SqliteStore.open(path, { busyTimeoutMs: 5000 })
    const lock = new Database(path)
    try {
      const at = Date.parse("2026-11-20T10:05:00Z")
      await writer.insert([0, 1, 2].map((i) => record({ id: `usage_${i}`, timestamp: new Date(at + i * 1_800_000) })))
      lock.exec("BEGIN IMMEDIATE") // as a long migrate-file insert would: no fold can run
      const started = Date.now()
      // Answered from the month, day and 30-minute rollups, edges from the records: all but the records
      // are still pending.
      const calls = async (since: string, until: string) =>
        (await reader.aggregate({ since: new Date(since), until: new Date(until) }, "provider"))[0]?.calls ?? 0
      expect(await calls("2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z"), "a month").to.equal(3)
      expect(await calls("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z"), "a day").to.equal(3)
      expect(await calls("2026-11-20T10:30:00Z", "2026-11-20T12:00:00Z"), "half hours").to.equal(2)
      expect(await calls("2026-11-20T10:10:00Z", "2026-11-20T11:20:00Z"), "with edges").to.equal(2)
      expect(Date.now() - started, "no wait for the lock").to.be.below(2000)
    } finally {
      lock.exec("ROLLBACK")
      lock.close()
      await reader.close()
      await writer.close()
    }
  })

  it("counts what is pending when an insert of history folds straight in, and folds the rest on close", async () => {
    const path = newPath()
    const store = await SqliteStore.open(path)
    const db = new Database(path, { readonly: true })
    const sum = (sql: string) => (db.prepare(sql).get() as { n: number | null }).n
    try {
      await store.insert([record({ id: "live_1", timestamp: new Date("2026-11-20T10:00:00Z") })])
      expect(sum("SELECT COUNT(*) AS n FROM usage_rollup_pending")).to.equal(1)
      const start = Date.parse("2026-09-01T00:00:00Z")
      await store.insert(
        Array.from({ length: 1200 }, (_, i) => record({ id: `old_${i}`, timestamp: new Date(start + i * 1_800_000) })),
      )
      expect(sum("SELECT COUNT(*) AS n FROM usage_rollup_pending")).to.equal(0)
      expect(sum("SELECT SUM(calls) AS n FROM usage_rollup_month")).to.equal(1201)
      await store.insert([record({ id: "live_2", timestamp: new Date("2026-11-20T10:01:00Z") })])
      await store.close()
      expect(sum("SELECT COUNT(*) AS n FROM usage_rollup_pending"), "folded on close").to.equal(0)
      expect(sum("SELECT SUM(calls) AS n FROM usage_rollup_3h")).to.equal(1202)
    } finally {
      db.close()
      await store.close()
    }
  })

  it("folds in bulk, inside an insert, once the pending increments reach foldAfterRows", async () => {
    const path = newPath()
    const store = await SqliteStore.open(path, { foldAfterRows: 5 })
    const db = new Database(path, { readonly: true })
    const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
    // Records 30 minutes apart: one pending row each.
    const at = (i: number) => new Date(Date.parse("2026-11-20T00:00:00Z") + i * 1_800_000)
    try {
      await store.insert([0, 1, 2].map((i) => record({ id: `usage_${i}`, timestamp: at(i) })))
      expect(count("usage_rollup_pending")).to.equal(3)
      expect(count("usage_rollup_30m")).to.equal(0)
      await store.insert([3, 4].map((i) => record({ id: `usage_${i}`, timestamp: at(i) })))
      expect(count("usage_rollup_pending")).to.equal(0)
      expect(count("usage_rollup_30m")).to.equal(5)
      expect(db.prepare("SELECT calls FROM usage_rollup_day").all()).to.deep.equal([{ calls: 5 }])
    } finally {
      db.close()
      await store.close()
    }
  })

  it("answers bucket-aligned parts of a range from the rollups and only edges off every boundary from the records", async () => {
    const path = newPath()
    const store = await SqliteStore.open(path)
    await store.insert([
      record({ id: "usage_1", timestamp: new Date("2026-11-20T10:05:00Z"), estimatedCost: 1 }),
      record({ id: "usage_2", timestamp: new Date("2026-11-20T10:45:00Z"), estimatedCost: 2 }),
      record({ id: "usage_3", timestamp: new Date("2026-11-20T11:20:00Z"), estimatedCost: 4 }),
    ])
    // Remove two records behind the store's back: what still counts them comes from the rollups.
    const db = new Database(path)
    db.exec("DELETE FROM usage_records WHERE id IN ('usage_1', 'usage_3')")
    db.close()
    const calls = async (since: string, until: string) =>
      (await store.aggregate({ since: new Date(since), until: new Date(until) }, "provider"))[0]?.calls ?? 0
    expect(await calls("2026-11-20T10:00:00Z", "2026-11-20T11:00:00Z"), "a whole hour").to.equal(2)
    expect(await calls("2026-11-20T10:30:00Z", "2026-11-20T12:00:00Z"), "half hours").to.equal(2)
    expect(await calls("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z"), "a UTC day").to.equal(3)
    expect(await calls("2026-11-19T18:30:00Z", "2026-11-20T18:30:00Z"), "a day in Asia/Kolkata").to.equal(3)
    expect(await calls("2026-11-20T11:10:00Z", "2026-11-20T11:25:00Z"), "a quarter hour: records").to.equal(0)
    expect(await calls("2026-11-20T10:40:00Z", "2026-11-20T10:50:00Z"), "ten minutes: records").to.equal(1)
    await store.close()
  })

  it("keeps every committed insert when the process is killed with SIGKILL right after it returns", async function () {
    this.timeout(30_000)
    const path = newPath()
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "write-then-wait.ts"), path], {
      stdio: ["ignore", "pipe", "inherit"],
    })
    let acknowledged = 0
    await new Promise<void>((resolve, reject) => {
      let buffer = ""
      child.on("error", reject)
      child.on("exit", (code) => reject(new Error(`child exited early with ${code}`)))
      child.stdout!.on("data", (data: Buffer) => {
        buffer += data.toString()
        const lines = buffer.split("\n")
        buffer = lines.pop()!
        for (const line of lines) acknowledged = Number(line.split(" ")[1])
        if (acknowledged >= 500) {
          child.kill("SIGKILL")
          child.removeAllListeners("exit")
          child.on("exit", () => resolve())
        }
      })
    })
    const store = await SqliteStore.open(path)
    try {
      const { records } = await collect(store, { node: "child" })
      expect(records.length, "every acknowledged record is there").to.be.at.least(acknowledged)
      expect(records.length % 50, "no half-committed batch").to.equal(0)
      expect((await store.stats()).records).to.equal(records.length)
      expect((await store.aggregate({}, "provider"))[0].calls).to.equal(records.length)
    } finally {
      await store.close()
    }
  })

  it("never fails a write, a fold or a read when token sums pass 2^63 (they saturate)", async () => {
    const path = newPath()
    const store = await SqliteStore.open(path)
    const big = (id: string, node: string) =>
      record({ id, node, timestamp: new Date("2026-11-20T10:00:00Z"), inputTokens: 1_000_000_000_000 })
    try {
      await store.insert([big("usage_1", "a"), big("usage_2", "b")])
      // As if billions of such calls had been summed: both rows of the half-hour a few tokens below 2^63.
      const db = new Database(path)
      db.prepare("UPDATE usage_rollup_pending SET input_tokens = 9223372036854775000").run()
      db.close()
      await store.insert([big("usage_3", "a")])
      await store.close()
      const reopened = await SqliteStore.open(path) // close folded: the fold added past 2^63
      const rows = await reopened.aggregate({}, "node")
      expect(rows.map((r) => r.inputTokens)).to.deep.equal([2 ** 63, 9_223_372_036_854_775_000])
      const [total] = await reopened.aggregate({ since: new Date("2026-11-01T00:00:00Z") }, "provider")
      expect(total.inputTokens).to.equal(2 ** 64)
      expect(await reopened.insert([big("usage_4", "b")])).to.deep.equal({ accepted: 1, duplicates: 0 })
      await reopened.close()
    } finally {
      await store.close()
    }
  })

  it("reports its size on disk and a record count it does not count row by row", async () => {
    const store = await SqliteStore.open(newPath())
    await store.insert(generateRecords(200, 10, Date.parse("2026-11-01T00:00:00Z"), Date.parse("2026-11-20T00:00:00Z")))
    const stats = await store.stats()
    expect(stats.records).to.equal(200)
    expect(stats.bytes).to.be.greaterThan(4096)
    await store.close()
  })
})
