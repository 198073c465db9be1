import { appendFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { type CollectSink, openCollectSink } from "../../../src/lib/cli/collect-sink.js"
import { type AgentSource, collectRound, type RoundOptions } from "../../../src/lib/collect/collect.js"
import type { AgentReader, CollectedCall, SourceRef } from "../../../src/lib/collect/reader.js"
import { CollectState, stateFileFor } from "../../../src/lib/collect/state.js"
import type { CallPrices } from "../../../src/lib/pricing/call-cost.js"
import type { StoredRecord } from "../../../src/lib/record.js"
import { openStoreAt } from "../../../src/lib/store/open.js"
import { caught } from "../../helpers/errors.js"
import { eagerClosure, importGraph } from "../../helpers/imports.js"
import { tempDir } from "../../helpers/tmp.js"

/**
 * A fake reader: every `*.jsonl` file of the folder is a source, one call per line
 * (`{"id", "t", "model", "in", "out", "cr", "cw", "cost"?}`), read from the cursor's byte offset.
 */
const fakeReader: AgentReader = {
  agent: "claude",
  async sources(dir) {
    const { readdirSync } = await import("node:fs")
    return readdirSync(dir)
      .filter((name) => name.endsWith(".jsonl"))
      .sort()
      .map((name): SourceRef => ({ agent: "claude", path: join(dir, name), kind: "jsonl" }))
  },
  async read(source, cursor) {
    const text = readFileSync(source.path, "utf8")
    const offset = cursor?.offset ?? 0
    const end = text.lastIndexOf("\n") + 1
    const calls: CollectedCall[] = text
      .slice(offset, end)
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const o = JSON.parse(line)
        return {
          id: `claude-code:${o.id}`,
          timestamp: new Date(o.t),
          provider: "anthropic",
          model: o.model ?? "claude-sonnet-4-20250514",
          inputTokens: o.in ?? 100,
          outputTokens: o.out ?? 10,
          cacheReadTokens: o.cr ?? 0,
          cacheWriteTokens: o.cw ?? 0,
          reasoningTokens: 0,
          ...(o.cost !== undefined && { costUSD: o.cost }),
          sessionID: "s1",
          project: "usage-hub",
          taskType: "primary",
        }
      })
    const st = statSync(source.path)
    return { calls, cursor: { size: st.size, mtimeMs: st.mtimeMs, offset: end }, skipped: {}, warnings: [] }
  },
}

function line(o: Record<string, unknown>): string {
  return `${JSON.stringify(o)}\n`
}

interface Setup {
  logs: string
  dbPath: string
  statePath: string
  round(extra?: Partial<RoundOptions>): ReturnType<typeof collectRound>
  stored(): Promise<StoredRecord[]>
}

function setup(): Setup {
  const logs = tempDir()
  const work = tempDir()
  const dbPath = join(work, "usage.db")
  const target = { kind: "store" as const, location: dbPath, isDefault: false, from: "--db" }
  const statePath = stateFileFor(join(work, "state"), { kind: "store", location: dbPath })
  const agents: AgentSource[] = [{ agent: "claude", reader: fakeReader, dirs: [logs] }]
  return {
    logs,
    dbPath,
    statePath,
    async round(extra = {}) {
      const state = await CollectState.load(statePath, dbPath)
      await state.lock()
      const dryRun = extra.dryRun ?? false
      const sink =
        extra.sink ??
        (await openCollectSink(target, { dryRun, node: "n1", timeoutMs: 1000, retryAttempts: 0, spoolDir: work }))
      try {
        return await collectRound({ agents, state, sink, node: "n1", dryRun, ...extra })
      } finally {
        await sink.close()
        await state.unlock()
      }
    },
    async stored() {
      const store = await openStoreAt(dbPath, { create: true })
      const out: StoredRecord[] = []
      for await (const chunk of store.iterate({}, 1000)) out.push(...(chunk as StoredRecord[]))
      await store.close()
      return out.sort((a, b) => a.id.localeCompare(b.id))
    },
  }
}

describe("collect (the collector)", () => {
  it("opens an existing store only when a round has records for it", async () => {
    const s = setup()
    writeFileSync(join(s.logs, "a.jsonl"), line({ id: "m1", t: "2026-03-01T10:00:00Z" }))
    await s.round()
    const target = { kind: "store" as const, location: s.dbPath, isDefault: false, from: "--db" }
    const options = { dryRun: false, node: "n1", timeoutMs: 1000, retryAttempts: 0, spoolDir: tempDir() }
    const sink = await openCollectSink(target, options)
    // SQLite in WAL mode keeps a -wal file beside an open database: none while nothing was written.
    expect(existsSync(`${s.dbPath}-wal`)).to.equal(false)
    expect(await sink.settle()).to.deep.equal({ accepted: 0, duplicates: 0, pending: 0 })
    expect(existsSync(`${s.dbPath}-wal`)).to.equal(false)
    const state = await CollectState.load(s.statePath, s.dbPath)
    expect(existsSync(`${s.dbPath}-wal`)).to.equal(false)
    const [again] = await collectRound({
      agents: [{ agent: "claude", reader: fakeReader, dirs: [s.logs] }],
      state,
      sink,
      node: "n1",
      dryRun: false,
    })
    expect(again).to.include({ calls: 0, new: 0 })
    expect(existsSync(`${s.dbPath}-wal`)).to.equal(false)
    const written = await sink.write([])
    expect(written).to.deep.equal({ accepted: 0, duplicates: 0 })
    expect(existsSync(`${s.dbPath}-wal`)).to.equal(true)
    await sink.close()
  })

  it("skips a call whose record the schema refuses, warning once with the schema's reason, and stores the others", async () => {
    const s = setup()
    writeFileSync(
      join(s.logs, "a.jsonl"),
      line({ id: "m1", t: "2026-03-01T10:00:00Z" }) +
        line({ id: "m2", t: "2026-03-01T10:01:00Z", model: " " }) +
        line({ id: "m3", t: "2026-03-01T10:02:00Z", in: 1.5 }) +
        line({ id: "m4", t: "2026-03-01T10:03:00Z" }),
    )
    const [report] = await s.round()
    expect(report).to.include({ calls: 4, new: 2 })
    expect(report.skipped).to.deep.equal({ "invalid record": 2 })
    expect(report.warnings).to.deep.equal(["invalid record claude-code:m2: model: must not be blank"])
    expect((await s.stored()).map((r) => r.id)).to.deep.equal(["claude-code:m1", "claude-code:m4"])
  })

  it("reads each source from its cursor: a second round delivers only the appended calls", async () => {
    const s = setup()
    writeFileSync(join(s.logs, "a.jsonl"), line({ id: "m1", t: "2026-03-01T10:00:00Z" }))
    const [first] = await s.round()
    expect(first).to.include({ files: 1, calls: 1, new: 1, duplicates: 0 })
    appendFileSync(join(s.logs, "a.jsonl"), line({ id: "m2", t: "2026-03-01T11:00:00Z" }))
    const [second] = await s.round()
    expect(second).to.include({ files: 1, calls: 1, new: 1, duplicates: 0 })
    const [third] = await s.round()
    expect(third).to.include({ calls: 0, new: 0 })
    const stored = await s.stored()
    expect(stored.map((r) => r.id)).to.deep.equal(["claude-code:m1", "claude-code:m2"])
    expect(stored[0]).to.include({ node: "n1", agent: "claude-code", project: "usage-hub", sessionID: "s1" })
  })

  it("keeps a call's first timestamp: a copy read later with a later timestamp is a duplicate", async () => {
    const s = setup()
    writeFileSync(join(s.logs, "a.jsonl"), line({ id: "m1", t: "2026-03-01T10:00:00Z" }))
    await s.round()
    // A resumed session copies the call into a new file, stamped later.
    writeFileSync(join(s.logs, "b.jsonl"), line({ id: "m1", t: "2026-03-02T09:00:00Z" }))
    const [report] = await s.round()
    expect(report).to.include({ calls: 1, new: 0, duplicates: 1 })
    const stored = await s.stored()
    expect(stored).to.have.length(1)
    expect(stored[0].timestamp.toISOString()).to.equal("2026-03-01T10:00:00.000Z")
  })

  it("takes the earliest timestamp of a new id read twice in one round", async () => {
    const s = setup()
    writeFileSync(join(s.logs, "a.jsonl"), line({ id: "m1", t: "2026-03-02T09:00:00Z" }))
    writeFileSync(join(s.logs, "b.jsonl"), line({ id: "m1", t: "2026-03-01T10:00:00Z" }))
    const [report] = await s.round()
    expect(report).to.include({ calls: 2, new: 1, duplicates: 1 })
    expect((await s.stored())[0].timestamp.toISOString()).to.equal("2026-03-01T10:00:00.000Z")
  })

  it("adds nothing when the state is deleted and everything is collected again", async () => {
    const s = setup()
    writeFileSync(
      join(s.logs, "a.jsonl"),
      line({ id: "m1", t: "2026-03-01T10:00:00Z" }) + line({ id: "m2", t: "2026-03-01T11:00:00Z" }),
    )
    await s.round()
    rmSync(s.statePath)
    const [report] = await s.round()
    expect(report).to.include({ calls: 2, new: 0, duplicates: 2 })
    expect(await s.stored()).to.have.length(2)
  })

  it("moves no cursor when delivery fails: the next round reads the calls again", async () => {
    const s = setup()
    writeFileSync(join(s.logs, "a.jsonl"), line({ id: "m1", t: "2026-03-01T10:00:00Z" }))
    const failing: CollectSink = {
      kind: "store",
      location: "broken",
      write: async () => {
        throw new Error("disk full")
      },
      settle: async () => ({ accepted: 0, duplicates: 0, pending: 0 }),
      close: async () => {},
    }
    let error: unknown
    await s.round({ sink: failing }).catch((e) => {
      error = e
    })
    expect((error as Error).message).to.equal("disk full")
    const [report] = await s.round()
    expect(report).to.include({ calls: 1, new: 1 })
  })

  it("writes neither records nor state on a dry run, and counts what would be new", async () => {
    const s = setup()
    writeFileSync(join(s.logs, "a.jsonl"), line({ id: "m1", t: "2026-03-01T10:00:00Z" }))
    const [dry] = await s.round({ dryRun: true })
    expect(dry).to.include({ calls: 1, new: 1 })
    expect(() => statSync(s.statePath)).to.throw()
    const [real] = await s.round()
    expect(real).to.include({ calls: 1, new: 1 })
  })

  it("refuses a second collector while the first holds the state's lock, naming its pid", async () => {
    const s = setup()
    const first = await CollectState.load(s.statePath, s.dbPath)
    await first.lock()
    try {
      const second = await CollectState.load(s.statePath, s.dbPath)
      const error = await caught(second.lock())
      expect(error.message).to.equal(`another usage collect is running (pid ${process.pid})`)
    } finally {
      await first.unlock()
    }
    const third = await CollectState.load(s.statePath, s.dbPath)
    await third.lock()
    await third.unlock()
  })

  describe("pricing of calls without a logged cost", () => {
    async function costOf(call: Record<string, unknown>, prices?: Record<string, CallPrices>) {
      const s = setup()
      writeFileSync(join(s.logs, "a.jsonl"), line({ id: "m1", t: "2026-03-01T10:00:00Z", ...call }))
      await s.round({ prices })
      return (await s.stored())[0]
    }

    it("prices input, output, cache reads and cache writes from the catalogue", async () => {
      // anthropic/claude-sonnet-4-20250514: 3 / 15 / 0.3 / 3.75 per 1M.
      const r = await costOf({ in: 1_000_000, out: 100_000, cr: 2_000_000, cw: 400_000 })
      expect(r.estimatedCost).to.be.closeTo(3 + 1.5 + 0.6 + 1.5, 1e-9)
      expect(r.unpriced).to.equal(undefined)
    })

    it("keeps the cost the agent logged", async () => {
      const r = await costOf({ in: 1_000_000, cost: 0.125 })
      expect(r.estimatedCost).to.equal(0.125)
    })

    it("lets usage.prices of the config win over the catalogue", async () => {
      const r = await costOf(
        { in: 1_000_000, out: 1_000_000, cr: 1_000_000, cw: 1_000_000 },
        { "claude-sonnet-4-20250514": { input: 1, output: 2, cacheRead: 0.5, cacheWrite: 4 } },
      )
      expect(r.estimatedCost).to.be.closeTo(7.5, 1e-9)
    })

    it("flags a model nobody prices as unpriced, with the fallback estimate", async () => {
      const r = await costOf({ model: "my-own-model-x", in: 1_000_000, out: 0 })
      expect(r.unpriced).to.equal(true)
      expect(r.estimatedCost).to.be.closeTo(5, 1e-9)
    })
  })
})

describe("a collect with nothing new (issue 14: at most 0.1 of the first collect)", () => {
  it("loads no zod: the command, the state, the sink and every reader import it only when they have something to check", () => {
    const graph = importGraph()
    for (const from of [
      "src/commands/collect.ts",
      "src/lib/collect/readers/claude.ts",
      "src/lib/collect/readers/opencode.ts",
      "src/lib/collect/readers/codex.ts",
      "src/lib/collect/readers/gemini.ts",
      // a collect with new calls: records.ts loads the record schema only for a record the rules refuse
      "src/lib/collect/records.ts",
    ]) {
      const zod = eagerClosure(graph, from).get("zod")
      expect(zod, `${from} loads zod through ${zod?.join(" -> ")}`).to.equal(undefined)
    }
  })
})
