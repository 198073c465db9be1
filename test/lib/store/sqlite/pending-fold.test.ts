/**
 * SQLite's pending-fold path against the MemoryStore oracle, in seeded random interleavings: single inserts (their
 * increments wait in usage_rollup_pending), batch inserts spread over many buckets (folded straight into the
 * rollups), redeliveries, a fold threshold crossed, reads on this connection and on a second one (which sees the
 * first one's pending rows), and reopening (close folds). After every step the aggregates equal the oracle's.
 * Pending session increments, read while another connection holds the write lock, give the oracle's sessions.
 */
import { join } from "node:path"
import Database from "better-sqlite3"
import { expect } from "chai"
import type { StoredRecord } from "../../../../src/lib/record.js"
import { MemoryStore } from "../../../../src/lib/store/memory/store.js"
import type { SessionsFilter } from "../../../../src/lib/store/sessions.js"
import { SqliteStore } from "../../../../src/lib/store/sqlite/store.js"
import type { AggregateRow, RecordFilter } from "../../../../src/lib/store/store.js"
import { GROUP_BY_VALUES } from "../../../../src/lib/summary-types.js"
import { seededRandom } from "../../../helpers/records.js"
import { tempDir } from "../../../helpers/tmp.js"
import { generateRecords } from "../store-contract.js"

const FROM = Date.parse("2026-10-01T00:00:00Z")
const TO = Date.parse("2026-11-30T00:00:00Z")
const STEPS = 50
const SEEDS = [1, 2]

const byKey = (rows: AggregateRow[]) => [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))

describe("SQLite pending-fold path against the oracle (seeded random interleavings)", function () {
  this.timeout(60_000)

  for (const seed of SEEDS) {
    it(`agrees with MemoryStore after every step of interleaving ${seed}`, async () => {
      const rand = seededRandom(seed)
      const path = join(tempDir(), "fold.db")
      const open = () => SqliteStore.open(path, { foldAfterRows: 40, synchronous: "NORMAL" })
      let store = await open()
      const oracle = new MemoryStore()
      const pool = generateRecords(8000, 100 + seed, FROM, TO)
      let next = 0
      const fresh = (n: number) => {
        next += n
        return pool.slice(next - n, next)
      }
      const seen: StoredRecord[] = []
      const log: string[] = []

      const check = async (reader: SqliteStore, label: string) => {
        const a = FROM + Math.floor(rand() * (TO - FROM))
        const b = FROM + Math.floor(rand() * (TO - FROM))
        const filters: RecordFilter[] = [{}, { since: new Date(Math.min(a, b)), until: new Date(Math.max(a, b)) }]
        const groupBy = GROUP_BY_VALUES[Math.floor(rand() * GROUP_BY_VALUES.length)]
        for (const filter of filters) {
          expect(
            byKey(await reader.aggregate(filter, groupBy)),
            `${label} by ${groupBy} after ${log.join(", ")}`,
          ).to.deep.equal(byKey(oracle.aggregateSync(filter, groupBy)))
        }
      }
      const insert = async (records: StoredRecord[], what: string) => {
        log.push(`${what}(${records.length})`)
        const got = await store.insert(records)
        expect(got, `${what} after ${log.join(", ")}`).to.deep.equal(await oracle.insert(records))
        seen.push(...records)
      }

      try {
        for (let step = 0; step < STEPS; step++) {
          const roll = rand()
          if (roll < 0.45) await insert(fresh(1 + Math.floor(rand() * 3)), "single")
          else if (roll < 0.55) await insert(fresh(1500), "spread batch")
          else if (roll < 0.65 && seen.length > 0) {
            const again = Array.from(
              { length: 1 + Math.floor(rand() * 5) },
              () => seen[Math.floor(rand() * seen.length)],
            )
            await insert([...again, ...fresh(1)], "redelivery")
          } else if (roll < 0.75) {
            log.push("reopen")
            await store.close()
            store = await open()
          } else if (roll < 0.85) {
            log.push("second connection")
            const other = await open()
            try {
              await check(other, "second connection")
            } finally {
              await other.close()
            }
          } else {
            log.push("read")
          }
          await check(store, "store")
        }
        expect(next, "the interleaving inserted both kinds of batch").to.be.greaterThan(1500)
      } finally {
        await store.close()
      }
    })
  }
})

describe("SQLite pending session increments", () => {
  it("answers sessions exactly while another connection holds the write lock (pending increments merged, not folded)", async () => {
    const path = join(tempDir(), "sessions-pending.db")
    const store = await SqliteStore.open(path, { foldAfterRows: 100_000, synchronous: "NORMAL" })
    const records = generateRecords(600, 31, FROM, TO)
    const oracle = new MemoryStore()
    // A batch folded straight in, then single inserts whose increments stay pending.
    await store.insert(records.slice(0, 400))
    await oracle.insert(records.slice(0, 400))
    await store.sessions({}) // folds what is pending now
    for (const r of records.slice(400)) {
      await store.insert([r])
      await oracle.insert([r])
    }
    const locker = new Database(path)
    locker.exec("BEGIN IMMEDIATE")
    try {
      const pending = locker.prepare("SELECT COUNT(*) FROM usage_session_pending").pluck().get() as number
      expect(pending, "increments are pending").to.be.greaterThan(0)
      const filters: SessionsFilter[] = [
        {},
        { limit: 5 },
        { limit: 5, order: "asc" },
        { limit: 1000 },
        { since: new Date("2026-11-01T00:00:00Z"), until: new Date("2026-11-20T00:00:00Z") },
        { provider: "openai" },
        { node: "laptop", agent: "codex" },
      ]
      for (const filter of filters) {
        expect(await store.sessions(filter), JSON.stringify(filter)).to.deep.equal(await oracle.sessions(filter))
      }
      expect(locker.prepare("SELECT COUNT(*) FROM usage_session_pending").pluck().get()).to.equal(pending)
    } finally {
      locker.exec("ROLLBACK")
      locker.close()
    }
    expect(await store.sessions({ limit: 1000 })).to.deep.equal(await oracle.sessions({ limit: 1000 }))
    await store.close()
  })
})
