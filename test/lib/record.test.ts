import { expect } from "chai"
import {
  describeIssues,
  identityKey,
  newRecordId,
  parseRecord,
  parseRecordFast,
  toRecordJson,
  usageRecordSchema,
  uuidv7,
} from "../../src/lib/record.js"
import { seededRandom } from "../helpers/records.js"

const base = {
  id: "usage_3f9a1c2e",
  timestamp: "2026-11-20T10:11:12.345Z",
  provider: "anthropic",
  model: "claude-sonnet-4-5",
  inputTokens: 1200,
  outputTokens: 340,
  estimatedCost: 0.0087,
  taskType: "primary",
}

describe("usage record", () => {
  it("parses the wire format and ignores unknown fields", () => {
    const r = parseRecord({ ...base, extra: 1 })
    expect(r.ok).to.equal(true)
    if (!r.ok) return
    expect(r.record.timestamp.toISOString()).to.equal(base.timestamp)
    expect(r.record).to.not.have.property("extra")
  })

  it("gives one identity however the instant is written (Z, offset, more digits, epoch ms)", () => {
    const keys = [
      "2026-11-20T10:11:12.345Z",
      "2026-11-20T12:11:12.345+02:00",
      "2026-11-20T10:11:12.345678Z",
      Date.parse(base.timestamp),
    ].map((timestamp) => {
      const r = parseRecord({ ...base, timestamp, node: "n" })
      if (!r.ok) throw new Error(r.error)
      return identityKey(r.record)
    })
    expect(new Set(keys).size).to.equal(1)
  })

  it("tells events apart by node and by instant", () => {
    const t = new Date(base.timestamp)
    expect(identityKey({ id: "a", node: "x", timestamp: t })).to.not.equal(
      identityKey({ id: "a", node: "y", timestamp: t }),
    )
    expect(identityKey({ id: "a", timestamp: t })).to.not.equal(
      identityKey({ id: "a", timestamp: new Date(t.getTime() + 1) }),
    )
  })

  for (const [what, patch, reason] of [
    ["negative tokens", { inputTokens: -1 }, /inputTokens/],
    ["fractional tokens", { outputTokens: 1.5 }, /outputTokens/],
    ["tokens sent as strings", { inputTokens: "12" }, /inputTokens/],
    ["a NaN cost", { estimatedCost: Number.NaN }, /estimatedCost/],
    ["an infinite cost", { estimatedCost: Number.POSITIVE_INFINITY }, /estimatedCost/],
    [
      "a cost no call can have (it would overflow exact sums)",
      { estimatedCost: 2e10 },
      /estimatedCost: must be at most 10000 USD/,
    ],
    ["a token count no call can have", { inputTokens: 1e13 }, /inputTokens/],
    ["a timestamp without a zone", { timestamp: "2026-11-20T10:11:12" }, /timestamp/],
    ["a huge provider", { provider: "p".repeat(129) }, /provider/],
    ["an empty id", { id: "" }, /id/],
    [
      "a NUL character (PostgreSQL refuses it)",
      { id: "usage_a\u0000b" },
      /id: must be well-formed Unicode without NUL/,
    ],
    ["a lone surrogate (drivers would merge two ids)", { node: "n\ud800" }, /node: must be well-formed Unicode/],
  ] as const) {
    it(`refuses ${what} with the field named`, () => {
      const r = parseRecord({ ...base, ...patch })
      expect(r.ok).to.equal(false)
      if (!r.ok) expect(r.error).to.match(reason)
    })
  }

  it("refuses a non-object", () => {
    expect(parseRecord([base])).to.deep.equal({ ok: false, error: "a record must be a JSON object" })
  })

  it("accepts any Unicode in names", () => {
    expect(parseRecord({ ...base, provider: "プロバイダ", model: "模型-🚀", node: "nœud" }).ok).to.equal(true)
  })

  it("makes collision-free time-ordered ids", () => {
    const ids = Array.from({ length: 1000 }, newRecordId)
    expect(new Set(ids).size).to.equal(1000)
    expect(ids[0]).to.match(/^usage_[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(uuidv7(Date.parse("2026-11-20T10:11:12.345Z")).slice(0, 13)).to.equal("01a1f870-4f59")
    expect(uuidv7(1) < uuidv7(2)).to.equal(true)
  })

  it("serialises with an ISO timestamp and no undefined fields", () => {
    const r = parseRecord(base)
    if (!r.ok) throw new Error(r.error)
    const json = toRecordJson({ ...r.record, sessionID: undefined })
    expect(json).to.deep.equal(base)
    expect(Object.keys(json)).to.not.include("sessionID")
  })

  describe("the validation fast path", () => {
    const rand = seededRandom(20261120)
    const pick = <T>(values: readonly T[]): T => values[Math.floor(rand() * values.length)]

    const TEXTS = [
      "",
      "a",
      "x".repeat(64),
      "x".repeat(65),
      "x".repeat(128),
      "x".repeat(129),
      "x".repeat(256),
      "x".repeat(257),
      "模型 🚀",
      "a\u0000b",
      "lone \ud800",
      "=SUM(1)",
      " ",
    ]
    const NUMBERS = [
      0,
      -0,
      1,
      1200,
      -1,
      0.5,
      1e12,
      1e12 + 1,
      2 ** 53,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      0.0087,
      10_000,
      10_000.0001,
      1e-9,
    ]
    const TIMESTAMPS = [
      "2026-11-20T10:11:12.345Z",
      "2026-11-20T10:11:12+05:30",
      "2026-11-20T10:11:12.123456789-0800",
      "2026-11-20T10:11Z",
      "2026-11-20t10:11:12z",
      "2026-11-20T10:11:12", // no zone
      "2026-11-20",
      "2026-13-40T10:11:12Z", // matches the pattern, invalid date
      "not a date",
      "",
      1_763_633_472_345, // epoch ms
      0,
      -1,
      8.64e15,
      8.64e15 + 1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      new Date("2026-11-20T10:11:12Z"),
      new Date(Number.NaN),
    ]
    const OTHERS = [null, undefined, true, false, "12", [], {}, 12n]
    const FIELDS = Object.keys(usageRecordSchema.shape)
    const OPTIONAL = ["sessionID", "node", "cacheReadTokens", "cacheWriteTokens", "reasoningTokens", "unpriced"]

    /** A valid record with random optional fields, keys in a random order, sometimes unknown extra fields. */
    function validRecord(): Record<string, unknown> {
      const r: Record<string, unknown> = {
        id: `usage_${Math.floor(rand() * 1e9)}`,
        timestamp: rand() < 0.7 ? new Date(1.7e12 + rand() * 1e11).toISOString() : Math.floor(1.7e12 + rand() * 1e11),
        provider: pick(["anthropic", "openai", "プロバイダ"]),
        model: pick(["claude-sonnet-4-5", "gpt-5", 'm"odel,1']),
        inputTokens: Math.floor(rand() * 100_000),
        outputTokens: Math.floor(rand() * 10_000),
        estimatedCost: Math.round(rand() * 1e6) / 1e7,
        taskType: pick(["primary", "background-task", "subagent"]),
      }
      if (rand() < 0.5) r.sessionID = pick(["ses_1", "", "s".repeat(256)])
      if (rand() < 0.5) r.node = pick(["build-01", "ñødé"])
      if (rand() < 0.4) r.cacheReadTokens = Math.floor(rand() * 1000)
      if (rand() < 0.3) r.cacheWriteTokens = 0
      if (rand() < 0.3) r.reasoningTokens = Math.floor(rand() * 1000)
      if (rand() < 0.3) r.unpriced = rand() < 0.5
      if (rand() < 0.2) r.extra = pick([1, "x", null])
      if (rand() < 0.1) r.__proto__x = { y: 1 }
      const keys = Object.keys(r).sort(() => rand() - 0.5)
      return Object.fromEntries(keys.map((k) => [k, r[k]]))
    }

    /** A copy of a valid record with one to three fields changed to edge values, removed, or set to undefined. */
    function mutated(): Record<string, unknown> {
      const r = validRecord()
      const times = 1 + Math.floor(rand() * 3)
      for (let i = 0; i < times; i++) {
        const field = pick(FIELDS)
        const roll = rand()
        if (roll < 0.1) delete r[field]
        else if (roll < 0.15) r[field] = undefined
        else if (field === "timestamp") r[field] = pick(TIMESTAMPS)
        else if (roll < 0.4) r[field] = pick(OTHERS)
        else if (roll < 0.7) r[field] = pick(NUMBERS)
        else r[field] = pick(TEXTS)
      }
      return r
    }

    function zodResult(value: Record<string, unknown>) {
      const result = usageRecordSchema.safeParse(value)
      return result.success
        ? { ok: true as const, record: result.data }
        : { ok: false as const, error: describeIssues(result.error) }
    }

    it("takes the fast path for every plain valid record, with zod's output (fields, values, key order)", () => {
      for (let i = 0; i < 3000; i++) {
        const input = validRecord()
        const fast = parseRecordFast(input)
        const zod = zodResult(input)
        expect(zod.ok, JSON.stringify(input)).to.equal(true)
        expect(fast, JSON.stringify(input)).to.not.equal(undefined)
        if (!zod.ok || !fast) continue
        expect(fast).to.deep.equal(zod.record)
        expect(Object.keys(fast)).to.deep.equal(Object.keys(zod.record))
        expect(fast.timestamp.getTime()).to.equal(zod.record.timestamp.getTime())
      }
    })

    it("agrees with zod on acceptance and output for generated edge cases, and zod writes every error", () => {
      let accepted = 0
      let rejected = 0
      let fastTaken = 0
      for (let i = 0; i < 20_000; i++) {
        const input = mutated()
        const fast = parseRecordFast(input)
        const zod = zodResult(input)
        const label = `${JSON.stringify(input, (_k, v) => (typeof v === "bigint" ? `${v}n` : v))} ${OPTIONAL.filter((k) => k in input && input[k] === undefined)}`
        if (fast) {
          fastTaken += 1
          expect(zod.ok, label).to.equal(true)
          if (zod.ok) {
            expect(fast, label).to.deep.equal(zod.record)
            expect(Object.keys(fast), label).to.deep.equal(Object.keys(zod.record))
          }
        }
        const parsed = parseRecord(input)
        expect(parsed, label).to.deep.equal(zod)
        if (zod.ok) accepted += 1
        else rejected += 1
      }
      // The generator reaches both sides and the fast path.
      expect(accepted).to.be.greaterThan(1000)
      expect(rejected).to.be.greaterThan(1000)
      expect(fastTaken).to.be.greaterThan(1000)
    })

    it("leaves null, strings for numbers, fractional and negative counts, zone-less timestamps to zod's messages", () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ ...base, sessionID: null }, /^sessionID: /],
        [{ ...base, inputTokens: "12" }, /^inputTokens: /],
        [{ ...base, outputTokens: 1.5 }, /^outputTokens: /],
        [{ ...base, cacheReadTokens: -1 }, /^cacheReadTokens: /],
        [{ ...base, estimatedCost: Number.NaN }, /^estimatedCost: /],
        [{ ...base, estimatedCost: Number.POSITIVE_INFINITY }, /^estimatedCost: /],
        [{ ...base, timestamp: "2026-11-20T10:11:12" }, /^timestamp: must be an ISO 8601 instant with a zone/],
        [{ ...base, model: "m".repeat(257) }, /^model: /],
        [{ ...base, id: "a\u0000b" }, /^id: must be well-formed Unicode without NUL/],
      ]
      for (const [input, message] of cases) {
        expect(parseRecordFast(input)).to.equal(undefined)
        const parsed = parseRecord(input)
        expect(parsed.ok).to.equal(false)
        if (!parsed.ok) expect(parsed.error).to.match(message)
      }
      const epoch = parseRecord({ ...base, timestamp: 1_763_633_472_345, extra: "dropped" })
      expect(epoch.ok && epoch.record.timestamp.toISOString()).to.equal("2025-11-20T10:11:12.345Z")
      expect(epoch.ok && "extra" in epoch.record).to.equal(false)
    })
  })
})
