import { request } from "node:http"
import { connect } from "node:net"
import { expect } from "chai"
import { startTestService, type TestService, wireRecord } from "./helpers.js"

/** The response headers of a GET that may never end (SSE): resolves once they arrive, then drops the connection. */
function headersOf(url: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      resolve({ status: res.statusCode!, headers: res.headers })
      res.destroy()
    })
    req.on("error", reject)
    req.end()
  })
}

describe("service response headers", () => {
  let svc: TestService
  const read = { authorization: "Bearer read-token-0123456789" }
  const ingest = { authorization: "Bearer ingest-token-0123456789" }

  before(async () => {
    svc = await startTestService({ readToken: "read-token-0123456789", ingestToken: "ingest-token-0123456789" })
    expect((await svc.post([wireRecord()], ingest)).status).to.equal(200)
  })
  after(async () => {
    await svc.stop()
  })

  it("send X-Content-Type-Options: nosniff on every answer: data, errors, the stream, the dashboard", async () => {
    const answers: Array<[string, Record<string, string>, number]> = [
      ["/api/usage/summary", read, 200],
      ["/api/usage/provider/anthropic/trends", read, 200],
      ["/api/usage/export?format=csv", read, 200],
      ["/api/usage/stream", read, 200],
      ["/metrics", read, 200],
      ["/healthz", {}, 200],
      ["/openapi.json", {}, 200],
      ["/", {}, 200],
      ["/assets/app.js", {}, 200],
      ["/api/usage/summary", {}, 401],
      ["/api/usage/summary", ingest, 403],
      ["/api/usage/summary?since=yesterday", read, 400],
      ["/no/such/route", {}, 404],
    ]
    for (const [path, headers, status] of answers) {
      const res = await headersOf(`${svc.url}${path}`, headers)
      expect(res.status, path).to.equal(status)
      expect(res.headers["x-content-type-options"], `${path} (${status})`).to.equal("nosniff")
    }
  })

  it("send it on an ingest answer and on a refused ingest too", async () => {
    for (const [headers, status] of [
      [ingest, 200],
      [read, 403],
    ] as const) {
      const res = await fetch(`${svc.url}/ingest/usage`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify([wireRecord()]),
      })
      await res.text()
      expect(res.status).to.equal(status)
      expect(res.headers.get("x-content-type-options")).to.equal("nosniff")
    }
  })

  it("send it on the answer to a request that is not valid HTTP", async () => {
    const { port } = new URL(svc.url)
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), "127.0.0.1", () => socket.write("NOT HTTP AT ALL\r\n\r\n"))
      let text = ""
      socket.on("data", (d) => {
        text += d
      })
      socket.on("close", () => resolve(text))
      socket.on("error", reject)
    })
    expect(raw).to.match(/^HTTP\/1\.1 400 /)
    expect(raw).to.match(/\r\nX-Content-Type-Options: nosniff\r\n/i)
  })
})
