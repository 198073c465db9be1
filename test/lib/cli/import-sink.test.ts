import { expect } from "chai"
import nock from "nock"
import { openImportSink } from "../../../src/lib/cli/import-sink.js"
import { caught } from "../../helpers/errors.js"
import { record } from "../../helpers/records.js"

const BASE = "http://migrate.test:3001"
type Body = { node: string; records: Array<{ id: string }> }

function batch(n: number) {
  return Array.from({ length: n }, (_, i) => record({ id: `r${i}`, timestamp: new Date(Date.UTC(2025, 0, 1, 0, i)) }))
}

function sink(retryAttempts = 2) {
  return openImportSink(
    { kind: "endpoint", url: BASE, token: "t0k", from: "test" },
    { dryRun: false, node: "node-a", timeoutMs: 1000, retryAttempts, backoffMs: 5, random: () => 0 },
  )
}

describe("migrate-file's endpoint sink (the delivery loop)", () => {
  before(() => nock.disableNetConnect())
  after(() => nock.enableNetConnect())
  afterEach(() => nock.cleanAll())

  it("retries a 503 and a dropped connection, then reports the service's accepted and duplicate counts", async () => {
    const scope = nock(BASE)
      .post("/ingest/usage")
      .reply(503, { error: { message: "busy" } })
      .post("/ingest/usage")
      .replyWithError({ code: "ECONNRESET", message: "socket hang up" })
      .post("/ingest/usage")
      .reply(200, { accepted: 2, duplicates: 1, rejected: [] })
    const result = await (await sink()).write(batch(3))
    scope.done()
    expect(result).to.deep.equal({ accepted: 2, duplicates: 1, rejected: [] })
  })

  it("gives up after its retries with UNREACHABLE, saying how many attempts it made", async () => {
    const scope = nock(BASE)
      .post("/ingest/usage")
      .times(3)
      .reply(500, { error: { message: "boom" } })
    const error = await caught((await sink(2)).write(batch(2)))
    scope.done()
    expect(error.code).to.equal("UNREACHABLE")
    expect(error.message).to.match(/gave up after 3 attempts/)
  })

  it("halves a batch answered 413 and reports a record too large alone by its index in the batch", async () => {
    const sizes: number[] = []
    const scope = nock(BASE)
      .post("/ingest/usage")
      .times(5)
      .reply((_uri, body) => {
        const { records } = body as Body
        sizes.push(records.length)
        if (records.length > 1 || records[0].id === "r2") return [413, { error: { message: "body too large" } }]
        return [200, { accepted: 1, duplicates: 0, rejected: [] }]
      })
    const result = await (await sink()).write(batch(3))
    scope.done()
    expect(sizes).to.deep.equal([3, 2, 1, 1, 1])
    expect(result.accepted).to.equal(2)
    expect(result.rejected).to.deep.equal([{ index: 2, error: "too large for the service: body too large" }])
  })

  it("reports the records a 400 refuses by their index, and sends the others again", async () => {
    const scope = nock(BASE)
      .post("/ingest/usage")
      .reply(400, { error: { message: "no valid record", rejected: [{ index: 1, error: "bad cost" }] } })
      .post("/ingest/usage")
      .reply((_uri, body) => [200, { accepted: (body as Body).records.length, duplicates: 0, rejected: [] }])
    const result = await (await sink()).write(batch(3))
    scope.done()
    expect(result).to.deep.equal({ accepted: 2, duplicates: 0, rejected: [{ index: 1, error: "bad cost" }] })
  })

  it("stops at a refused token (no retry) with UNAUTHORIZED or FORBIDDEN", async () => {
    nock(BASE)
      .post("/ingest/usage")
      .reply(401, { error: { message: "invalid token" } })
    const unauthorized = await caught((await sink()).write(batch(1)))
    expect(unauthorized.code).to.equal("UNAUTHORIZED")
    expect(unauthorized.message).to.match(/refused the ingest token \(401\)/)
    nock(BASE)
      .post("/ingest/usage")
      .reply(403, { error: { message: "read token" } })
    const forbidden = await caught((await sink()).write(batch(1)))
    expect(forbidden.code).to.equal("FORBIDDEN")
    expect(nock.isDone()).to.equal(true)
  })
})
