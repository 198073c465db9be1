/**
 * Upgrading a store written by the previous release, run once per backend: test/fixtures/stores/ holds a
 * SQLite file (schema v2) and a PostgreSQL dump (schema v1) that the release before the two-column cost sums
 * wrote (generated with that release's own store code), with records outside today's time bounds, and on
 * SQLite a record whose month bucket is -Infinity, which left that store unable to fold for ever. After the
 * upgrade every total over the valid records equals the memory oracle, the out-of-bounds records sit in the
 * quarantine (counted in stats), and writes that used to fail succeed.
 */
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { expect } from "chai"
import type { StoredRecord } from "../../../src/lib/record.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"
import type { AggregateRow, RecordFilter, UsageStore } from "../../../src/lib/store/store.js"
import { GROUP_BY_VALUES } from "../../../src/lib/summary-types.js"
import { collect } from "./store-contract.js"

const STORE_FIXTURES = new URL("../../fixtures/stores/", import.meta.url)

/** The path of a file of test/fixtures/stores/. */
export function storeFixture(name: string): string {
  return fileURLToPath(new URL(name, STORE_FIXTURES))
}

/** The valid records the fixture stores hold (as the previous release stored them). */
export function fixtureRecords(): StoredRecord[] {
  const json = JSON.parse(readFileSync(storeFixture("v2-records.json"), "utf8")) as {
    valid: (Omit<StoredRecord, "timestamp"> & { timestamp: string })[]
  }
  return json.valid.map((r) => ({ ...r, timestamp: new Date(r.timestamp) }))
}

const byKey = (rows: AggregateRow[]) => [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))

const FILTERS: RecordFilter[] = [
  {},
  { since: new Date("2026-11-01T00:00:00Z"), until: new Date("2026-12-01T00:00:00Z") },
  { since: new Date("2026-11-14T18:30:00Z"), until: new Date("2026-11-15T18:30:00Z") },
  { provider: "anthropic" },
  { node: "laptop" },
]

export function describeUpgradeFromPreviousRelease(
  name: string,
  openUpgraded: () => Promise<UsageStore>,
  expected: { quarantined: number },
): void {
  describe(`upgrade of a store written by the previous release: ${name}`, () => {
    let store: UsageStore
    let oracle: MemoryStore

    beforeEach(async () => {
      store = await openUpgraded()
      oracle = new MemoryStore(fixtureRecords())
    })

    afterEach(async () => {
      await store.close()
    })

    it("keeps every total over the valid records unchanged", async () => {
      for (const filter of FILTERS) {
        for (const groupBy of GROUP_BY_VALUES) {
          expect(
            byKey(await store.aggregate(filter, groupBy)),
            `${JSON.stringify(filter)} by ${groupBy}`,
          ).to.deep.equal(byKey(await oracle.aggregate(filter, groupBy)))
        }
      }
      expect((await collect(store)).records).to.have.length(fixtureRecords().length)
    })

    it("fills the sessionless counts from the records already stored (the fixture's records have no session)", async () => {
      for (const filter of FILTERS) {
        expect(await store.sessions(filter), JSON.stringify(filter)).to.deep.equal(await oracle.sessions(filter))
      }
      expect((await store.sessions({})).withoutSession.calls).to.equal(fixtureRecords().length)
    })

    it("moves the records outside the time bounds to the quarantine, out of totals, exports and providers", async () => {
      const stats = await store.stats()
      expect(stats.records).to.equal(fixtureRecords().length)
      expect(stats.quarantined).to.equal(expected.quarantined)
      const providers = (await store.aggregate({}, "provider")).map((r) => r.key)
      expect(providers).to.not.include("zombie")
      const ids = (await collect(store)).records.map((r) => r.id)
      expect(ids).to.not.include.members(["usage_epoch", "usage_future", "usage_poison"])
    })

    it("takes history imports and single records again after the upgrade", async () => {
      const start = Date.parse("2026-06-01T00:00:00Z")
      // 1,200 half-hours: an insert that folds straight into the rollups (it failed for ever on a poisoned store).
      const history: StoredRecord[] = Array.from({ length: 1200 }, (_, i) => ({
        id: `usage_hist_${i}`,
        timestamp: new Date(start + i * 1_800_000),
        provider: "openai",
        model: "gpt-4o",
        node: "build-02",
        taskType: "primary",
        inputTokens: 1000,
        outputTokens: 100,
        estimatedCost: 0.25,
      }))
      expect(await store.insert(history)).to.deep.equal({ accepted: 1200, duplicates: 0 })
      await oracle.insert(history)
      const single = { ...history[0], id: "usage_single", timestamp: new Date("2026-11-30T23:59:59.999Z") }
      expect(await store.insert([single])).to.deep.equal({ accepted: 1, duplicates: 0 })
      await oracle.insert([single])
      for (const groupBy of GROUP_BY_VALUES) {
        expect(byKey(await store.aggregate({}, groupBy))).to.deep.equal(byKey(await oracle.aggregate({}, groupBy)))
      }
    })
  })
}
