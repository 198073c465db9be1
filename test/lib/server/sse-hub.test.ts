import { EventEmitter } from "node:events"
import type { ServerResponse } from "node:http"
import { expect } from "chai"
import type { SummaryQuery } from "../../../src/lib/query/summary.js"
import { type CommitTouched, touchedBy } from "../../../src/lib/server/group-commit.js"
import {
  DEFAULT_MAX_STREAMS_PER_OWNER,
  SseHub,
  type SseTimers,
  summaryAffectedBy,
} from "../../../src/lib/server/sse.js"
import type { UsageSummaryResult } from "../../../src/lib/summary-types.js"
import { startTestService, type TestService } from "./helpers.js"

/** Timers on a clock the test moves (nothing sleeps). */
class FakeTimers implements SseTimers {
  t = 0
  private pending: Array<{ at: number; fn: () => void }> = []
  now(): number {
    return this.t
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const handle = { at: this.t + ms, fn }
    this.pending.push(handle)
    return handle
  }
  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((h) => h !== handle)
  }
  /** Moves the clock and runs the timers that are due, in order. */
  advance(ms: number): void {
    this.t += ms
    for (;;) {
      const due = this.pending.filter((h) => h.at <= this.t).sort((a, b) => a.at - b.at)[0]
      if (!due) return
      this.clearTimeout(due)
      due.fn()
    }
  }
}

/** What the hub uses of a ServerResponse, recording the summary events written. */
class FakeResponse extends EventEmitter {
  events: string[] = []
  destroyed = false
  writableEnded = false
  writableLength = 0
  req = { method: "GET" }
  writeHead(): this {
    return this
  }
  write(text: string): boolean {
    if (text.includes("event: summary")) this.events.push(text)
    return true
  }
  end(): void {
    this.writableEnded = true
  }
}

const summary = (label: string): UsageSummaryResult => ({ label }) as unknown as UsageSummaryResult

const touched = (providers: string[], nodes: string[] = ["n"], at = Date.UTC(2026, 10, 20)): CommitTouched => ({
  providers: new Set(providers),
  nodes: new Set(nodes),
  from: at,
  to: at,
})

function makeHub(timers: FakeTimers, options: { summarizeMs?: number; maxShare?: number | "default" } = {}) {
  const computed: string[] = []
  const hub = new SseHub<SummaryQuery, CommitTouched>({
    summarize: async (query) => {
      computed.push(query.provider ?? "*")
      timers.t += options.summarizeMs ?? 0
      return summary(query.provider ?? "*")
    },
    affects: summaryAffectedBy,
    timers,
    minIntervalMs: 1000,
    maxShare: options.maxShare === "default" ? undefined : (options.maxShare ?? 1),
  })
  const add = async (provider?: string) => {
    const response = new FakeResponse()
    await hub.add(response as unknown as ServerResponse, provider ?? "*", { provider })
    return response
  }
  return { hub, computed, add }
}

describe("SseHub (live summaries)", () => {
  let hubs: SseHub<SummaryQuery, CommitTouched>[] = []
  afterEach(() => {
    for (const hub of hubs) hub.close()
    hubs = []
  })

  it("updates a query at most once per interval, folding the commits in between into one update", async () => {
    const timers = new FakeTimers()
    const { hub, computed, add } = makeHub(timers)
    hubs.push(hub)
    const client = await add()
    expect(computed).to.deep.equal(["*"])
    timers.advance(1000)
    hub.notify(touched(["a"]))
    await hub.settled()
    expect(client.events).to.have.length(2)
    timers.advance(100)
    for (let i = 0; i < 5; i++) hub.notify(touched(["a"]))
    await hub.settled()
    expect(computed, "nothing before the interval is over").to.have.length(2)
    timers.advance(899)
    await hub.settled()
    expect(computed).to.have.length(2)
    timers.advance(1)
    await hub.settled()
    expect(computed, "one update for the five commits").to.have.length(3)
    expect(client.events).to.have.length(3)
  })

  it("counts a new client's first summary in the interval: a commit right after it is answered once the interval is over", async () => {
    const timers = new FakeTimers()
    const { hub, computed, add } = makeHub(timers)
    hubs.push(hub)
    const client = await add("a")
    timers.advance(10)
    hub.notify(touched(["a"]))
    await hub.settled()
    expect(computed, "not recomputed 10 ms after its first summary").to.deep.equal(["a"])
    timers.advance(989)
    await hub.settled()
    expect(computed).to.deep.equal(["a"])
    timers.advance(1)
    await hub.settled()
    expect(computed, "the commit's update, at the end of the interval").to.deep.equal(["a", "a"])
    expect(client.events).to.have.length(2)
  })

  it("skips the queries a commit cannot have changed", async () => {
    const timers = new FakeTimers()
    const { hub, computed, add } = makeHub(timers)
    hubs.push(hub)
    const a = await add("a")
    const b = await add("b")
    const all = await add()
    computed.length = 0
    timers.advance(1000)
    hub.notify(touched(["b"]))
    await hub.settled()
    expect(computed.sort()).to.deep.equal(["*", "b"])
    expect([a.events.length, b.events.length, all.events.length]).to.deep.equal([1, 2, 2])
  })

  it("computes a question once for clients asking it at once, and answers a new client from the last update", async () => {
    const timers = new FakeTimers()
    const { hub, computed, add } = makeHub(timers)
    hubs.push(hub)
    await add("a")
    const second = await add("a")
    expect(computed).to.deep.equal(["a"])
    expect(second.events).to.have.length(1)
    timers.advance(1000)
    hub.notify(touched(["a"]))
    await hub.settled()
    expect(computed).to.deep.equal(["a", "a"])
  })

  it("keeps the updates to their share of the time: after a computation of d ms the next waits 9 d at 10%", async () => {
    const timers = new FakeTimers()
    const { hub, computed, add } = makeHub(timers, { summarizeMs: 10, maxShare: 0.1 })
    hubs.push(hub)
    await add("a")
    await add("b")
    timers.advance(5000)
    computed.length = 0
    hub.notify(touched(["a", "b"]))
    // The first computation runs at once; the second waits 90 ms after it.
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
    expect(computed).to.deep.equal(["a"])
    timers.advance(89)
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
    expect(computed).to.deep.equal(["a"])
    timers.advance(1)
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
    expect(computed).to.deep.equal(["a", "b"])
    timers.advance(1000)
    await hub.settled()
  })

  it("keeps the updates to a twentieth of the time by default: after a computation of d ms the next waits 19 d", async () => {
    const timers = new FakeTimers()
    const { hub, computed, add } = makeHub(timers, { summarizeMs: 10, maxShare: "default" })
    hubs.push(hub)
    await add("a")
    await add("b")
    timers.advance(5000)
    computed.length = 0
    hub.notify(touched(["a", "b"]))
    const turns = async () => {
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
    }
    await turns()
    expect(computed).to.deep.equal(["a"])
    timers.advance(189)
    await turns()
    expect(computed).to.deep.equal(["a"])
    timers.advance(1)
    await turns()
    expect(computed).to.deep.equal(["a", "b"])
    timers.advance(1000)
    await hub.settled()
  })

  it("does not keep an answer computed for a new client as current when a commit came meanwhile", async () => {
    const timers = new FakeTimers()
    let release: (() => void) | undefined
    const computed: string[] = []
    const hub = new SseHub<SummaryQuery, CommitTouched>({
      summarize: async () => {
        computed.push("*")
        if (computed.length === 3) await new Promise<void>((r) => (release = r))
        return summary(`#${computed.length}`)
      },
      affects: summaryAffectedBy,
      timers,
      minIntervalMs: 1000,
      maxShare: 1,
    })
    hubs.push(hub)
    const add = async () => {
      const response = new FakeResponse()
      const added = hub.add(response as unknown as ServerResponse, "*", {})
      return { response, added }
    }
    await (await add()).added
    timers.advance(1000)
    hub.notify(touched(["a"]))
    await hub.settled()
    expect(computed).to.have.length(2)
    timers.advance(10)
    // A commit: the update waits for the interval; a new client meanwhile gets a first answer computed for it.
    hub.notify(touched(["a"]))
    const late = await add()
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r))
    expect(computed).to.have.length(3)
    // Another commit while that answer is computed.
    hub.notify(touched(["a"]))
    release?.()
    await late.added
    // A third client must not be answered with it as if it were current: its answer is computed again.
    await (await add()).added
    expect(computed).to.have.length(4)
  })

  it("caps the streams of one owner at 1000 by default", () => {
    expect(DEFAULT_MAX_STREAMS_PER_OWNER).to.equal(1000)
  })

  describe("summaryAffectedBy", () => {
    const at = Date.UTC(2026, 10, 20, 12)
    it("is false for a provider, node or time range the commit did not touch, true otherwise", () => {
      const t = touched(["anthropic"], ["build-07"], at)
      expect(summaryAffectedBy({}, t)).to.equal(true)
      expect(summaryAffectedBy({ provider: "anthropic", node: "build-07" }, t)).to.equal(true)
      expect(summaryAffectedBy({ provider: "openai" }, t)).to.equal(false)
      expect(summaryAffectedBy({ node: "build-08" }, t)).to.equal(false)
      expect(summaryAffectedBy({ since: new Date(at + 1) }, t)).to.equal(false)
      expect(summaryAffectedBy({ until: new Date(at) }, t)).to.equal(false)
      expect(summaryAffectedBy({ since: new Date(at), until: new Date(at + 1) }, t)).to.equal(true)
    })

    it("reads what a commit touched from its records", () => {
      const base = { model: "m", inputTokens: 1, outputTokens: 1, estimatedCost: 0, taskType: "primary" }
      const t = touchedBy([
        [{ ...base, id: "1", provider: "p", node: "x", timestamp: new Date(at) }],
        [{ ...base, id: "2", provider: "q", node: "y", timestamp: new Date(at - 5) }],
      ])
      expect([...t.providers].sort()).to.deep.equal(["p", "q"])
      expect([...t.nodes].sort()).to.deep.equal(["x", "y"])
      expect([t.from, t.to]).to.deep.equal([at - 5, at])
      expect(summaryAffectedBy({}, touchedBy([]))).to.equal(false)
    })
  })
})

describe("GET /api/usage/stream: streams per token", () => {
  const TOKEN = "reader-token-0123456789"
  let svc: TestService
  const open: AbortController[] = []

  before(async () => {
    svc = await startTestService({ readToken: TOKEN, sse: { maxStreamsPerOwner: 2 } })
  })
  after(async () => {
    for (const c of open) c.abort()
    await svc.stop()
  })

  async function stream(token = TOKEN): Promise<{
    status: number
    body: { error: { code: string } } | undefined
    controller: AbortController
  }> {
    const controller = new AbortController()
    const res = await fetch(`${svc.url}/api/usage/stream?token=${token}`, { signal: controller.signal })
    open.push(controller)
    const body = res.status === 200 ? undefined : ((await res.json()) as { error: { code: string } })
    return { status: res.status, body, controller }
  }

  it("answers 429 beyond the cap, and takes a stream again once one closed", async () => {
    const first = await stream()
    expect((await stream()).status).to.equal(200)
    const over = await stream()
    expect(over.status).to.equal(429)
    expect(over.body?.error.code).to.equal("TOO_MANY_STREAMS")
    first.controller.abort()
    let status = 429
    for (let i = 0; i < 100 && status === 429; i++) {
      await new Promise((r) => setTimeout(r, 10))
      status = (await stream()).status
    }
    expect(status).to.equal(200)
  })
})
