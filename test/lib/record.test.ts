import { expect } from "chai"
import { UsageHubError } from "../../src/lib/errors.js"
import {
  checkNode,
  describeIssues,
  identityKey,
  MAX_COST_PER_RECORD,
  MAX_RECORD_TIME_MS,
  MAX_TOKENS_PER_RECORD,
  MIN_RECORD_TIME_MS,
  newRecordId,
  nodeSchema,
  parseRecord,
  parseRecordFast,
  toRecordJson,
  usageRecordSchema,
  uuidv7,
} from "../../src/lib/record.js"
import { isNodeName } from "../../src/lib/record-rules.js"
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
    ["a cost above 1e9 USD", { estimatedCost: 1_000_000_001 }, /estimatedCost: must be at most 1000000000 USD/],
    ["a token count above 1e12", { inputTokens: 1e12 + 1 }, /inputTokens: .*1000000000000/],
    ["a timestamp without a zone", { timestamp: "2026-11-20T10:11:12" }, /timestamp/],
    ["a huge provider", { provider: "p".repeat(129) }, /provider/],
    ["an empty id", { id: "" }, /id/],
    [
      "a NUL character (PostgreSQL refuses it)",
      { id: "usage_a\u0000b" },
      /id: must be well-formed Unicode without NUL/,
    ],
    ["a lone surrogate (drivers would merge two ids)", { node: "n\ud800" }, /node: must be well-formed Unicode/],
    ["a blank node", { node: " \t" }, /node: must not be blank/],
    ["a blank id", { id: " " }, /id: must not be blank/],
    ["a blank provider", { provider: "\u00a0" }, /provider: must not be blank/],
    ["a blank model", { model: "  " }, /model: must not be blank/],
    ["a blank task type", { taskType: "\n" }, /taskType: must not be blank/],
  ] as const) {
    it(`refuses ${what} with the field named`, () => {
      const r = parseRecord({ ...base, ...patch })
      expect(r.ok).to.equal(false)
      if (!r.ok) expect(r.error).to.match(reason)
    })
  }

  describe("bounds (DESIGN.md: cost up to 1e9 USD, tokens up to 1e12, timestamps in [2000, 2100))", () => {
    const BOUNDS = /^timestamp: must be between 2000-01-01T00:00:00Z and 2100-01-01T00:00:00Z/

    it("exports the bounds the stores size themselves by", () => {
      expect(MAX_COST_PER_RECORD).to.equal(1e9)
      expect(MAX_TOKENS_PER_RECORD).to.equal(1e12)
      expect(new Date(MIN_RECORD_TIME_MS).toISOString()).to.equal("2000-01-01T00:00:00.000Z")
      expect(new Date(MAX_RECORD_TIME_MS).toISOString()).to.equal("2100-01-01T00:00:00.000Z")
    })

    it("accepts a $30,000 call of 2e9 tokens, and the largest cost and token counts", () => {
      for (const patch of [
        { estimatedCost: 30_000, inputTokens: 2e9 },
        { estimatedCost: 1e9, inputTokens: 1e12, outputTokens: 1e12, cacheReadTokens: 1e12, reasoningTokens: 1e12 },
      ]) {
        const r = parseRecord({ ...base, ...patch })
        expect(r.ok, JSON.stringify(r)).to.equal(true)
        if (r.ok) expect(r.record).to.include(patch)
      }
    })

    it("accepts the first and the last instant of the bounds, however written", () => {
      for (const [timestamp, iso] of [
        ["2000-01-01T00:00:00Z", "2000-01-01T00:00:00.000Z"],
        ["2000-01-01T05:30:00+05:30", "2000-01-01T00:00:00.000Z"],
        [MIN_RECORD_TIME_MS, "2000-01-01T00:00:00.000Z"],
        [new Date(MIN_RECORD_TIME_MS), "2000-01-01T00:00:00.000Z"],
        ["2099-12-31T23:59:59.999Z", "2099-12-31T23:59:59.999Z"],
        ["2099-12-31T14:14:59.999-09:45", "2099-12-31T23:59:59.999Z"],
        [MAX_RECORD_TIME_MS - 1, "2099-12-31T23:59:59.999Z"],
        [new Date(MAX_RECORD_TIME_MS - 1), "2099-12-31T23:59:59.999Z"],
      ] as const) {
        const r = parseRecord({ ...base, timestamp })
        expect(r.ok, `${timestamp}: ${JSON.stringify(r)}`).to.equal(true)
        if (r.ok) expect(r.record.timestamp.toISOString()).to.equal(iso)
      }
    })

    it("refuses an instant outside the bounds, naming them, whether ISO, epoch ms or a Date", () => {
      for (const timestamp of [
        "1999-12-31T23:59:59.999Z",
        "2000-01-01T05:29:59+05:30",
        "2100-01-01T00:00:00Z",
        "2099-12-31T23:30:00-01:00",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        MIN_RECORD_TIME_MS - 1,
        MAX_RECORD_TIME_MS,
        0,
        -8_640_000_000_000_000,
        8_640_000_000_000_000,
        new Date(-8_640_000_000_000_000),
        new Date(MAX_RECORD_TIME_MS),
      ]) {
        expect(parseRecordFast({ ...base, timestamp })).to.equal(undefined)
        const r = parseRecord({ ...base, timestamp })
        expect(r.ok, String(timestamp)).to.equal(false)
        if (!r.ok) expect(r.error, String(timestamp)).to.match(BOUNDS)
      }
    })

    it("refuses a calendar date or time of day that does not exist, instead of moving it (no 2026-02-30 → March 2)", () => {
      for (const timestamp of [
        "2026-02-30T00:00:00Z",
        "2025-02-29T12:00:00Z",
        "2100-02-29T12:00:00Z",
        "2026-04-31T10:00:00+02:00",
        "2026-11-20T24:00:00Z",
        "2026-11-20T23:60Z",
        "2026-11-20T23:59:60Z",
        "2026-00-10T10:00:00Z",
        "2026-11-00T10:00:00Z",
      ]) {
        expect(parseRecordFast({ ...base, timestamp })).to.equal(undefined)
        const r = parseRecord({ ...base, timestamp })
        expect(r.ok, timestamp).to.equal(false)
        if (!r.ok) expect(r.error, timestamp).to.match(/^timestamp: must be a real calendar date and time of day/)
      }
      for (const timestamp of ["2024-02-29T12:00:00Z", "2000-02-29T00:00:00Z", "2026-12-31T23:59:59.999+14:00"]) {
        const r = parseRecord({ ...base, timestamp })
        expect(r.ok, timestamp).to.equal(true)
      }
    })
  })

  it("counts an empty sessionID as absent", () => {
    for (const parse of [parseRecord, (v: object) => usageRecordSchema.safeParse(v)]) {
      const r = parse({ ...base, sessionID: "" }) as { success?: boolean; ok?: boolean; record?: object; data?: object }
      const record = (r.record ?? r.data) as Record<string, unknown>
      expect(record.sessionID).to.equal(undefined)
      expect(toRecordJson(record as never)).to.deep.equal(base)
    }
    const kept = parseRecord({ ...base, sessionID: "ses_1" })
    expect(kept.ok && kept.record.sessionID).to.equal("ses_1")
  })

  describe("node names (records, the ingest body, X-Usage-Node, --node, the adapter)", () => {
    it("accepts 1 to 128 characters of any Unicode (isNodeName, without zod, alike)", () => {
      for (const node of ["a", "build-07", "bücher", "nœud 🚀", "n".repeat(128), " padded "]) {
        expect(nodeSchema.safeParse(node).success, node).to.equal(true)
        expect(isNodeName(node), node).to.equal(true)
        expect(checkNode(node, "--node")).to.equal(node)
      }
    })

    it("refuses blank, too long, NUL, lone surrogates and non-strings, naming where the node came from", () => {
      for (const node of ["", " ", "\t\n", "n".repeat(129), "a\u0000b", "n\ud800", 7, null]) {
        expect(nodeSchema.safeParse(node).success, String(node)).to.equal(false)
        expect(isNodeName(node), String(node)).to.equal(false)
        expect(() => checkNode(node, "--node"), String(node))
          .to.throw(UsageHubError, /^--node: /)
          .with.property("code", "BAD_USAGE")
      }
      expect(() => checkNode(" ", "X-Usage-Node")).to.throw(/^X-Usage-Node: must not be blank \(a node name is/)
      expect(() => checkNode("", "--node")).to.throw(/^--node: Too small: expected string to have >=1 characters \(/)
      expect(() => checkNode("a\u0000", '"node"', "UNPARSEABLE_BODY"))
        .to.throw(/^"node": must be well-formed Unicode without NUL/)
        .with.property("code", "UNPARSEABLE_BODY")
    })
  })

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
      30_000,
      1e-9,
      999_999_999.999,
      1e9,
      1e9 + 1,
      1e9 + 1e-6,
      1e12 - 1,
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
      "2026-02-30T10:11:12Z", // no such day
      "2026-11-20T24:00:00Z", // no such time
      "1999-12-31T23:59:59.999Z", // just before the bounds
      "2000-01-01T05:29:59.999+05:30",
      "2000-01-01T00:00:00Z", // first instant
      "2099-12-31T23:59:59.999Z", // last instant
      "2099-12-31T23:15:00-00:45", // just after
      "2100-01-01T00:00:00Z",
      "0001-01-01T00:00:00Z",
      1_763_633_472_345, // epoch ms
      MIN_RECORD_TIME_MS,
      MIN_RECORD_TIME_MS - 1,
      MAX_RECORD_TIME_MS - 1,
      MAX_RECORD_TIME_MS,
      0,
      -1,
      -8.64e15,
      8.64e15,
      8.64e15 + 1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      new Date("2026-11-20T10:11:12Z"),
      new Date(MIN_RECORD_TIME_MS - 1),
      new Date(MAX_RECORD_TIME_MS),
      new Date(Number.NaN),
    ]
    const OTHERS = [null, undefined, true, false, "12", [], {}, 12n]
    const FIELDS = Object.keys(usageRecordSchema.shape)
    const OPTIONAL = ["sessionID", "node", "cacheReadTokens", "cacheWriteTokens", "reasoningTokens", "unpriced"]

    /** Offsets of real zones, :30 and :45 ones included. */
    const OFFSETS = [0, 330, 345, 525, 840, -570, -210, -720, 60, -45]

    /** `ms` written as an ISO instant at `offset` minutes from UTC, with 3 or 9 fractional digits, or none. */
    function isoAt(ms: number, offset: number, digits: 0 | 3 | 9): string {
      const local = new Date(ms + offset * 60_000).toISOString().slice(0, -1)
      const time = digits === 0 ? local.slice(0, 19) : digits === 3 ? local : `${local}${ms % 7}45678`
      if (offset === 0 && rand() < 0.5) return `${time}Z`
      const abs = Math.abs(offset)
      const sign = offset < 0 ? "-" : "+"
      return `${time}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`
    }

    /** An instant anywhere in the bounds, or within a day of either end (each a third of the time). */
    function instant(): number {
      const roll = rand()
      const span = MAX_RECORD_TIME_MS - MIN_RECORD_TIME_MS
      if (roll < 1 / 3) return MIN_RECORD_TIME_MS + Math.floor(rand() * span)
      if (roll < 2 / 3) return MIN_RECORD_TIME_MS + Math.floor(rand() ** 4 * 86_400_000)
      return MAX_RECORD_TIME_MS - 1 - Math.floor(rand() ** 4 * 86_400_000)
    }

    /** The instant each generated valid record means (an independent check of the parsed timestamp). */
    const meant = new WeakMap<object, number>()

    /** A valid timestamp as ISO (any offset, whole seconds or not), epoch ms or a Date, and its instant. */
    function timestamp(): { value: unknown; ms: number } {
      let ms = instant()
      const roll = rand()
      if (roll < 0.6) {
        const digits = pick([0, 3, 9] as const)
        if (digits === 0) ms -= ms % 1000
        return { value: isoAt(ms, pick(OFFSETS), digits), ms }
      }
      return { value: roll < 0.85 ? ms : new Date(ms), ms }
    }

    /** A number from 0 to `max`, spread over its orders of magnitude (and `max` itself now and then). */
    function upTo(max: number, integer: boolean): number {
      if (rand() < 0.05) return max
      const value = rand() * 10 ** (rand() * Math.log10(max))
      return integer ? Math.floor(value) : Math.min(max, Math.round(value * 1e9) / 1e9)
    }

    /** A valid record with random optional fields, keys in a random order, sometimes unknown extra fields. */
    function validRecord(): Record<string, unknown> {
      const time = timestamp()
      const r: Record<string, unknown> = {
        id: `usage_${Math.floor(rand() * 1e9)}`,
        timestamp: time.value,
        provider: pick(["anthropic", "openai", "プロバイダ"]),
        model: pick(["claude-sonnet-4-5", "gpt-5", 'm"odel,1']),
        inputTokens: upTo(MAX_TOKENS_PER_RECORD, true),
        outputTokens: upTo(MAX_TOKENS_PER_RECORD, true),
        estimatedCost: upTo(MAX_COST_PER_RECORD, false),
        taskType: pick(["primary", "background-task", "subagent"]),
      }
      if (rand() < 0.5) r.sessionID = pick(["ses_1", "", "s".repeat(256)])
      if (rand() < 0.5) r.node = pick(["build-01", "ñødé"])
      if (rand() < 0.4) r.cacheReadTokens = upTo(MAX_TOKENS_PER_RECORD, true)
      if (rand() < 0.3) r.cacheWriteTokens = pick([0, upTo(MAX_TOKENS_PER_RECORD, true)])
      if (rand() < 0.3) r.reasoningTokens = upTo(MAX_TOKENS_PER_RECORD, true)
      if (rand() < 0.3) r.unpriced = rand() < 0.5
      if (rand() < 0.2) r.extra = pick([1, "x", null])
      if (rand() < 0.1) r.__proto__x = { y: 1 }
      const keys = Object.keys(r).sort(() => rand() - 0.5)
      const shuffled = Object.fromEntries(keys.map((k) => [k, r[k]]))
      meant.set(shuffled, time.ms)
      return shuffled
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
        expect(fast.timestamp.getTime(), JSON.stringify(input)).to.equal(meant.get(input))
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
