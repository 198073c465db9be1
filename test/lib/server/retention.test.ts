import { expect } from "chai"
import { DAY_MS, parseRetention, startRetention } from "../../../src/lib/server/retention.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"
import type { PruneFilter, PruneResult } from "../../../src/lib/store/store.js"
import type { Timers } from "../../../src/lib/timers.js"
import { record } from "../../helpers/records.js"

/** Timers that fire only when told to. */
class FakeTimers implements Timers {
  pending = new Map<number, { fn: () => void; ms: number }>()
  private seq = 0
  setTimeout(fn: () => void, ms: number): unknown {
    this.seq += 1
    this.pending.set(this.seq, { fn, ms })
    return this.seq
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number)
  }
  /** Fires the one pending timer. */
  fire(): void {
    expect(this.pending.size).to.equal(1)
    const [[id, { fn }]] = [...this.pending]
    this.pending.delete(id)
    fn()
  }
}

const at = (iso: string) => new Date(iso)

async function storeOf(...isos: string[]): Promise<MemoryStore> {
  const store = new MemoryStore()
  await store.insert(isos.map((iso, i) => record({ id: `usage_${i}`, timestamp: at(iso), estimatedCost: 1.25 })))
  return store
}

async function remaining(store: MemoryStore): Promise<string[]> {
  const out: string[] = []
  for await (const chunk of store.iterate({})) for (const r of chunk) out.push(r.timestamp.toISOString())
  return out
}

describe("service retention", () => {
  it("reads days and weeks, and refuses anything else or less than a day", () => {
    expect(parseRetention("400d")).to.equal(400 * DAY_MS)
    expect(parseRetention("2W")).to.equal(14 * DAY_MS)
    for (const bad of ["0d", "400", "1y", "12m", "-3d", "1.5d", "", "d"]) {
      expect(() => parseRetention(bad), bad).to.throw(/--retain must be a number of days or weeks/)
    }
  })

  it("prunes what is older than the retention at start and logs what it removed", async () => {
    const store = await storeOf("2025-01-01T00:00:00Z", "2025-06-30T23:00:00Z", "2025-07-02T00:00:00Z")
    const lines: string[] = []
    const timers = new FakeTimers()
    let now = at("2026-08-05T00:00:00Z")
    const retention = startRetention({
      store,
      retainMs: 400 * DAY_MS,
      log: (line) => lines.push(line),
      location: "/data/usage.db",
      clock: () => now,
      timers,
    })
    // 400 days before 2026-08-05 is 2025-07-01.
    const report = await retention.current
    expect(report).to.deep.include({ records: 2, cost: 2.5, filter: { before: "2025-07-01T00:00:00.000Z" } })
    expect(lines).to.deep.equal([
      "retention (400d): Pruned 2 records before 2025-07-01T00:00:00.000Z from memory /data/usage.db: $2.5000, " +
        "first 2025-01-01T00:00:00.000Z, last 2025-06-30T23:00:00.000Z",
    ])
    expect(await remaining(store)).to.deep.equal(["2025-07-02T00:00:00.000Z"])
    // The next run is due in 24 hours; a day later the third record is old enough.
    expect([...timers.pending.values()].map((t) => t.ms)).to.deep.equal([DAY_MS])
    now = at("2026-08-06T00:00:01Z")
    timers.fire()
    await retention.current
    expect(await remaining(store)).to.deep.equal([])
    expect(lines[1]).to.match(/^retention \(400d\): Pruned 1 record before 2025-07-02T00:00:01\.000Z/)
    // And the day after, nothing is due: it says so.
    timers.fire()
    await retention.current
    expect(lines[2]).to.equal(
      "retention (400d): Nothing to prune before 2025-07-02T00:00:01.000Z in memory /data/usage.db",
    )
    await retention.close()
  })

  it("stops its timer on close and runs no more", async () => {
    const store = await storeOf("2026-01-01T00:00:00Z")
    let calls = 0
    const counting = Object.assign(store, {
      prune: (filter: PruneFilter, options?: { dryRun?: boolean }): Promise<PruneResult> => {
        calls += 1
        return MemoryStore.prototype.prune.call(store, filter, options)
      },
    })
    const timers = new FakeTimers()
    const retention = startRetention({ store: counting, retainMs: DAY_MS, log: () => {}, timers })
    await retention.current
    expect(timers.pending.size).to.equal(1)
    await retention.close()
    expect(timers.pending.size).to.equal(0)
    expect(calls).to.equal(1)
  })

  it("logs a failed run and tries again at the next one", async () => {
    const store = await storeOf("2020-06-01T00:00:00Z")
    let fail = true
    const flaky = Object.assign(store, {
      prune: (filter: PruneFilter): Promise<PruneResult> =>
        fail ? Promise.reject(new Error("database is locked")) : MemoryStore.prototype.prune.call(store, filter),
    })
    const lines: string[] = []
    const warnings: string[] = []
    const timers = new FakeTimers()
    const retention = startRetention({
      store: flaky,
      retainMs: 7 * DAY_MS,
      log: (line) => lines.push(line),
      warn: (line) => warnings.push(line),
      clock: () => at("2026-01-08T00:00:00Z"),
      timers,
    })
    expect(await retention.current).to.equal(undefined)
    expect(warnings).to.deep.equal(["retention (7d): prune before 2026-01-01T00:00:00.000Z failed: database is locked"])
    fail = false
    timers.fire()
    await retention.current
    expect(lines).to.have.length(1)
    expect(lines[0]).to.match(/^retention \(7d\): Pruned 1 record/)
    await retention.close()
  })
})
