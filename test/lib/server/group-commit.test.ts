import { expect } from "chai"
import type { StoredRecord } from "../../../src/lib/record.js"
import { GroupCommitter } from "../../../src/lib/server/group-commit.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"
import { PostgresStore } from "../../../src/lib/store/postgres/store.js"
import type { InsertResult } from "../../../src/lib/store/store.js"
import { PG_TEST_URL, skipWithoutPostgres, testSchemas } from "../../helpers/postgres.js"
import { record } from "../../helpers/records.js"

const rec = (id: string, over: Partial<StoredRecord> = {}): StoredRecord =>
  record({ id, timestamp: new Date("2026-11-20T10:00:00Z"), ...over })

/** A store whose commits wait until released, recording the batches of each transaction. */
class GatedStore extends MemoryStore {
  transactions: number[] = []
  private gates: Array<() => void> = []
  failIds = new Set<string>()

  override async insertBatches(batches: readonly (readonly StoredRecord[])[]): Promise<InsertResult[]> {
    this.transactions.push(batches.length)
    await new Promise<void>((resolve) => this.gates.push(resolve))
    if (batches.some((b) => b.some((r) => this.failIds.has(r.id)))) throw new Error("constraint failed")
    return super.insertBatches(batches)
  }

  release(): void {
    for (const open of this.gates.splice(0)) open()
  }

  async waitForGate(): Promise<void> {
    while (this.gates.length === 0) await new Promise((r) => setImmediate(r))
  }
}

describe("GroupCommitter", () => {
  it("lets concurrent batches share one transaction while each caller waits for its own commit", async () => {
    const store = new GatedStore()
    const commits: number[] = []
    const committer = new GroupCommitter(store, { onCommit: (e) => commits.push(e.batches) })
    const first = committer.submit([rec("a")])
    await store.waitForGate()
    let settled = 0
    const rest = [committer.submit([rec("b"), rec("c")]), committer.submit([rec("a")]), committer.submit([rec("d")])]
    for (const p of rest) p.then(() => settled++)
    store.release()
    expect(await first).to.deep.equal({ accepted: 1, duplicates: 0 })
    await store.waitForGate()
    expect(settled, "later batches wait for their own commit").to.equal(0)
    store.release()
    expect(await Promise.all(rest)).to.deep.equal([
      { accepted: 2, duplicates: 0 },
      { accepted: 0, duplicates: 1 },
      { accepted: 1, duplicates: 0 },
    ])
    expect(store.transactions).to.deep.equal([1, 3])
    expect(commits).to.deep.equal([1, 3])
  })

  it("groups batches submitted in the same turn of the event loop", async () => {
    const store = new GatedStore()
    const committer = new GroupCommitter(store)
    const all = Promise.all([committer.submit([rec("a")]), committer.submit([rec("b")])])
    await store.waitForGate()
    store.release()
    await all
    expect(store.transactions).to.deep.equal([2])
  })

  it("retries the batches of a failed shared commit alone, so one bad batch fails only its caller", async () => {
    const store = new GatedStore()
    store.failIds.add("bad")
    const committer = new GroupCommitter(store)
    const good = committer.submit([rec("g1")])
    const bad = committer.submit([rec("bad")])
    const other = committer.submit([rec("g2")])
    const outcomes = Promise.allSettled([good, bad, other])
    for (let i = 0; i < 4; i++) {
      await store.waitForGate()
      store.release()
    }
    const [g, b, o] = await outcomes
    expect(g).to.deep.include({ status: "fulfilled", value: { accepted: 1, duplicates: 0 } })
    expect(b.status).to.equal("rejected")
    expect(o).to.deep.include({ status: "fulfilled", value: { accepted: 1, duplicates: 0 } })
    expect(store.all().map((r) => r.id)).to.deep.equal(["g1", "g2"])
  })

  it("caps the records of one transaction", async () => {
    const store = new GatedStore()
    const committer = new GroupCommitter(store, { maxRecords: 3 })
    const all = Promise.all([
      committer.submit([rec("a"), rec("b")]),
      committer.submit([rec("c"), rec("d")]),
      committer.submit([rec("e")]),
    ])
    for (let i = 0; i < 2; i++) {
      await store.waitForGate()
      store.release()
    }
    await all
    expect(store.transactions).to.deep.equal([1, 2])
  })

  it("commits up to `concurrency` groups at once, later batches waiting for a free lane", async () => {
    const store = new GatedStore()
    const committer = new GroupCommitter(store, { concurrency: 2 })
    const a = committer.submit([rec("a")])
    await store.waitForGate()
    const b = committer.submit([rec("b"), rec("c")])
    while (store.transactions.length < 2) await new Promise((r) => setImmediate(r))
    let cDone = false
    const c = committer.submit([rec("d")]).then((result) => {
      cDone = true
      return result
    })
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r))
    expect(store.transactions, "two commits run, the third batch waits").to.deep.equal([1, 1])
    expect(cDone).to.equal(false)
    store.release()
    expect(await a).to.deep.equal({ accepted: 1, duplicates: 0 })
    expect(await b).to.deep.equal({ accepted: 2, duplicates: 0 })
    await store.waitForGate()
    store.release()
    expect(await c).to.deep.equal({ accepted: 1, duplicates: 0 })
    expect(store.transactions).to.deep.equal([1, 1, 1])
    await committer.idle()
  })

  it("with several lanes, a failing batch fails only its caller: the other lanes and its group's others commit", async () => {
    const store = new GatedStore()
    store.failIds.add("bad")
    const committer = new GroupCommitter(store, { concurrency: 3 })
    const lane1 = [committer.submit([rec("g1")]), committer.submit([rec("bad"), rec("x")])]
    await store.waitForGate()
    const lane2 = [committer.submit([rec("g2")]), committer.submit([rec("g3")])]
    while (store.transactions.length < 2) await new Promise((r) => setImmediate(r))
    const lane3 = [committer.submit([rec("g4")])]
    while (store.transactions.length < 3) await new Promise((r) => setImmediate(r))
    expect(store.transactions, "three lanes commit at once").to.deep.equal([2, 2, 1])
    const outcomes = Promise.allSettled([...lane1, ...lane2, ...lane3])
    // The failed group of lane 1 is retried batch by batch while the other lanes' commits go through.
    while (store.transactions.length < 5) {
      store.release()
      await new Promise((r) => setImmediate(r))
    }
    store.release()
    const [g1, bad, g2, g3, g4] = await outcomes
    for (const ok of [g1, g2, g3, g4])
      expect(ok).to.deep.include({ status: "fulfilled", value: { accepted: 1, duplicates: 0 } })
    expect(bad.status).to.equal("rejected")
    expect(store.transactions).to.deep.equal([2, 2, 1, 1, 1])
    expect(
      store
        .all()
        .map((r) => r.id)
        .sort(),
    ).to.deep.equal(["g1", "g2", "g3", "g4"])
    await committer.idle()
  })

  it("idle() waits for every running lane", async () => {
    const store = new GatedStore()
    const committer = new GroupCommitter(store, { concurrency: 3 })
    const submitted = [committer.submit([rec("a")])]
    await store.waitForGate()
    submitted.push(committer.submit([rec("b")]))
    while (store.transactions.length < 2) await new Promise((r) => setImmediate(r))
    let idle = false
    const done = committer.idle().then(() => {
      idle = true
    })
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r))
    expect(idle).to.equal(false)
    store.release()
    await done
    expect(await Promise.all(submitted)).to.have.length(2)
    expect(
      store
        .all()
        .map((r) => r.id)
        .sort(),
    ).to.deep.equal(["a", "b"])
  })
})

describe("GroupCommitter on the real PostgreSQL store", function () {
  this.timeout(30_000)
  const schemas = testSchemas("uh_group_commit")
  let store: PostgresStore | undefined

  before(async function () {
    await skipWithoutPostgres(this)
  })
  afterEach(async () => {
    await store?.close()
    store = undefined
  })
  after(() => schemas.drop())

  it("with several lanes, a batch PostgreSQL refuses fails only its caller: the other lanes and its group's others commit", async () => {
    const pg = await PostgresStore.open(PG_TEST_URL, { schema: schemas.next(), poolSize: 4 })
    store = pg
    // Commits of the first three groups wait for each other, so three lanes are in PostgreSQL at once.
    const transactions: number[] = []
    let inFlight = 0
    let mostInFlight = 0
    let opened: () => void = () => {}
    const threeOpen = new Promise<void>((resolve) => {
      opened = resolve
    })
    const committer = new GroupCommitter(
      {
        async insertBatches(batches) {
          transactions.push(batches.length)
          inFlight += 1
          mostInFlight = Math.max(mostInFlight, inFlight)
          try {
            if (transactions.length === 3) opened()
            if (transactions.length <= 3) await threeOpen
            return await pg.insertBatches(batches)
          } finally {
            inFlight -= 1
          }
        },
      },
      { concurrency: 3 },
    )
    const until = async (done: () => boolean) => {
      while (!done()) await new Promise((r) => setImmediate(r))
    }
    // A NUL character in text: valid for the record schema and SQLite, refused by PostgreSQL (22021).
    const bad = rec("bad", { model: "claude\u0000sonnet" })
    const lane1 = [committer.submit([rec("g1")]), committer.submit([bad, rec("x")]), committer.submit([rec("g2")])]
    await until(() => transactions.length === 1)
    const lane2 = [committer.submit([rec("g3")]), committer.submit([rec("g4"), rec("g5")])]
    await until(() => transactions.length === 2)
    const lane3 = [committer.submit([rec("g6")])]
    const [g1, refused, g2, g3, g45, g6] = await Promise.allSettled([...lane1, ...lane2, ...lane3])
    expect(mostInFlight, "three lanes commit at once").to.equal(3)
    for (const ok of [g1, g2, g3, g6])
      expect(ok).to.deep.include({ status: "fulfilled", value: { accepted: 1, duplicates: 0 } })
    expect(g45).to.deep.include({ status: "fulfilled", value: { accepted: 2, duplicates: 0 } })
    expect(refused.status).to.equal("rejected")
    expect(String((refused as PromiseRejectedResult).reason?.message), "refused by PostgreSQL").to.match(/0x00/)
    // The failed group of lane 1 (3 batches) was retried batch by batch; the other lanes committed once each.
    expect([...transactions].sort()).to.deep.equal([1, 1, 1, 1, 2, 3])
    const stored: string[] = []
    for await (const chunk of pg.iterate({})) for (const r of chunk) stored.push(r.id)
    expect(stored.sort()).to.deep.equal(["g1", "g2", "g3", "g4", "g5", "g6"])
    await committer.idle()
  })
})
