import { type IncomingHttpHeaders, request } from "node:http"
import { expect } from "chai"
import { startTestService, type TestService, wireRecord } from "./helpers.js"

interface SseEvent {
  event?: string
  data?: string
  comment?: string
}

/** Reads Server-Sent Events from a fetch response, one at a time. */
function sseReader(res: Response) {
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  return async function next(): Promise<SseEvent> {
    for (;;) {
      const end = buffer.indexOf("\n\n")
      if (end >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event: SseEvent = {}
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) event.comment = line.slice(1).trim()
          else if (line.startsWith("event: ")) event.event = line.slice(7)
          else if (line.startsWith("data: ")) event.data = line.slice(6)
        }
        if (event.event || event.comment) return event
        continue
      }
      const { value, done } = await reader.read()
      if (done) throw new Error("stream ended")
      buffer += decoder.decode(value, { stream: true })
    }
  }
}

async function nextSummary(next: () => Promise<SseEvent>): Promise<any> {
  for (;;) {
    const event = await next()
    if (event.event === "summary") return JSON.parse(event.data!)
  }
}

async function sseClients(svc: TestService): Promise<number> {
  const text = (await svc.get("/metrics")).text
  return Number(/^usage_hub_sse_clients (\d+)/m.exec(text)![1])
}

describe("GET /api/usage/stream (SSE)", () => {
  let svc: TestService

  beforeEach(async () => {
    svc = await startTestService({ heartbeatMs: 50 })
  })
  afterEach(async () => {
    await svc.stop()
  })

  it("sends a summary at once and an updated one after a committed post", async () => {
    const controller = new AbortController()
    const res = await fetch(`${svc.url}/api/usage/stream?by=node`, { signal: controller.signal })
    expect(res.status).to.equal(200)
    const next = sseReader(res)
    const first = await nextSummary(next)
    expect(first.totalCost).to.equal(0)
    expect(first.breakdown.by).to.equal("node")

    const posted = await svc.post({
      node: "build-07",
      records: [wireRecord({ estimatedCost: 0.25 }), wireRecord({ estimatedCost: 0.5 })],
    })
    expect(posted.status).to.equal(200)
    const update = await nextSummary(next)
    expect(update.totalCost).to.equal(0.75)
    expect(update.summaries.anthropic.callCount).to.equal(2)
    expect(update.breakdown.groups[0].key).to.equal("build-07")
    controller.abort()
  })

  it("sends heartbeat comments and forgets clients that close", async () => {
    const controller = new AbortController()
    const res = await fetch(`${svc.url}/api/usage/stream`, { signal: controller.signal })
    const next = sseReader(res)
    let heartbeat: SseEvent | undefined
    while (!heartbeat) {
      const event = await next()
      if (event.comment === "heartbeat") heartbeat = event
    }
    expect(await sseClients(svc)).to.equal(1)
    controller.abort()
    for (let i = 0; i < 100 && (await sseClients(svc)) !== 0; i++) await new Promise((r) => setTimeout(r, 10))
    expect(await sseClients(svc)).to.equal(0)
  })

  it("ends open streams when the service closes", async () => {
    const res = await fetch(`${svc.url}/api/usage/stream`)
    const next = sseReader(res)
    await nextSummary(next)
    await svc.close()
    let ended = false
    try {
      for (;;) await next()
    } catch (error) {
      ended = /stream ended|terminated/.test((error as Error).message)
    }
    expect(ended).to.equal(true)
  })
})

/** A HEAD request over node:http: resolves with the status, headers and body bytes once the answer ends. */
function head(url: string, headers: Record<string, string> = {}, timeoutMs = 2000) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; bodyBytes: number }>((resolve, reject) => {
    const req = request(url, { method: "HEAD", headers }, (res) => {
      let bodyBytes = 0
      res.on("data", (chunk: Buffer) => {
        bodyBytes += chunk.length
      })
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, bodyBytes }))
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`HEAD ${url}: no complete answer within ${timeoutMs} ms`)))
    req.on("error", reject)
    req.end()
  })
}

describe("HEAD /api/usage/stream", () => {
  let svc: TestService

  before(async () => {
    svc = await startTestService({ readToken: "reader-token-0123456789" })
  })
  after(async () => {
    await svc.stop()
  })

  it("answers the stream's headers with no body and ends, holding no stream open", async () => {
    const res = await head(`${svc.url}/api/usage/stream`, { authorization: "Bearer reader-token-0123456789" })
    expect(res.status).to.equal(200)
    expect(res.headers["content-type"]).to.match(/^text\/event-stream/)
    expect(res.bodyBytes).to.equal(0)
    const metrics = await svc.get("/metrics", { authorization: "Bearer reader-token-0123456789" })
    expect(/^usage_hub_sse_clients (\d+)/m.exec(metrics.text)![1]).to.equal("0")
  })

  it("answers 401 without the token", async () => {
    expect((await head(`${svc.url}/api/usage/stream`)).status).to.equal(401)
  })
})
