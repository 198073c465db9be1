/**
 * The UsageStore contract, written once and run against every backend (memory, SQLite, PostgreSQL). The
 * MemoryStore is the oracle: for the same records, a backend must give the same aggregates, the same
 * records in the same order and the same summaries and trends.
 */
import { expect } from "chai"
import { fromNanos, toNanos } from "../../../src/lib/money.js"
import { runPlan } from "../../../src/lib/query/plan.js"
import { summaryPlan } from "../../../src/lib/query/summary.js"
import { trendsPlan } from "../../../src/lib/query/trends.js"
import {
  MAX_COST_PER_RECORD,
  MAX_RECORD_TIME_MS,
  MAX_TOKENS_PER_RECORD,
  MIN_RECORD_TIME_MS,
  parseRecord,
  type StoredRecord,
  type UsageRecord,
} from "../../../src/lib/record.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"
import type { AggregateRow, RecordFilter, UsageStore } from "../../../src/lib/store/store.js"
import { GROUP_BY_VALUES } from "../../../src/lib/summary-types.js"
import { record, seededRandom } from "../../helpers/records.js"

export { record, seededRandom }

export interface StoreContractOptions {
  /** Closes the store and opens the same data again (stores that persist). */
  reopen?: (store: UsageStore) => Promise<UsageStore>
  /** Closes the store, takes it back to the schema before the narrow rollups and opens it (migrating it). */
  reopenWithoutNarrowRollups?: (store: UsageStore) => Promise<UsageStore>
}

const PROVIDERS = ["anthropic", "openai", "google", "zai-coding-plan"]
const MODELS = ["model-a", "model-b", "model-c"]
const NODES = ["build-01", "build-02", "laptop", "ci-runner"]
const TASKS = ["primary", "background-task", "subagent"]
const AGENTS = ["oh-my-opencode", "claude-code", "codex", "gemini-cli"]
const PROJECTS = ["usage-hub", "web-app", "infra"]

/** `count` varied records between `from` and `to` (ms), some with optional fields, costs with <= 9 decimals. */
export function generateRecords(count: number, seed: number, from: number, to: number): StoredRecord[] {
  const rand = seededRandom(seed)
  const pick = <T>(values: readonly T[]): T => values[Math.floor(rand() * values.length)]
  return Array.from({ length: count }, (_, i) => {
    const r: StoredRecord = {
      id: `usage_${seed.toString(16)}_${i.toString(16).padStart(6, "0")}`,
      timestamp: new Date(from + Math.floor(rand() * (to - from))),
      provider: pick(PROVIDERS),
      model: pick(MODELS),
      node: pick(NODES),
      taskType: pick(TASKS),
      inputTokens: Math.floor(rand() * 50_000),
      outputTokens: Math.floor(rand() * 5_000),
      estimatedCost: Math.round(rand() * 2_000_000) / 1e8,
    }
    if (rand() < 0.3) r.cacheReadTokens = Math.floor(rand() * 10_000)
    if (rand() < 0.2) r.cacheWriteTokens = Math.floor(rand() * 1_000)
    if (rand() < 0.2) r.reasoningTokens = Math.floor(rand() * 2_000)
    if (rand() < 0.1) r.unpriced = rand() < 0.8
    if (rand() < 0.5) r.sessionID = `ses_${Math.floor(rand() * 20)}`
    if (rand() < 0.7) r.agent = pick(AGENTS)
    if (rand() < 0.6) r.project = pick(PROJECTS)
    return r
  })
}

export async function collect(store: UsageStore, filter: RecordFilter = {}, chunkSize?: number) {
  const chunks: UsageRecord[][] = []
  for await (const chunk of store.iterate(filter, chunkSize)) chunks.push(chunk)
  return { chunks, records: chunks.flat() }
}

const byKey = (rows: AggregateRow[]) => [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))

const at = (iso: string) => new Date(iso)

// Data spans late October to late November 2026: the EU DST switch (25 Oct), month ends, many zones.
const SPAN_FROM = Date.parse("2026-10-20T00:00:00Z")
const SPAN_TO = Date.parse("2026-11-25T00:00:00Z")
const NOW = at("2026-11-24T15:45:00Z")

/** Ranges whose edges fall on and off hour, day and month boundaries, and on :30 and :45 zone offsets. */
const RANGES: RecordFilter[] = [
  {},
  { since: at("2026-11-01T00:00:00Z") },
  { until: at("2026-11-01T00:00:00Z") },
  { since: at("2026-11-01T00:00:00Z"), until: at("2026-12-01T00:00:00Z") },
  { since: at("2026-10-31T23:00:00Z"), until: at("2026-11-30T23:00:00Z") },
  { since: at("2026-11-03T10:17:42.123Z"), until: at("2026-11-03T10:48:00.001Z") },
  { since: at("2026-11-03T10:17:42.123Z"), until: at("2026-11-19T03:59:59.999Z") },
  { since: at("2026-10-31T18:30:00Z"), until: at("2026-11-01T18:30:00Z") }, // a day in Asia/Kolkata (+05:30)
  { since: at("2026-11-04T18:15:00Z"), until: at("2026-11-20T18:15:00Z") }, // midnights in Asia/Kathmandu (+05:45)
  { since: at("2026-10-25T00:30:00Z"), until: at("2026-11-11T13:30:00Z") },
  { since: at("2026-11-10T00:00:00Z"), until: at("2026-11-10T00:00:00Z") }, // empty
  { since: at("2026-11-12T00:00:00Z"), until: at("2026-11-10T00:00:00Z") }, // inverted
  { since: at("2027-01-01T00:00:00Z") }, // after all data
]

/** Zone days and weeks (UTC, +05:30, +05:45, -02:30 and -03:30 across the DST end), RANGES, random ranges. */
const NARROW_RANGES: RecordFilter[] = (() => {
  const rand = seededRandom(22)
  const ranges: RecordFilter[] = [...RANGES]
  for (const offsetMinutes of [0, 330, 345, -150, -210]) {
    for (let day = Date.parse("2026-10-22T00:00:00Z"); day < SPAN_TO; day += 3 * 86_400_000) {
      const since = day - offsetMinutes * 60_000
      ranges.push({ since: new Date(since), until: new Date(since + 86_400_000) })
      ranges.push({ since: new Date(since), until: new Date(since + 7 * 86_400_000) })
    }
  }
  for (let k = 0; k < 20; k++) {
    const a = SPAN_FROM + Math.floor(rand() * (SPAN_TO - SPAN_FROM))
    const b = SPAN_FROM + Math.floor(rand() * (SPAN_TO - SPAN_FROM))
    ranges.push({ since: new Date(Math.min(a, b)), until: new Date(Math.max(a, b)) })
  }
  return ranges
})()

/**
 * Aggregates by provider and by model that need no nodes (`nodes: false`: the SQL stores' narrow rollups),
 * with and without a provider or model filter, over NARROW_RANGES, equal the memory store's over `records`
 * (nodes aside); the SQL stores give no nodes, which shows they read the narrow rollups.
 */
async function expectNarrowAnswers(store: UsageStore, records: StoredRecord[], when: string): Promise<void> {
  const oracle = new MemoryStore(records)
  const requests = NARROW_RANGES.flatMap((range) =>
    [{}, { provider: "openai" }, { model: "model-b" }].flatMap((dims) =>
      (["provider", "model"] as const).map((groupBy) => ({ filter: { ...range, ...dims }, groupBy, nodes: false })),
    ),
  )
  const answers = store.aggregateMany
    ? await store.aggregateMany(requests)
    : await Promise.all(requests.map((r) => store.aggregate(r.filter, r.groupBy)))
  const withoutNodes = (rows: AggregateRow[]) => byKey(rows).map((r) => ({ ...r, nodes: [] }))
  requests.forEach((request, i) => {
    const label = `${when} ${JSON.stringify(request)}`
    expect(withoutNodes(answers[i]), label).to.deep.equal(
      withoutNodes(oracle.aggregateSync(request.filter, request.groupBy)),
    )
    if (store.kind !== "memory") for (const row of answers[i]) expect(row.nodes, label).to.deep.equal([])
  })
}

export function describeStoreContract(
  name: string,
  openStore: () => Promise<UsageStore>,
  options: StoreContractOptions = {},
): void {
  describe(`UsageStore contract: ${name}`, () => {
    let store: UsageStore

    beforeEach(async () => {
      store = await openStore()
    })

    afterEach(async () => {
      await store.close()
    })

    /** The same records in a MemoryStore and in the store under test. */
    async function withOracle(records: StoredRecord[]): Promise<MemoryStore> {
      const oracle = new MemoryStore()
      await oracle.insert(records)
      await store.insert(records)
      return oracle
    }

    it("counts a redelivered record once (the same instant written as Z, as +02:00 and as epoch ms)", async () => {
      const wire = { id: "usage_3f9a1c2e", provider: "anthropic", model: "m", inputTokens: 1, outputTokens: 2 }
      const variants = [
        "2026-11-20T10:11:12.345Z",
        "2026-11-20T12:11:12.345+02:00",
        Date.parse("2026-11-20T10:11:12.345Z"),
      ]
      const results = []
      for (const timestamp of variants) {
        const parsed = parseRecord({ ...wire, timestamp, estimatedCost: 0.5, taskType: "primary" })
        if (!parsed.ok) throw new Error(parsed.error)
        results.push(await store.insert([{ ...parsed.record, node: "build-07" }]))
      }
      expect(results).to.deep.equal([
        { accepted: 1, duplicates: 0 },
        { accepted: 0, duplicates: 1 },
        { accepted: 0, duplicates: 1 },
      ])
      const [row] = await store.aggregate({}, "provider")
      expect(row.calls).to.equal(1)
      expect(row.costNanos).to.equal(500_000_000n)
      expect((await collect(store)).records).to.have.length(1)
      expect((await store.stats()).records).to.equal(1)
    })

    it("counts a record repeated within a batch and across the batches of one commit once", async () => {
      const a = record({ id: "usage_aaaaaaaa", timestamp: at("2026-11-20T10:00:00Z") })
      const b = record({ id: "usage_bbbbbbbb", timestamp: at("2026-11-20T10:00:01Z") })
      expect(await store.insertBatches([[a, a], [b, a], []])).to.deep.equal([
        { accepted: 1, duplicates: 1 },
        { accepted: 1, duplicates: 1 },
        { accepted: 0, duplicates: 0 },
      ])
      expect(await store.insert([a, b])).to.deep.equal({ accepted: 0, duplicates: 2 })
      const [row] = await store.aggregate({}, "provider")
      expect(row.calls).to.equal(2)
    })

    it("counts concurrent deliveries of the same record once", async () => {
      const a = record({ id: "usage_cccccccc", timestamp: at("2026-11-20T10:00:00Z") })
      const results = await Promise.all(Array.from({ length: 6 }, () => store.insert([a])))
      expect(results.reduce((n, r) => n + r.accepted, 0)).to.equal(1)
      expect(results.reduce((n, r) => n + r.duplicates, 0)).to.equal(5)
      expect((await store.aggregate({}, "provider"))[0].calls).to.equal(1)
    })

    it("counts two events sharing a legacy id twice (other timestamp, or other node)", async () => {
      const base = record({ id: "usage_0badf00d", timestamp: at("2026-11-20T10:00:00Z") })
      const result = await store.insert([
        base,
        { ...base, timestamp: at("2026-11-20T10:00:00.001Z") },
        { ...base, node: "node-b" },
      ])
      expect(result).to.deep.equal({ accepted: 3, duplicates: 0 })
      const [row] = await store.aggregate({}, "provider")
      expect(row.calls).to.equal(3)
      expect(row.nodes).to.deep.equal(["node-a", "node-b"])
      expect((await collect(store)).records.map((r) => r.id)).to.deep.equal(Array(3).fill("usage_0badf00d"))
    })

    it("sums money exactly (0.1 + 0.2 patterns, nano-dollar amounts)", async () => {
      const costs = [0.1, 0.2, 0.3, 0.000000001, 0.0087, 1.23456789]
      const records = Array.from({ length: 600 }, (_, i) =>
        record({
          id: `usage_${i}`,
          timestamp: new Date(Date.parse("2026-11-20T00:00:00Z") + i * 97_531),
          estimatedCost: costs[i % costs.length],
        }),
      )
      await store.insert(records)
      const expectedNanos = records.reduce((n, r) => n + BigInt(toNanos(r.estimatedCost)), 0n)
      const [row] = await store.aggregate({}, "provider")
      expect(row.costNanos).to.equal(expectedNanos)
      expect(fromNanos(row.costNanos)).to.equal(184.3267891)
      const [part] = await store.aggregate(
        { since: at("2026-11-20T03:17:00Z"), until: at("2026-11-20T09:41:00Z") },
        "provider",
      )
      const inPart = records.filter(
        (r) => r.timestamp >= at("2026-11-20T03:17:00Z") && r.timestamp < at("2026-11-20T09:41:00Z"),
      )
      expect(part.costNanos).to.equal(inPart.reduce((n, r) => n + BigInt(toNanos(r.estimatedCost)), 0n))
    })

    it("groups by provider, model, node, taskType, agent and project like the memory store", async () => {
      const oracle = await withOracle(generateRecords(400, 1, SPAN_FROM, SPAN_TO))
      for (const groupBy of GROUP_BY_VALUES) {
        const got = byKey(await store.aggregate({}, groupBy))
        expect(got, `by ${groupBy}`).to.deep.equal(byKey(oracle.aggregateSync({}, groupBy)))
        expect(got.length, `by ${groupBy}`).to.be.greaterThan(2)
      }
      // Records without an agent or project group under "" (none).
      expect((await store.aggregate({}, "agent")).map((r) => r.key)).to.include("")
    })

    it("filters by model, agent and project, in ranges answered by rollups and by record edges", async () => {
      const oracle = await withOracle(generateRecords(500, 8, SPAN_FROM, SPAN_TO))
      const filters: RecordFilter[] = [
        { model: "model-b" },
        { agent: "claude-code" },
        { project: "usage-hub", agent: "codex" },
        { model: "model-a", project: "infra", node: "laptop" },
        { agent: "nobody" },
      ]
      for (const filter of filters) {
        for (const range of RANGES.slice(0, 9)) {
          for (const groupBy of ["provider", "project"] as const) {
            const f = { ...filter, ...range }
            expect(byKey(await store.aggregate(f, groupBy)), JSON.stringify(f)).to.deep.equal(
              byKey(oracle.aggregateSync(f, groupBy)),
            )
          }
        }
        expect((await collect(store, filter)).records).to.deep.equal((await collect(oracle, filter)).records)
      }
    })

    it("filters by provider, node, since (inclusive) and until (exclusive) on and off hour, day and zone boundaries", async () => {
      const records = generateRecords(600, 2, SPAN_FROM, SPAN_TO)
      // Records exactly on range edges: `since` counts them, `until` does not.
      for (const [i, range] of RANGES.entries()) {
        for (const edge of [range.since, range.until]) {
          if (edge)
            records.push(record({ id: `usage_edge_${i}_${edge.getTime()}`, timestamp: edge, estimatedCost: 0.01 }))
        }
      }
      const oracle = await withOracle(records)
      const filters: RecordFilter[] = []
      for (const range of RANGES) {
        filters.push(range, { ...range, provider: "openai" }, { ...range, node: "laptop" })
        filters.push({ ...range, provider: "anthropic", node: "node-a" }, { ...range, provider: "no-such" })
      }
      for (const filter of filters) {
        for (const groupBy of ["provider", "node"] as const) {
          const label = `${JSON.stringify(filter)} by ${groupBy}`
          expect(byKey(await store.aggregate(filter, groupBy)), label).to.deep.equal(
            byKey(oracle.aggregateSync(filter, groupBy)),
          )
        }
      }
      const edge = RANGES[5]
      const [row] = await store.aggregate({ since: edge.since, until: new Date(edge.since!.getTime() + 1) }, "provider")
      expect(row.calls, "a record at `since` is included").to.be.greaterThan(0)
      expect(
        await store.aggregate({ since: edge.until, until: new Date(edge.until!.getTime() + 1) }, "provider"),
      ).to.have.length.greaterThan(0)
      expect(
        await store.aggregate({ since: new Date(edge.until!.getTime() - 1), until: edge.until }, "provider"),
      ).to.deep.equal(
        oracle.aggregateSync({ since: new Date(edge.until!.getTime() - 1), until: edge.until }, "provider"),
      )
    })

    it("leaves out groups and nodes whose records all lie just outside the range", async () => {
      // A day in Asia/Kolkata is [18:30Z the day before, 18:30Z): records at 18:45Z are in the UTC day but not in it.
      const inside = record({ id: "usage_in", timestamp: at("2026-11-20T12:00:00Z"), node: "kept", model: "m-in" })
      const after = record({ id: "usage_out", timestamp: at("2026-11-20T18:45:00Z"), node: "gone", model: "m-out" })
      const before = record({ id: "usage_early", timestamp: at("2026-11-19T18:15:00Z"), node: "gone", model: "m-out" })
      const oracle = await withOracle([inside, after, before])
      const day = { since: at("2026-11-19T18:30:00Z"), until: at("2026-11-20T18:30:00Z") }
      const [row] = await store.aggregate(day, "provider")
      expect(row).to.include({ calls: 1, costNanos: BigInt(toNanos(inside.estimatedCost)) })
      expect(row.nodes).to.deep.equal(["kept"])
      expect((await store.aggregate(day, "model")).map((r) => r.key)).to.deep.equal(["m-in"])
      expect(await store.aggregate({ ...day, node: "gone" }, "node")).to.deep.equal([])
      for (const groupBy of GROUP_BY_VALUES) {
        expect(byKey(await store.aggregate(day, groupBy))).to.deep.equal(byKey(oracle.aggregateSync(day, groupBy)))
      }
    })

    it("iterates in (timestamp, node, id) order in chunks of at most the requested size", async () => {
      const records = generateRecords(250, 3, SPAN_FROM, SPAN_TO)
      // Ties on the timestamp: order falls to node, then id.
      const tie = at("2026-11-10T10:10:10.010Z")
      records.push(
        record({ id: "usage_b", timestamp: tie, node: "n2" }),
        record({ id: "usage_a", timestamp: tie, node: "n2" }),
        record({ id: "usage_z", timestamp: tie, node: "n1" }),
      )
      const oracle = await withOracle(records)
      for (const [filter, chunkSize] of [
        [{}, 64],
        [{}, 1],
        [{ provider: "google" }, 7],
        [{ node: "laptop", since: at("2026-11-01T12:30:00Z"), until: at("2026-11-15T00:00:00Z") }, 5],
        [{ since: at("2026-12-01T00:00:00Z") }, 10],
      ] as [RecordFilter, number][]) {
        const got = await collect(store, filter, chunkSize)
        const want = (await collect(oracle, filter)).records
        expect(got.records, JSON.stringify(filter)).to.deep.equal(want)
        for (const chunk of got.chunks) expect(chunk.length).to.be.within(1, chunkSize)
        if (want.length > chunkSize) expect(got.chunks.length).to.be.greaterThan(1)
      }
      const tied = (await collect(store, { since: tie, until: new Date(tie.getTime() + 1) })).records
      expect(tied.map((r) => `${r.node}/${r.id}`)).to.deep.equal(["n1/usage_z", "n2/usage_a", "n2/usage_b"])
    })

    it("keeps the token breakdown, unpriced and sessionID, and leaves absent fields absent", async () => {
      const full = record({
        id: "usage_full",
        timestamp: at("2026-11-20T10:00:00.123Z"),
        sessionID: "ses_01",
        cacheReadTokens: 700,
        cacheWriteTokens: 80,
        reasoningTokens: 9,
        unpriced: true,
        estimatedCost: 0.123456789,
      })
      const priced = record({
        id: "usage_priced",
        timestamp: at("2026-11-20T10:00:01Z"),
        unpriced: false,
        cacheReadTokens: 0,
      })
      const bare = record({ id: "usage_bare", timestamp: at("2026-11-20T10:00:02Z") })
      await store.insert([bare, priced, full])
      const { records } = await collect(store)
      expect(records).to.deep.equal([full, priced, bare])
      expect(records[2]).to.not.have.any.keys(
        "sessionID",
        "cacheReadTokens",
        "cacheWriteTokens",
        "reasoningTokens",
        "unpriced",
      )
      const [row] = await store.aggregate({}, "provider")
      expect(row).to.include({
        calls: 3,
        cacheReadTokens: 700,
        cacheWriteTokens: 80,
        reasoningTokens: 9,
        unpricedCalls: 1,
      })
    })

    it("stores Unicode and SQL metacharacters in provider, model and node verbatim", async () => {
      const strange = [
        { provider: "o'reilly\"; DROP TABLE usage_records; --", model: "模型-🚀", node: "nœud \\ % _ *" },
        { provider: "ünïcödé", model: "a'b\"c`d", node: "節点-1" },
        { provider: "%", model: "_", node: "' OR '1'='1" },
      ]
      const records = strange.flatMap((s, i) =>
        [0, 1].map((j) =>
          record({
            ...s,
            id: `usage_${i}_${j}`,
            timestamp: new Date(Date.parse("2026-11-20T10:00:00Z") + i * 1000 + j),
          }),
        ),
      )
      const oracle = await withOracle(records)
      for (const groupBy of GROUP_BY_VALUES) {
        expect(byKey(await store.aggregate({}, groupBy))).to.deep.equal(byKey(oracle.aggregateSync({}, groupBy)))
      }
      for (const s of strange) {
        const [row] = await store.aggregate({ provider: s.provider, node: s.node }, "model")
        expect(row).to.include({ key: s.model, calls: 2 })
        expect(row.nodes).to.deep.equal([s.node])
        expect((await collect(store, { provider: s.provider })).records.map((r) => r.node)).to.deep.equal([
          s.node,
          s.node,
        ])
      }
      expect(await store.aggregate({ provider: "o'reilly" }, "provider")).to.deep.equal([])
      expect((await store.stats()).records).to.equal(records.length)
    })

    it("answers summaryPlan and trendsPlan through runPlan like the memory store", async () => {
      const oracle = await withOracle(generateRecords(500, 4, SPAN_FROM, SPAN_TO))
      const queries = [
        { tz: "UTC" },
        { tz: "Europe/Paris", by: "model" as const },
        { tz: "Asia/Kolkata", by: "node" as const, provider: "openai" },
        { tz: "America/St_Johns", by: "taskType" as const, node: "laptop" },
        {
          tz: "Asia/Kathmandu",
          since: at("2026-11-02T03:30:00Z"),
          until: at("2026-11-17T00:00:00Z"),
          by: "provider" as const,
        },
      ]
      for (const query of queries) {
        const got = await runPlan(summaryPlan(query, NOW), store)
        expect(got, JSON.stringify(query)).to.deep.equal(await runPlan(summaryPlan(query, NOW), oracle))
        expect(got.totalCost).to.be.greaterThan(0)
      }
      for (const query of [
        { provider: "anthropic", rangeDays: 7, tz: "UTC" },
        { provider: "google", rangeDays: 30, tz: "Asia/Kolkata" },
        { provider: "openai", rangeDays: 40, tz: "Europe/Paris", node: "build-02" },
      ]) {
        const got = await runPlan(trendsPlan(query, NOW), store)
        expect(got, JSON.stringify(query)).to.deep.equal(await runPlan(trendsPlan(query, NOW), oracle))
        expect(got.dataPoints.filter((p) => p.calls > 0).length).to.be.greaterThan(3)
      }
    })

    it("sums records of up to 1e9 USD exactly, however many share a bucket (no int64 overflow)", async () => {
      // 40 calls of 1e9 USD in one half-hour: 4e19 nano-dollars, past int64, in single inserts and one batch.
      const base = Date.parse("2026-11-20T10:00:00Z")
      const huge = Array.from({ length: 40 }, (_, i) =>
        record({ id: `usage_huge_${i}`, timestamp: new Date(base + i * 1000), estimatedCost: MAX_COST_PER_RECORD }),
      )
      const odd = Array.from({ length: 10 }, (_, i) =>
        record({ id: `usage_odd_${i}`, timestamp: new Date(base + 60_000 + i), estimatedCost: 123_456_789.123_456_79 }),
      )
      for (const r of huge.slice(0, 20)) await store.insert([r])
      await store.insert([...huge.slice(20), ...odd])
      const exact = [...huge, ...odd].reduce((n, r) => n + BigInt(toNanos(r.estimatedCost)), 0n)
      const [all] = await store.aggregate({}, "provider")
      expect(all.costNanos).to.equal(exact)
      const [day] = await store.aggregate(
        { since: at("2026-11-20T00:00:00Z"), until: at("2026-11-21T00:00:00Z") },
        "model",
      )
      expect(day.costNanos).to.equal(exact)
      const [edge] = await store.aggregate({ since: new Date(base + 500), until: new Date(base + 61_000) }, "node")
      expect(edge.costNanos).to.equal(exact - BigInt(toNanos(MAX_COST_PER_RECORD)))
      const summary = await runPlan(summaryPlan({ since: at("2026-11-01T00:00:00Z") }, NOW), store)
      expect(summary.totalCost).to.equal(fromNanos(exact))
      // 40 x 1e9 + 10 x 123,456,789.12345679, as the nearest double.
      expect(summary.totalCost).to.be.closeTo(41_234_567_891.234_566, 1e-5)
    })

    it("matches the memory oracle for records across the whole accepted range (property, seeded)", async () => {
      const oracle = new MemoryStore()
      for (const seed of [11, 12]) {
        const rand = seededRandom(seed)
        const span = MAX_RECORD_TIME_MS - MIN_RECORD_TIME_MS
        const instant = (): number => {
          const pick = rand()
          if (pick < 0.1) return MIN_RECORD_TIME_MS + Math.floor(rand() * 3_600_000)
          if (pick < 0.2) return MAX_RECORD_TIME_MS - 1 - Math.floor(rand() * 3_600_000)
          if (pick < 0.6) return Date.parse("2026-11-20T00:00:00Z") + Math.floor((rand() - 0.5) * 10 * 86_400_000)
          return MIN_RECORD_TIME_MS + Math.floor(rand() * span)
        }
        const amount = (): number => {
          const pick = rand()
          if (pick < 0.1) return MAX_COST_PER_RECORD
          if (pick < 0.2) return 1e-9
          if (pick < 0.5) return Math.round(rand() * 1e13) / 1e4
          return Math.round(rand() * 1e9) / 1e9
        }
        const tokens = (): number => (rand() < 0.1 ? MAX_TOKENS_PER_RECORD : Math.floor(rand() * 1e6))
        const records: StoredRecord[] = Array.from({ length: 160 }, (_, i) =>
          record({
            id: `usage_p${seed}_${i}`,
            timestamp: new Date(instant()),
            provider: ["anthropic", "openai", "p:30", "p:45"][i % 4],
            node: `n${Math.floor(rand() * 3)}`,
            model: `m${Math.floor(rand() * 3)}`,
            estimatedCost: amount(),
            inputTokens: tokens(),
            outputTokens: tokens(),
            cacheReadTokens: rand() < 0.5 ? tokens() : undefined,
            reasoningTokens: rand() < 0.3 ? tokens() : undefined,
          }),
        )
        // Single inserts (the pending path), small batches, and one batch over many buckets (the direct fold).
        let i = 0
        while (i < records.length) {
          const size = i < 30 ? 1 : i < 100 ? 1 + Math.floor(rand() * 10) : records.length - i
          await store.insert(records.slice(i, i + size))
          i += size
        }
        await oracle.insert(records)
        // Ranges with edges on and off boundaries, and zone midnights at :30 and :45 offsets.
        const filters: RecordFilter[] = [
          {},
          { since: new Date(MIN_RECORD_TIME_MS), until: new Date(MAX_RECORD_TIME_MS) },
          { since: at("2026-11-19T18:30:00Z"), until: at("2026-11-20T18:30:00Z") },
          { since: at("2026-11-16T18:15:00Z"), until: at("2026-11-23T18:15:00Z") },
          { since: at("2026-11-20T03:30:00Z"), until: at("2026-11-21T03:30:00Z") },
          { until: new Date(MIN_RECORD_TIME_MS + 1_800_000) },
          { since: new Date(MAX_RECORD_TIME_MS - 5_400_000) },
        ]
        for (let k = 0; k < 8; k++) {
          const a = instant()
          const b = instant()
          filters.push({ since: new Date(Math.min(a, b)), until: new Date(Math.max(a, b) + 1) })
        }
        const check = async (when: string) => {
          for (const filter of filters) {
            for (const groupBy of ["provider", "node"] as const) {
              expect(byKey(await store.aggregate(filter, groupBy)), `${when} ${JSON.stringify(filter)}`).to.deep.equal(
                byKey(oracle.aggregateSync(filter, groupBy)),
              )
            }
          }
        }
        await check("before a fold")
        if (options.reopen) {
          store = await options.reopen(store)
          await check("after a fold")
        }
        await store.insert([record({ id: `usage_after_${seed}`, timestamp: new Date(MAX_RECORD_TIME_MS - 1) })])
        await oracle.insert([record({ id: `usage_after_${seed}`, timestamp: new Date(MAX_RECORD_TIME_MS - 1) })])
        expect(byKey(await store.aggregate({}, "provider"))).to.deep.equal(byKey(oracle.aggregateSync({}, "provider")))
      }
    })

    it("answers aggregates that need no nodes (the narrow rollups) like the memory store, in any zone, before and after folds and prunes", async () => {
      const records = generateRecords(700, 21, SPAN_FROM, SPAN_TO)
      // Single inserts (SQLite's pending path), small batches, one big batch (the direct fold).
      for (const r of records.slice(0, 40)) await store.insert([r])
      for (let i = 40; i < 200; i += 7) await store.insert(records.slice(i, Math.min(i + 7, 200)))
      await store.insert(records.slice(200))
      let remaining = records
      await expectNarrowAnswers(store, remaining, "before a fold")
      if (options.reopen) {
        store = await options.reopen(store)
        await expectNarrowAnswers(store, remaining, "after a fold")
      }
      const cut = at("2026-11-07T13:17:00Z")
      await store.prune({ before: cut, node: "laptop" })
      remaining = remaining.filter((r) => !(r.timestamp < cut && r.node === "laptop"))
      const cut2 = at("2026-11-15T00:00:00Z")
      await store.prune({ before: cut2, provider: "openai" })
      remaining = remaining.filter((r) => !(r.timestamp < cut2 && r.provider === "openai"))
      await expectNarrowAnswers(store, remaining, "after prunes")
      await store.insert([records[0]])
      if (!remaining.includes(records[0])) remaining = [...remaining, records[0]]
      await expectNarrowAnswers(store, remaining, "after a pruned record came back")
    })

    if (options.reopenWithoutNarrowRollups) {
      const reopen = options.reopenWithoutNarrowRollups
      it("fills the narrow rollups of a store written before them from its rollups", async () => {
        const records = generateRecords(500, 23, SPAN_FROM, SPAN_TO)
        for (const r of records.slice(0, 30)) await store.insert([r])
        await store.insert(records.slice(30))
        store = await reopen(store)
        await expectNarrowAnswers(store, records, "after the migration")
        const more = generateRecords(50, 24, SPAN_FROM, SPAN_TO)
        for (const r of more.slice(0, 10)) await store.insert([r])
        await store.insert(more.slice(10))
        await expectNarrowAnswers(store, [...records, ...more], "after more inserts")
      })
    }

    it("prunes records before a date (of a node, of a provider) with every rollup equal to a recomputation", async () => {
      const records = generateRecords(600, 5, SPAN_FROM, SPAN_TO)
      // Half in single inserts (pending increments on SQLite), half in one batch.
      for (const r of records.slice(0, 60)) await store.insert([r])
      await store.insert(records.slice(60))
      const cut = at("2026-11-07T13:17:00Z")
      const steps: { filter: { before: Date; node?: string; provider?: string } }[] = [
        { filter: { before: cut, node: "laptop" } },
        { filter: { before: at("2026-11-15T00:00:00Z"), provider: "openai" } },
        { filter: { before: cut } },
      ]
      let remaining = records
      for (const { filter } of steps) {
        const matches = (r: StoredRecord) =>
          r.timestamp < filter.before &&
          (filter.node === undefined || r.node === filter.node) &&
          (filter.provider === undefined || r.provider === filter.provider)
        const gone = remaining.filter(matches)
        remaining = remaining.filter((r) => !matches(r))
        const expected = {
          records: gone.length,
          costNanos: gone.reduce((n, r) => n + BigInt(toNanos(r.estimatedCost)), 0n),
          first: new Date(Math.min(...gone.map((r) => r.timestamp.getTime()))),
          last: new Date(Math.max(...gone.map((r) => r.timestamp.getTime()))),
        }
        expect(await store.prune(filter, { dryRun: true }), "dry run").to.deep.equal(expected)
        expect(await store.prune(filter)).to.deep.equal(expected)
        expect(await store.prune(filter), "nothing left to prune").to.deep.equal({ records: 0, costNanos: 0n })
        const oracle = new MemoryStore(remaining)
        for (const range of RANGES) {
          for (const groupBy of GROUP_BY_VALUES) {
            expect(byKey(await store.aggregate(range, groupBy)), JSON.stringify(range)).to.deep.equal(
              byKey(oracle.aggregateSync(range, groupBy)),
            )
          }
        }
        expect((await store.stats()).records).to.equal(remaining.length)
      }
      expect((await collect(store)).records).to.deep.equal((await collect(new MemoryStore(remaining))).records)
      // A pruned record can be stored again (its identity is free).
      expect(await store.insert([records[0]])).to.deep.equal({
        accepted: remaining.includes(records[0]) ? 0 : 1,
        duplicates: remaining.includes(records[0]) ? 1 : 0,
      })
    })

    it("answers empty for an empty store and counts what it holds in stats", async () => {
      expect(await store.aggregate({}, "provider")).to.deep.equal([])
      expect((await collect(store)).records).to.deep.equal([])
      expect((await store.stats()).records).to.equal(0)
      await store.insert(generateRecords(37, 5, SPAN_FROM, SPAN_TO))
      expect((await store.stats()).records).to.equal(37)
    })

    if (options.reopen) {
      const reopen = options.reopen
      it("keeps its records, rollups and identities across close and reopen", async () => {
        const records = generateRecords(120, 6, SPAN_FROM, SPAN_TO)
        const oracle = await withOracle(records)
        store = await reopen(store)
        expect((await collect(store)).records).to.deep.equal((await collect(oracle)).records)
        expect(byKey(await store.aggregate({ since: at("2026-11-03T10:30:00Z") }, "model"))).to.deep.equal(
          byKey(oracle.aggregateSync({ since: at("2026-11-03T10:30:00Z") }, "model")),
        )
        expect(await store.insert(records.slice(0, 10))).to.deep.equal({ accepted: 0, duplicates: 10 })
        expect((await store.stats()).records).to.equal(120)
      })
    }
  })
}
