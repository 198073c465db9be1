/**
 * Issue 14's cost check against the peer: each agent fixture collected through its reader and the collector's
 * pricing (collectRound into a temp SQLite store), the stored costs summed per UTC day, and compared with ccusage
 * 20.0.24's `daily --json --offline` cost on the same logs (test/fixtures/agents/<agent>/ccusage-daily.json):
 * exactly where every call of the day logged its cost, within 1% where calls were priced from a catalogue.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { expect } from "chai"
import { openCollectSink } from "../../../src/lib/cli/collect-sink.js"
import { collectRound } from "../../../src/lib/collect/collect.js"
import type { AgentName, AgentReader } from "../../../src/lib/collect/reader.js"
import { claudeReader } from "../../../src/lib/collect/readers/claude.js"
import { codexReader } from "../../../src/lib/collect/readers/codex.js"
import { geminiReader } from "../../../src/lib/collect/readers/gemini.js"
import { opencodeReader } from "../../../src/lib/collect/readers/opencode.js"
import { CollectState, stateFileFor } from "../../../src/lib/collect/state.js"
import type { StoredRecord } from "../../../src/lib/record.js"
import { openStoreAt } from "../../../src/lib/store/open.js"
import { tempDir } from "../../helpers/tmp.js"

const FIXTURES = fileURLToPath(new URL("../../fixtures/agents/", import.meta.url))

interface Fixture {
  agent: AgentName
  reader: AgentReader
  /** The agent's data folder inside the fixture. */
  dir: string
  /**
   * Why this agent's priced days cannot agree yet: what its reader would need to tell the pricing (the test is
   * pending until it does).
   */
  waitsFor?: string
  /** Days whose calls all logged a cost (compared exactly). */
  loggedDays: number
}

const FIXTURE_LIST: Fixture[] = [
  {
    agent: "claude",
    reader: claudeReader,
    dir: "config",
    loggedDays: 1,
  },
  {
    agent: "codex",
    reader: codexReader,
    dir: "home",
    loggedDays: 0,
  },
  { agent: "gemini", reader: geminiReader, dir: "tmp", loggedDays: 0 },
  { agent: "opencode", reader: opencodeReader, dir: "data", loggedDays: 1 },
]

interface CcusageDay {
  date: string
  /** claude, gemini, opencode */
  totalCost?: number
  /** codex */
  costUSD?: number
}

interface Day {
  cost: number
  calls: number
  /** Calls whose cost the agent logged (no `unpriced`, not priced by the collector). */
  logged: number
}

/** Collects an agent's fixture into a fresh SQLite store and gives the stored records. */
async function collectFixture(fixture: Fixture): Promise<StoredRecord[]> {
  const work = tempDir()
  const dbPath = join(work, "usage.db")
  const target = { kind: "store" as const, location: dbPath, isDefault: false, from: "--db" }
  const state = await CollectState.load(stateFileFor(join(work, "state"), target), dbPath)
  await state.lock()
  const sink = await openCollectSink(target, {
    dryRun: false,
    node: "n1",
    timeoutMs: 1000,
    retryAttempts: 0,
    spoolDir: work,
  })
  try {
    const agents = [
      { agent: fixture.agent, reader: fixture.reader, dirs: [join(FIXTURES, fixture.agent, fixture.dir)] },
    ]
    const [report] = await collectRound({ agents, state, sink, node: "n1", dryRun: false })
    expect(report?.new, "calls stored").to.be.greaterThan(0)
  } finally {
    await sink.close()
    await state.unlock()
  }
  const store = await openStoreAt(dbPath, { create: false })
  const out: StoredRecord[] = []
  try {
    for await (const chunk of store.iterate({}, 1000)) out.push(...(chunk as StoredRecord[]))
  } finally {
    await store.close()
  }
  return out
}

/** Which of an agent's calls logged their cost: the reader's view (the stored record does not say). */
async function loggedIds(fixture: Fixture): Promise<Set<string>> {
  const ids = new Set<string>()
  for (const source of await fixture.reader.sources(join(FIXTURES, fixture.agent, fixture.dir))) {
    for (const call of (await fixture.reader.read(source, undefined)).calls) {
      if (call.costUSD !== undefined) ids.add(call.id)
    }
  }
  return ids
}

function perDay(records: StoredRecord[], logged: Set<string>): Map<string, Day> {
  const days = new Map<string, Day>()
  for (const r of records) {
    const date = new Date(r.timestamp).toISOString().slice(0, 10)
    const day = days.get(date) ?? { cost: 0, calls: 0, logged: 0 }
    day.cost += r.estimatedCost
    day.calls++
    if (logged.has(r.id)) day.logged++
    days.set(date, day)
  }
  return days
}

describe("collected costs against ccusage 20.0.24 (per UTC day, the fixtures)", () => {
  for (const fixture of FIXTURE_LIST) {
    describe(fixture.agent, () => {
      let records: StoredRecord[]
      let days: Map<string, Day>
      let expected: CcusageDay[]
      const ccusageCost = (d: CcusageDay) => (d.totalCost ?? d.costUSD) as number

      before(async () => {
        const file = join(FIXTURES, fixture.agent, "ccusage-daily.json")
        expected = (JSON.parse(readFileSync(file, "utf8")) as { daily: CcusageDay[] }).daily
        records = await collectFixture(fixture)
        days = perDay(records, await loggedIds(fixture))
      })

      it("prices every call (no model unknown to the catalogue and the supplement), on ccusage's days", () => {
        expect(records.filter((r) => r.unpriced).map((r) => r.model)).to.deep.equal([])
        expect([...days.keys()].sort()).to.deep.equal(expected.map((d) => d.date))
        for (const d of expected) expect(ccusageCost(d), `${d.date}: ccusage's cost`).to.be.a("number")
      })

      if (fixture.loggedDays > 0) {
        it("has ccusage's cost exactly on the days whose calls all logged one", () => {
          const logged = expected.filter((d) => days.get(d.date)?.logged === days.get(d.date)?.calls)
          expect(logged, "days whose calls all logged a cost").to.have.length(fixture.loggedDays)
          for (const d of logged) expect(days.get(d.date)?.cost, d.date).to.be.closeTo(ccusageCost(d), 1e-9)
        })
      }

      const title = "agrees with ccusage within 1% on the days it priced calls"
      ;(fixture.waitsFor ? it.skip : it)(fixture.waitsFor ? `${title} (waits for ${fixture.waitsFor})` : title, () => {
        const priced = expected.filter((d) => (days.get(d.date)?.logged ?? 0) < (days.get(d.date)?.calls ?? 0))
        expect(priced).to.have.length.above(0)
        for (const d of priced) {
          const got = days.get(d.date)?.cost as number
          const want = ccusageCost(d)
          expect(Math.abs(got - want) / want, `${d.date}: ${got} vs ccusage's ${want}`).to.be.below(0.01)
        }
      })
    })
  }
})
