import { expect } from "chai"
import { identityKey, newRecordId, parseRecord, toRecordJson, uuidv7 } from "../../src/lib/record.js"

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
})
