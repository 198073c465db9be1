import { gunzipSync } from "node:zlib"
import { expect } from "chai"
import { postIngest } from "../../../src/lib/client/ingest-client.js"

const BASE = "http://ingest.test:3001"

describe("postIngest", () => {
  it("sends the node in the body only, so any node id the record schema allows can be sent", async () => {
    const sent: Array<{ headers: Headers; body: unknown }> = []
    const fetch: typeof globalThis.fetch = async (_url, init) => {
      sent.push({
        headers: new Headers(init?.headers),
        body: JSON.parse(gunzipSync(init?.body as Buffer).toString("utf8")),
      })
      return new Response(JSON.stringify({ accepted: 1, duplicates: 0, rejected: [] }), { status: 200 })
    }
    const outcome = await postIngest({ endpoint: BASE, node: "节点-07", lines: ['{"id":"a"}'], timeoutMs: 1000, fetch })
    expect(outcome.kind).to.equal("ok")
    expect(sent).to.have.length(1)
    expect(sent[0].headers.has("x-usage-node")).to.equal(false)
    expect(sent[0].body).to.deep.equal({ node: "节点-07", records: [{ id: "a" }] })
  })

  it("calls a request it cannot build unsendable (a misconfiguration), not a network failure to retry", async () => {
    let calls = 0
    const fetch: typeof globalThis.fetch = async () => {
      calls += 1
      return new Response("{}", { status: 200 })
    }
    const outcome = await postIngest({
      endpoint: BASE,
      token: "tøken-✓",
      node: "n1",
      lines: ['{"id":"a"}'],
      timeoutMs: 1000,
      fetch,
    })
    expect(outcome.kind).to.equal("unsendable")
    expect(outcome)
      .to.have.property("reason")
      .that.matches(/cannot build a request/)
    expect(calls).to.equal(0)
  })
})
