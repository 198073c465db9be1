/**
 * The sessions and nodes part of the UsageStore contract, run against every backend (memory, SQLite,
 * PostgreSQL): the session aggregate kept at insert equals an exact recount from the records, redelivered
 * records count once, a prune adjusts it, and each node's receipt time and calls in the last hour are known.
 */
import { expect } from "chai"
import { toNanos } from "../../../src/lib/money.js"
import type { StoredRecord } from "../../../src/lib/record.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"
import type { SessionRow, SessionsFilter } from "../../../src/lib/store/sessions.js"
import type { UsageStore } from "../../../src/lib/store/store.js"
import { generateRecords, record } from "./store-contract.js"

const SPAN_FROM = Date.parse("2026-10-20T00:00:00Z")
const SPAN_TO = Date.parse("2026-11-25T00:00:00Z")
const at = (iso: string) => new Date(iso)

/** Sessions recounted from the records by hand: every (node, session) with its calls, cost, tokens, first, last. */
function recount(records: readonly StoredRecord[]) {
  const sessions = new Map<string, Omit<SessionRow, "agent" | "project"> & { models: string[] }>()
  const seen = new Set<string>()
  for (const r of records) {
    const identity = `${r.node}\u0000${r.id}\u0000${r.timestamp.getTime()}`
    if (seen.has(identity) || r.sessionID === undefined) continue
    seen.add(identity)
    const key = `${r.node}\u0000${r.sessionID}`
    const s = sessions.get(key) ?? {
      node: r.node,
      sessionId: r.sessionID,
      firstCall: r.timestamp,
      lastCall: r.timestamp,
      models: [],
      calls: 0,
      costNanos: 0n,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
      unpricedCalls: 0,
    }
    sessions.set(key, s)
    if (r.timestamp < s.firstCall) s.firstCall = r.timestamp
    if (r.timestamp > s.lastCall) s.lastCall = r.timestamp
    if (!s.models.includes(r.model)) s.models = [...s.models, r.model].sort()
    s.calls += 1
    s.costNanos += BigInt(toNanos(r.estimatedCost))
    s.inputTokens += r.inputTokens
    s.outputTokens += r.outputTokens
    s.cacheReadTokens += r.cacheReadTokens ?? 0
    s.cacheWriteTokens += r.cacheWriteTokens ?? 0
    s.reasoningTokens += r.reasoningTokens ?? 0
    if (r.unpriced) s.unpricedCalls += 1
  }
  return sessions
}

const without = ({ agent: _a, project: _p, ...rest }: SessionRow) => rest

const FILTERS: SessionsFilter[] = [
  {},
  { since: at("2026-11-01T00:00:00Z") },
  { until: at("2026-11-01T00:00:00Z") },
  { since: at("2026-11-03T10:17:42.123Z"), until: at("2026-11-19T03:59:59.999Z") },
  { since: at("2026-10-31T18:30:00Z"), until: at("2026-11-21T18:30:00Z") },
  { node: "laptop" },
  { provider: "anthropic" },
  { model: "model-b", since: at("2026-11-10T00:00:00Z") },
  { agent: "codex" },
  { project: "infra", node: "build-01" },
  { provider: "openai", agent: "claude-code" },
  { since: at("2027-01-01T00:00:00Z") },
]

export interface SessionsContractOptions {
  /**
   * Closes the store, takes it back to the schema version before the session tables (their tables and version
   * row dropped: the layout that version wrote) and opens it again, which migrates it.
   */
  reopenFromPreviousVersion?: (store: UsageStore) => Promise<UsageStore>
}

export function describeSessionsContract(
  name: string,
  openStore: () => Promise<UsageStore>,
  options: SessionsContractOptions = {},
): void {
  describe(`UsageStore sessions and nodes: ${name}`, () => {
    let store: UsageStore

    beforeEach(async () => {
      store = await openStore()
    })

    afterEach(async () => {
      await store.close()
    })

    it("sums each session to exactly a recount of its records (calls, cost, tokens, first and last call, models)", async () => {
      const records = generateRecords(700, 21, SPAN_FROM, SPAN_TO)
      await store.insert(records.slice(0, 300))
      await store.insertBatches([records.slice(300, 500), records.slice(500)])
      const expected = recount(records)
      const { sessions } = await store.sessions({ limit: 10_000 })
      expect(sessions.length).to.equal(expected.size)
      for (const s of sessions) expect(without(s)).to.deep.equal(expected.get(`${s.node}\u0000${s.sessionId}`))
    })

    it("counts a redelivered record once in its session, in one commit or in later ones", async () => {
      const records = generateRecords(200, 22, SPAN_FROM, SPAN_TO)
      await store.insert(records)
      await store.insertBatches([records.slice(0, 50), records.slice(0, 50), records.slice(150)])
      await store.insert(records.slice(20, 120))
      const { sessions } = await store.sessions({ limit: 10_000 })
      const expected = recount(records)
      expect(sessions.map((s) => s.calls).reduce((a, b) => a + b, 0)).to.equal(
        records.filter((r) => r.sessionID !== undefined).length,
      )
      for (const s of sessions) expect(without(s)).to.deep.equal(expected.get(`${s.node}\u0000${s.sessionId}`))
    })

    it("answers every filter, limit and order like the memory oracle (last call in range; a call of that provider/model/agent/project)", async () => {
      const records = generateRecords(900, 23, SPAN_FROM, SPAN_TO)
      const oracle = new MemoryStore(records)
      await store.insert(records)
      for (const filter of FILTERS) {
        for (const page of [{}, { limit: 7 }, { limit: 7, order: "asc" as const }, { limit: 1000 }]) {
          const query = { ...filter, ...page }
          expect(await store.sessions(query), JSON.stringify(query)).to.deep.equal(await oracle.sessions(query))
        }
      }
    })

    it("lists the 50 newest sessions by last call by default (ties: node, then session id, descending); asc lists the newest oldest first", async () => {
      const records = Array.from({ length: 60 }, (_, i) =>
        record({
          id: `usage_s${i}`,
          node: i % 2 === 0 ? "a" : "b",
          sessionID: `ses_${String(i).padStart(2, "0")}`,
          timestamp: new Date(Date.parse("2026-11-01T00:00:00Z") + Math.floor(i / 4) * 60_000),
        }),
      )
      await store.insert(records)
      const { sessions } = await store.sessions({})
      expect(sessions).to.have.length(50)
      const keys = sessions.map((s) => `${s.lastCall.toISOString()} ${s.node} ${s.sessionId}`)
      expect(keys).to.deep.equal([...keys].sort().reverse())
      expect(sessions[0].sessionId).to.equal("ses_59")
      const asc = await store.sessions({ order: "asc", limit: 3 })
      expect(asc.sessions.map((s) => s.sessionId)).to.deep.equal(["ses_58", "ses_57", "ses_59"])
    })

    it("leaves records without a session out and counts them (and their cost) in the range and filters", async () => {
      const base = { provider: "anthropic", model: "m", node: "n1" }
      await store.insert([
        record({ ...base, id: "a", sessionID: "s1", timestamp: at("2026-11-02T10:00:00Z"), estimatedCost: 1 }),
        record({ ...base, id: "b", timestamp: at("2026-11-02T10:30:00Z"), estimatedCost: 0.25 }),
        record({ ...base, id: "c", timestamp: at("2026-11-03T23:59:59.999Z"), estimatedCost: 0.125 }),
        record({ ...base, id: "d", timestamp: at("2026-12-05T00:00:00Z"), estimatedCost: 0.5, model: "x" }),
      ])
      const all = await store.sessions({})
      expect(all.sessions.map((s) => s.sessionId)).to.deep.equal(["s1"])
      expect(all.withoutSession).to.deep.equal({ calls: 3, costNanos: 875_000_000n })
      expect((await store.sessions({ since: at("2026-11-02T10:15:00Z") })).withoutSession.calls).to.equal(3)
      expect(
        (await store.sessions({ since: at("2026-11-02T10:15:00Z"), until: at("2026-11-03T23:59:59.999Z") }))
          .withoutSession,
      ).to.deep.equal({ calls: 1, costNanos: 250_000_000n })
      expect((await store.sessions({ model: "x" })).withoutSession.calls).to.equal(1)
      expect((await store.sessions({ node: "other" })).withoutSession.calls).to.equal(0)
    })

    it("shows the agent and project with the most calls of each session", async () => {
      const t = (m: number) => new Date(Date.parse("2026-11-02T10:00:00Z") + m * 60_000)
      await store.insert([
        record({ id: "1", sessionID: "s", node: "n", timestamp: t(0), agent: "codex", project: "web" }),
        record({ id: "2", sessionID: "s", node: "n", timestamp: t(1), agent: "claude-code", project: "web" }),
        record({ id: "3", sessionID: "s", node: "n", timestamp: t(2), agent: "claude-code" }),
        record({ id: "4", sessionID: "bare", node: "n", timestamp: t(3) }),
      ])
      const { sessions } = await store.sessions({})
      expect(sessions.map((s) => [s.sessionId, s.agent, s.project])).to.deep.equal([
        ["bare", undefined, undefined],
        ["s", "claude-code", "web"],
      ])
      expect(sessions[0]).to.not.have.property("agent")
      expect(sessions[1].lastCall.getTime() - sessions[1].firstCall.getTime()).to.equal(120_000)
    })

    it("takes pruned records out of their sessions: sums reduced, first call recomputed, emptied sessions gone", async () => {
      const records = generateRecords(600, 24, SPAN_FROM, SPAN_TO)
      await store.insert(records)
      const before = at("2026-11-08T13:17:00Z")
      await store.prune({ before, node: "build-02" })
      await store.prune({ before: at("2026-10-28T00:00:00Z"), provider: "openai" })
      const remaining = records.filter(
        (r) =>
          !(r.timestamp < before && r.node === "build-02") &&
          !(r.timestamp < at("2026-10-28T00:00:00Z") && r.provider === "openai"),
      )
      const expected = recount(remaining)
      const result = await store.sessions({ limit: 10_000 })
      expect(result.sessions.length).to.equal(expected.size)
      for (const s of result.sessions) expect(without(s)).to.deep.equal(expected.get(`${s.node}\u0000${s.sessionId}`))
      expect(result).to.deep.equal(await new MemoryStore(remaining).sessions({ limit: 10_000 }))
      await store.prune({ before: at("2030-01-01T00:00:00Z") })
      expect(await store.sessions({})).to.deep.equal({ sessions: [], withoutSession: { calls: 0, costNanos: 0n } })
    })

    it("lists each node with the receipt time of its last record and its calls in the last hour", async () => {
      const now = at("2026-11-20T12:00:00Z")
      const t0 = Date.now()
      await store.insert([
        record({ id: "1", node: "a", timestamp: at("2026-11-20T11:00:00Z") }),
        record({ id: "2", node: "a", timestamp: at("2026-11-20T11:59:59.999Z") }),
        record({ id: "3", node: "a", timestamp: at("2026-11-20T10:59:59.999Z") }),
        record({ id: "4", node: "b", timestamp: at("2026-11-01T00:00:00Z") }),
      ])
      const t1 = Date.now()
      await store.insert([record({ id: "1", node: "a", timestamp: at("2026-11-20T11:00:00Z") })])
      const nodes = await store.nodes(now)
      expect(nodes.map((n) => [n.node, n.callsLastHour])).to.deep.equal([
        ["a", 2],
        ["b", 0],
      ])
      // The redelivery of record 1 is not a new record: the receipt times stay those of the first commit.
      for (const n of nodes) expect(n.lastReceivedAt.getTime()).to.be.within(t0, t1)
    })

    if (options.reopenFromPreviousVersion) {
      const reopen = options.reopenFromPreviousVersion
      it("fills the sessions of a store written before them from its records, every total unchanged", async () => {
        const records = generateRecords(800, 25, SPAN_FROM, SPAN_TO)
        await store.insert(records)
        const totals = await store.aggregate({}, "node")
        store = await reopen(store)
        const oracle = new MemoryStore(records)
        for (const filter of FILTERS) {
          const query = { ...filter, limit: 10_000 }
          expect(await store.sessions(query), JSON.stringify(filter)).to.deep.equal(await oracle.sessions(query))
        }
        expect(await store.aggregate({}, "node")).to.deep.equal(totals)
        expect((await store.nodes(new Date())).map((n) => n.node)).to.deep.equal(
          [...new Set(records.map((r) => r.node))].sort(),
        )
        // The filled aggregate keeps counting: a redelivery once, a new record in its session.
        await store.insert(records.slice(0, 100))
        const extra = { ...records.find((r) => r.sessionID !== undefined)!, id: "usage_after_upgrade" }
        await store.insert([extra])
        await oracle.insert([extra])
        expect(await store.sessions({ limit: 10_000 })).to.deep.equal(await oracle.sessions({ limit: 10_000 }))
      })
    }

    it("answers no sessions and no nodes for an empty store", async () => {
      expect(await store.sessions({})).to.deep.equal({ sessions: [], withoutSession: { calls: 0, costNanos: 0n } })
      expect(await store.nodes(new Date())).to.deep.equal([])
    })
  })
}
