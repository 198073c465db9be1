import { gzipSync } from "node:zlib"
import { expect } from "chai"
import { startTestService, type TestService, wireRecord } from "./helpers.js"

/** Posts raw bytes with headers; returns status and parsed JSON body. */
async function send(svc: TestService, body: string | Uint8Array, headers: Record<string, string> = {}) {
  const res = await fetch(`${svc.url}/ingest/usage`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  })
  const text = await res.text()
  return { status: res.status, json: JSON.parse(text), text }
}

describe("bad input to the service", () => {
  let svc: TestService
  let baseline: number

  before(async () => {
    svc = await startTestService({ ingestToken: "ingest-secret", bodyLimit: 1024 * 1024, maxRecords: 1000 })
    const auth = { authorization: "Bearer ingest-secret" }
    expect((await svc.post([wireRecord(), wireRecord()], auth)).status).to.equal(200)
    baseline = 2
  })
  after(async () => {
    await svc.stop()
  })

  const auth = { authorization: "Bearer ingest-secret" }

  async function expectUnchanged(extra = 0): Promise<void> {
    const health = await svc.get("/healthz")
    expect(health.status, "service still up").to.equal(200)
    expect(health.json.store.records).to.equal(baseline + extra)
    baseline += extra
  }

  function expectError(res: { status: number; json: any; text: string }, status: number, code: string): void {
    expect(res.status, res.text).to.equal(status)
    expect(res.json.error.code).to.equal(code)
    expect(res.json.error.message).to.be.a("string").and.not.empty
    expect(res.text).not.to.match(/\n\s+at /)
  }

  it("answers 400 UNPARSEABLE_BODY for malformed JSON", async () => {
    expectError(await send(svc, '[{"id": "x",', auth), 400, "UNPARSEABLE_BODY")
    expectError(await send(svc, "", auth), 400, "UNPARSEABLE_BODY")
    expectError(await send(svc, "NaN", auth), 400, "UNPARSEABLE_BODY")
    await expectUnchanged()
  })

  it("answers 400 for unknown top-level shapes, with the reason", async () => {
    for (const body of ["42", '"a string"', "null", '{"records": "nope"}', '{"node": 7, "records": []}']) {
      const res = await send(svc, body, auth)
      expectError(res, 400, "UNPARSEABLE_BODY")
    }
    await expectUnchanged()
  })

  it("answers 400 INVALID_RECORD with every rejected index when no record is valid", async () => {
    const bad = [
      { ...wireRecord(), inputTokens: "12" },
      { ...wireRecord(), estimatedCost: "0.1" },
      { ...wireRecord(), outputTokens: 1.5 },
      { ...wireRecord(), inputTokens: -3 },
      { ...wireRecord(), estimatedCost: -0.01 },
      { ...wireRecord(), timestamp: "yesterday" },
      { ...wireRecord(), provider: "" },
      [1, 2],
    ]
    const res = await send(svc, JSON.stringify(bad), auth)
    expectError(res, 400, "INVALID_RECORD")
    expect(res.json.rejected.map((r: any) => r.index)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7])
    expect(res.json.error.rejected).to.deep.equal(res.json.rejected)
    expect(res.json.rejected[0].error).to.match(/inputTokens.*number.*string/)
    expect(res.json.rejected[2].error).to.match(/outputTokens/)
    expect(res.json.rejected[5].error).to.match(/timestamp/)
    await expectUnchanged()
  })

  it("refuses a body-level node that breaks the node rule with 400 naming it, storing nothing of the body", async () => {
    const records = [wireRecord(), wireRecord()]
    for (const node of ["n\ud800", "lone \udc00 low", "a\u0000b", "", " ", "\t \n", "n".repeat(129)]) {
      const res = await send(svc, JSON.stringify({ node, records }), auth)
      expectError(res, 400, "UNPARSEABLE_BODY")
      expect(res.json.error.message, JSON.stringify(node)).to.match(/^"node": /)
    }
    await expectUnchanged()
  })

  it("refuses a record whose own node is blank, by index", async () => {
    const res = await send(svc, JSON.stringify([wireRecord({ node: "  " }), wireRecord({ node: "ok" })]), auth)
    expect(res.status, res.text).to.equal(200)
    expect(res.json.accepted).to.equal(1)
    expect(res.json.rejected).to.deep.equal([{ index: 0, error: "node: must not be blank" }])
    await expectUnchanged(1)
  })

  it("refuses an X-Usage-Node header that breaks the node rule or is not UTF-8 with 400, storing nothing", async () => {
    const body = JSON.stringify([wireRecord()])
    for (const header of [
      "", // empty
      "n".repeat(129),
      "b\u00fccher", // ü sent as one latin1 byte: not UTF-8
      Buffer.from([0x6e, 0xed, 0xa0, 0x80]).toString("latin1"), // a UTF-8-encoded surrogate: not UTF-8
    ]) {
      const res = await send(svc, body, { ...auth, "x-usage-node": header })
      expectError(res, 400, "BAD_USAGE")
      expect(res.json.error.message, JSON.stringify(header)).to.match(/^X-Usage-Node: /)
    }
    await expectUnchanged()
  })

  it("refuses Infinity (a number too large for a double) and NaN per record in NDJSON", async () => {
    const good = wireRecord()
    const lines = [
      JSON.stringify(good),
      JSON.stringify(wireRecord()).replace(/"estimatedCost":[^,]+/, '"estimatedCost":1e999'),
      JSON.stringify(wireRecord()).replace(/"inputTokens":\d+/, '"inputTokens":NaN'),
    ].join("\n")
    const res = await send(svc, lines, { ...auth, "content-type": "application/x-ndjson" })
    expect(res.status).to.equal(200)
    expect(res.json.accepted).to.equal(1)
    expect(res.json.rejected).to.have.length(2)
    expect(res.json.rejected[0]).to.deep.include({ index: 1 })
    expect(res.json.rejected[0].error).to.match(/estimatedCost/)
    expect(res.json.rejected[1]).to.deep.include({ index: 2 })
    expect(res.json.rejected[1].error).to.match(/not valid JSON/)
    await expectUnchanged(1)
  })

  it("refuses strings over their limits", async () => {
    const res = await send(
      svc,
      JSON.stringify([{ ...wireRecord(), model: "m".repeat(300_000) }, wireRecord({ provider: "p".repeat(129) })]),
      auth,
    )
    expectError(res, 400, "INVALID_RECORD")
    expect(res.json.rejected[0].error).to.match(/model/)
    await expectUnchanged()
  })

  it("answers 413 for a body over the limit, and for too many records", async () => {
    const huge = JSON.stringify([{ ...wireRecord(), sessionID: "s".repeat(2 * 1024 * 1024) }])
    expectError(await send(svc, huge, auth), 413, "PAYLOAD_TOO_LARGE")
    const many = JSON.stringify(Array.from({ length: 1001 }, () => wireRecord()))
    const res = await send(svc, many, auth)
    expectError(res, 413, "PAYLOAD_TOO_LARGE")
    expect(res.json.error.message).to.match(/1001 records/)
    await expectUnchanged()
  })

  it("answers 413 for a gzip bomb (the limit applies after decompression)", async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20))
    expect(bomb.length).to.be.below(1024 * 1024)
    expectError(await send(svc, bomb, { ...auth, "content-encoding": "gzip" }), 413, "PAYLOAD_TOO_LARGE")
    await expectUnchanged()
  })

  it("answers 400 for corrupt gzip and 415 for unknown encodings and content types", async () => {
    expectError(
      await send(svc, Buffer.from("not gzip at all"), { ...auth, "content-encoding": "gzip" }),
      400,
      "UNPARSEABLE_BODY",
    )
    expectError(await send(svc, "[]", { ...auth, "content-encoding": "br" }), 415, "UNSUPPORTED_MEDIA_TYPE")
    expectError(
      await send(svc, "id=1", { ...auth, "content-type": "application/x-www-form-urlencoded" }),
      415,
      "UNSUPPORTED_MEDIA_TYPE",
    )
    expectError(await send(svc, Buffer.from([0xff, 0xfe, 0x00]), auth), 400, "UNPARSEABLE_BODY")
    await expectUnchanged()
  })

  it("answers 401 without a token and with a wrong one", async () => {
    const body = JSON.stringify([wireRecord()])
    const missing = await send(svc, body)
    expectError(missing, 401, "UNAUTHORIZED")
    expectError(await send(svc, body, { authorization: "Basic abc" }), 401, "UNAUTHORIZED")
    expectError(await send(svc, body, { authorization: "Bearer ingest-secreT" }), 401, "UNAUTHORIZED")
    expectError(await send(svc, body, { authorization: "Bearer ingest-secret-and-more" }), 401, "UNAUTHORIZED")
    await expectUnchanged()
  })

  it("stores SQL metacharacters and Unicode verbatim and finds them again", async () => {
    const odd = [
      wireRecord({ provider: "x'; DROP TABLE records; --", model: 'm" OR 1=1 --', node: "n%_\\" }),
      wireRecord({ provider: "프로바이더 🚀", model: "模型\u200bzero", node: "ñødé", taskType: "тест" }),
    ]
    const res = await send(svc, JSON.stringify(odd), auth)
    expect(res.status).to.equal(200)
    expect(res.json.accepted).to.equal(2)
    await expectUnchanged(2)
    for (const r of odd) {
      const q = new URLSearchParams({ provider: r.provider as string, node: r.node as string, since: "2000-01-01" })
      const summary = await svc.get(`/api/usage/summary?${q}&by=model`)
      expect(summary.status).to.equal(200)
      expect(Object.keys(summary.json.summaries)).to.deep.equal([r.provider])
      expect(summary.json.breakdown.groups[0].key).to.equal(r.model)
    }
    const trends = await svc.get(
      `/api/usage/provider/${encodeURIComponent("x'; DROP TABLE records; --")}/trends?days=1`,
    )
    expect(trends.status).to.equal(200)
  })

  it("answers 400 INVALID_QUERY for bad query parameters", async () => {
    for (const path of [
      "/api/usage/summary?by=colour",
      "/api/usage/summary?since=yesterday",
      "/api/usage/summary?since=2026-02-30",
      "/api/usage/summary?since=2026-11-02&until=2026-11-01",
      "/api/usage/summary?tz=Mars/Olympus",
      "/api/usage/summary?node=a&node=b",
      "/api/usage/provider/anthropic/trends?days=0",
      "/api/usage/provider/anthropic/trends?days=367",
      "/api/usage/provider/anthropic/trends?days=7.5",
      "/api/usage/provider/anthropic/trends?range=90d",
      "/api/usage/provider/anthropic/trends?range=7d&days=3",
      "/api/usage/export?format=xlsx",
    ]) {
      const res = await svc.get(path)
      expect(res.status, path).to.equal(400)
      expect(res.json.error.code, path).to.equal("INVALID_QUERY")
    }
  })

  it("answers 404 as JSON for unknown routes", async () => {
    const res = await svc.get("/api/usage/nothing")
    expect(res.status).to.equal(404)
    expect(res.json.error.code).to.equal("NOT_FOUND")
  })
})
