import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { toNanos } from "../../src/lib/money.js"
import { parseRecord, type StoredRecord } from "../../src/lib/record.js"
import { seededRandom } from "../helpers/records.js"
import { type OraclePeriod, type OracleRecord, periodSums } from "../helpers/report-oracle.js"
import { tempDir } from "../helpers/tmp.js"
import { freshPostgres, runCli, seededSqlite, seedStore, startService } from "./helpers.js"

const ZONES = ["UTC", "Asia/Kolkata", "America/St_Johns"]
const PERIODS: Array<[OraclePeriod, string, "daily" | "weekly" | "monthly"]> = [
  ["day", "daily", "daily"],
  ["week", "weekly", "weekly"],
  ["month", "monthly", "monthly"],
]
const CALLS = [
  ["anthropic", "claude-sonnet-4-5"],
  ["anthropic", "claude-opus-4-5"],
  ["openai", "gpt-5.2-codex"],
  ["google", "gemini-3-flash"],
  ["zai-coding-plan", "glm-4.7"],
]
// Midnight in each zone, as minutes after a UTC midnight: UTC, Kolkata (18:30 UTC the day before),
// St. John's in summer (02:30 UTC) and in winter (03:30 UTC).
const MIDNIGHTS = [0, -330, 150, 210]
const FILE_UPDATED = "2026-11-09T00:00:00.000Z"

/**
 * Legacy records (the fields of the legacy file, no node) over two windows around St. John's (and North
 * America's) DST changes, 2026-03-08 and 2026-11-01: half of them within 90 minutes of a midnight of one of
 * the zones, where the zones disagree about the day, and two in the hour St. John's repeats and skips.
 */
function legacyRecords(): Array<Record<string, unknown>> {
  const random = seededRandom(1508)
  const windows = [
    [Date.parse("2026-02-26T00:00:00Z"), Date.parse("2026-03-16T00:00:00Z")],
    [Date.parse("2026-10-24T00:00:00Z"), Date.parse("2026-11-09T00:00:00Z")],
  ]
  const out: Array<Record<string, unknown>> = []
  for (let i = 0; i < 240; i++) {
    const [from, to] = windows[i % 2]
    let ts = from + Math.floor(random() * (to - from))
    if (i % 2 === 0) {
      const midnight = ts - (ts % 86_400_000) + MIDNIGHTS[Math.floor(random() * MIDNIGHTS.length)] * 60_000
      ts = midnight + Math.floor((random() - 0.5) * 3 * 3_600_000)
    }
    const [provider, model] = CALLS[Math.floor(random() * CALLS.length)]
    out.push({
      id: `usage_${(0x10000000 + i).toString(16)}`,
      timestamp: new Date(ts).toISOString(),
      provider,
      model,
      inputTokens: 100 + Math.floor(random() * 40_000),
      outputTokens: Math.floor(random() * 4000),
      estimatedCost: Math.round(random() * 5e7) / 1e9,
      taskType: random() < 0.8 ? "primary" : "subagent",
      sessionID: `ses_${Math.floor(random() * 12)}`,
    })
  }
  // 01:30 St. John's twice on 2026-11-01 (daylight, then standard time), and the morning of 2026-03-08.
  out.push({ ...out[0], id: "usage_dst_a", timestamp: "2026-11-01T04:00:00.000Z" })
  out.push({ ...out[1], id: "usage_dst_b", timestamp: "2026-11-01T05:00:00.000Z" })
  out.push({ ...out[2], id: "usage_dst_c", timestamp: "2026-03-08T05:45:00.000Z" })
  return out
}

function stored(raw: Array<Record<string, unknown>>): StoredRecord[] {
  return raw.map((r) => {
    const parsed = parseRecord(r)
    if (!parsed.ok) throw new Error(parsed.error)
    return { ...parsed.record, node: "test-node" }
  })
}

interface ReportRowJson {
  period: string
  totalCost: number
  callCount: number
  inputTokens: number
  outputTokens: number
  models: string[]
}

async function json(args: string[]): Promise<unknown> {
  const { code, stdout, stderr } = await runCli(args)
  expect(code, `${args.join(" ")}: ${stderr}`).to.equal(0)
  return JSON.parse(stdout)
}

describe("usage daily | weekly | monthly from every source: exact sums of the exported records", function () {
  this.timeout(180_000)
  const raw = legacyRecords()
  const sources: Array<[string, string[]]> = []
  const cleanups: Array<() => Promise<void>> = []
  /** The JSON of each report, by `<source> <command> <zone>`. */
  const answers = new Map<string, unknown>()

  before(async () => {
    const file = join(tempDir(), "oh-my-opencode-usage.json")
    const summaries = {}
    writeFileSync(file, JSON.stringify({ version: 1, lastUpdated: FILE_UPDATED, records: raw, summaries }, null, 2))
    sources.push(["legacy file", ["--file", file]])
    const db = await seededSqlite(stored(raw))
    sources.push(["SQLite", ["--db", db]])
    const pg = await freshPostgres()
    if (pg) {
      cleanups.push(() => pg.drop())
      await seedStore(pg.url, stored(raw))
      sources.push(["PostgreSQL", ["--db", pg.url]])
    } else console.log("    (PostgreSQL not reachable: checking the other sources)")
    const service = await startService({ db: pg?.url ?? db })
    cleanups.unshift(() => service.close())
    sources.push([`the service over ${pg ? "PostgreSQL" : "SQLite"}`, ["--endpoint", service.url]])
  })

  after(async () => {
    for (const cleanup of cleanups) await cleanup()
  })

  it("every source answers each day, week and month in UTC, Kolkata and St. John's as the exact sum of its export", async () => {
    for (const [name, source] of sources) {
      const exported = (await json(["export", ...source, "--json"])) as OracleRecord[]
      expect(exported, name).to.have.length(raw.length)
      const checks = ZONES.flatMap((tz) =>
        PERIODS.map(async ([period, command, key]) => {
          const report = (await json([command, ...source, "--json", "--tz", tz])) as Record<string, unknown>
          const rows = report[key] as ReportRowJson[]
          const expected = periodSums(exported, period, tz)
          const what = `${name}, ${command} in ${tz}`
          expect(
            rows.map((r) => r.period),
            what,
          ).to.deep.equal([...expected.keys()])
          for (const row of rows) {
            const sum = expected.get(row.period)!
            expect(BigInt(toNanos(row.totalCost)), `${what} ${row.period}`).to.equal(sum.nanos)
            expect(row.callCount, `${what} ${row.period}`).to.equal(sum.calls)
            expect(row.inputTokens, `${what} ${row.period}`).to.equal(sum.input)
            expect(row.outputTokens, `${what} ${row.period}`).to.equal(sum.output)
            expect(row.models, `${what} ${row.period}`).to.deep.equal([...sum.models].sort())
          }
          const totals = report.totals as ReportRowJson
          const nanos = exported.reduce((a, r) => a + BigInt(toNanos(r.estimatedCost)), 0n)
          expect(BigInt(toNanos(totals.totalCost)), what).to.equal(nanos)
          expect(totals.callCount, what).to.equal(raw.length)
          answers.set(`${name} ${command} ${tz}`, report)
        }),
      )
      await Promise.all(checks)
    }
    // And every source gives the same JSON as the first.
    const [first] = sources[0]
    for (const [name] of sources.slice(1)) {
      for (const tz of ZONES) {
        for (const [, command] of PERIODS) {
          expect(answers.get(`${name} ${command} ${tz}`), `${name} ${command} ${tz}`).to.deep.equal(
            answers.get(`${first} ${command} ${tz}`),
          )
        }
      }
    }
  })

  it("St. John's repeated hour (2026-11-01) and short day (2026-03-08) are one day each, in every source", () => {
    for (const [name] of sources) {
      const report = answers.get(`${name} daily America/St_Johns`) as { daily: ReportRowJson[] }
      const days = report.daily.map((r) => r.period)
      expect(days, name).to.include.members(["2026-11-01", "2026-03-08"])
      expect(new Set(days).size, name).to.equal(days.length)
    }
  })

  it("--by model: each period's sub-rows sum to the period in every source", async () => {
    for (const [name, source] of sources) {
      const report = (await json(["weekly", ...source, "--json", "--tz", "Asia/Kolkata", "--by", "model"])) as {
        weekly: Array<ReportRowJson & { breakdown: ReportRowJson[] }>
      }
      for (const row of report.weekly) {
        const parts = row.breakdown.reduce((a, b) => a + BigInt(toNanos(b.totalCost)), 0n)
        expect(parts, `${name} ${row.period}`).to.equal(BigInt(toNanos(row.totalCost)))
        expect(row.breakdown.reduce((a, b) => a + b.callCount, 0)).to.equal(row.callCount)
      }
    }
  })
})
