import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Readable } from "node:stream"
import { expect } from "chai"
import { UsageHubError } from "../../../src/lib/errors.js"
import { pushUsage } from "../../../src/lib/import/push.js"

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

describe("pushUsage", () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "usage-push-"))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it("stops waiting as soon as the service refuses the token, records left spooled, without hammering it", async () => {
    let requests = 0
    const fetch: typeof globalThis.fetch = async () => {
      requests += 1
      return new Response(JSON.stringify({ error: { code: "UNAUTHORIZED", message: "bad token" } }), { status: 401 })
    }
    let error: unknown
    try {
      await pushUsage({
        sources: ["-"],
        stdin: Readable.from([ndjson(3)]),
        endpoint: "http://push.test:3001",
        token: "wrong",
        node: "n1",
        spoolDir: dir,
        waitMs: 20_000,
        logger: { warn: () => {}, error: () => {} },
        fetch,
      })
    } catch (e) {
      error = e
    }
    expect(error).to.be.instanceOf(UsageHubError)
    expect((error as UsageHubError).code).to.equal("DELIVERY_INCOMPLETE")
    expect((error as UsageHubError).message).to.match(/delivered 0 of 3 records.*refuses the token/)
    expect(requests).to.be.within(1, 3)
  })
})
