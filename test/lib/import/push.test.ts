import { readdirSync } from "node:fs"
import { Readable } from "node:stream"
import { gunzipSync } from "node:zlib"
import { expect } from "chai"
import { type PushOptions, pushUsage } from "../../../src/lib/import/push.js"
import { caught } from "../../helpers/errors.js"
import { removeDir, tempDir } from "../../helpers/tmp.js"
import { killedNodeProcess } from "../adapters/http-test-helpers.js"

function ndjson(n: number): string {
  return Array.from({ length: n }, (_, i) =>
    JSON.stringify({
      id: `usage_push_${i}`,
      timestamp: "2026-11-20T10:00:00.000Z",
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      inputTokens: 1,
      outputTokens: 1,
      estimatedCost: 0.001,
      taskType: "primary",
    }),
  ).join("\n")
}

/** A fetch standing in for the service: takes every record, remembering the ids. */
function acceptingFetch(ids: string[]): typeof globalThis.fetch {
  return async (_url, init) => {
    // The ingest client always sends a gzip body.
    const records = JSON.parse(gunzipSync(init!.body as Uint8Array).toString("utf8")).records as Array<{ id: string }>
    ids.push(...records.map((r) => r.id))
    return new Response(JSON.stringify({ accepted: records.length, duplicates: 0, rejected: [] }), { status: 200 })
  }
}

describe("pushUsage", () => {
  let dir: string
  beforeEach(() => {
    dir = tempDir("usage-push-")
  })
  afterEach(() => removeDir(dir))

  /** Pushes to a test endpoint as node n1, spooling in `dir`, quietly. */
  const push = (options: Pick<PushOptions, "sources" | "stdin" | "fetch"> & Partial<PushOptions>) =>
    pushUsage({
      endpoint: "http://push.test:3001",
      node: "n1",
      spoolDir: dir,
      logger: { warn: () => {}, error: () => {} },
      ...options,
    })

  it("stops waiting as soon as the service refuses the token, records left spooled, without hammering it", async () => {
    let requests = 0
    const fetch: typeof globalThis.fetch = async () => {
      requests += 1
      return new Response(JSON.stringify({ error: { code: "UNAUTHORIZED", message: "bad token" } }), { status: 401 })
    }
    const error = await caught(
      push({ sources: ["-"], stdin: Readable.from([ndjson(3)]), token: "wrong", waitMs: 20_000, fetch }),
    )
    expect(error.code).to.equal("DELIVERY_INCOMPLETE")
    expect(error.message).to.match(/delivered 0 of 3 records.*refuses the token/)
    expect(requests).to.be.within(1, 3)
  })

  describe("spools left by killed processes", function () {
    this.timeout(20_000)

    it("also delivers the spool of a process killed just before, once its lock goes stale", async () => {
      await killedNodeProcess(dir, 20)
      const ids: string[] = []
      const result = await push({
        sources: ["-"],
        stdin: Readable.from([ndjson(3)]),
        staleMs: 2000,
        waitMs: 5000,
        fetch: acceptingFetch(ids),
      })
      expect(result).to.include({ read: 3, takenOver: 20, accepted: 23, pending: 0 })
      expect(ids.filter((id) => id.startsWith("usage_killed_"))).to.have.length(20)
      expect(readdirSync(dir).filter((n) => n.startsWith("spool."))).to.deep.equal([])
    })

    it("drains a spool directory without sources, reading nothing", async () => {
      await killedNodeProcess(dir, 7)
      const ids: string[] = []
      const result = await push({
        sources: [],
        // Would never end: a drain must not read it.
        stdin: new Readable({ read() {} }),
        staleMs: 2000,
        waitMs: 5000,
        fetch: acceptingFetch(ids),
      })
      expect(result).to.include({ read: 0, takenOver: 7, accepted: 7, pending: 0 })
      expect(result.sources).to.deep.equal([])
      expect(ids).to.have.length(7)
    })
  })
})
