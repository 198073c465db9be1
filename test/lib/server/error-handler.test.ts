import { connect } from "node:net"
import { expect } from "chai"
import { UsageHubError } from "../../../src/lib/errors.js"
import type { StoredRecord } from "../../../src/lib/record.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"
import type { AggregateRow, InsertResult, StoreStats } from "../../../src/lib/store/store.js"
import { startTestService, type TestService, wireRecord } from "./helpers.js"

/** Sends raw bytes on a new connection and returns everything the service wrote back until it closed. */
function rawExchange(port: number, bytes: string, after?: (write: (more: string) => void) => void): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1", () => {
      socket.write(bytes)
      after?.((more) => socket.write(more))
    })
    let out = ""
    socket.on("data", (d) => {
      out += d
    })
    socket.on("close", () => resolve(out))
    socket.on("error", () => resolve(out))
  })
}

/** The status and JSON body of each HTTP answer in a raw exchange. */
function answers(raw: string): Array<{ status: number; body: any }> {
  const found: Array<{ status: number; body: any }> = []
  const re = /HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n/g
  let m: RegExpExecArray | null
  for (;;) {
    m = re.exec(raw)
    if (!m) break
    const length = Number(/content-length: (\d+)/i.exec(m[2])?.[1] ?? 0)
    const start = m.index + m[0].length
    const text = raw.slice(start, start + length)
    found.push({ status: Number(m[1]), body: text ? JSON.parse(text) : undefined })
    re.lastIndex = start + length
  }
  return found
}

function expectApiError(res: { status: number; json?: any; body?: any }, status: number, code: string): void {
  const body = res.json ?? res.body
  expect(res.status, JSON.stringify(body)).to.equal(status)
  expect(body).to.have.keys("error")
  expect(body.error.code).to.equal(code)
  expect(body.error.message).to.be.a("string").and.not.empty
}

describe("framework errors answer the API's error shape", () => {
  let svc: TestService

  before(async () => {
    svc = await startTestService()
  })
  after(async () => {
    await svc.stop()
  })

  it("a malformed percent-encoding in the path is 400 BAD_USAGE, not fastify's own body", async () => {
    const res = await svc.get("/api/usage/provider/%E0%A4%A/trends")
    expectApiError(res, 400, "BAD_USAGE")
    expect(res.json.error.message).to.match(/URL/)
    expect(res.headers.get("content-type")).to.match(/^application\/json/)
  })

  it("a provider of up to 128 characters is served; a longer path parameter is 400 INVALID_QUERY", async () => {
    expect((await svc.get(`/api/usage/provider/${"p".repeat(128)}/trends`)).status).to.equal(200)
    const long = await svc.get(`/api/usage/provider/${"p".repeat(129)}/trends`)
    expectApiError(long, 400, "INVALID_QUERY")
    expect(long.json.error.message).to.match(/128/)
  })

  it("a request HTTP cannot parse is 400 BAD_USAGE", async () => {
    const [res] = answers(await rawExchange(svc.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"))
    expectApiError(res, 400, "BAD_USAGE")
  })

  it("headers over the limit are 413 PAYLOAD_TOO_LARGE", async () => {
    const raw = await rawExchange(svc.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`)
    expectApiError(answers(raw)[0], 413, "PAYLOAD_TOO_LARGE")
  })
})

/** A memory store whose commits wait until released. */
class GatedStore extends MemoryStore {
  private gates: Array<() => void> = []
  override async insertBatches(batches: readonly (readonly StoredRecord[])[]): Promise<InsertResult[]> {
    await new Promise<void>((resolve) => this.gates.push(resolve))
    return super.insertBatches(batches)
  }
  async waitForCommit(): Promise<void> {
    while (this.gates.length === 0) await new Promise((r) => setTimeout(r, 2))
  }
  release(): void {
    for (const open of this.gates.splice(0)) open()
  }
}

describe("a request that arrives while the service closes", () => {
  it("is answered 503 UNREACHABLE in the API's error shape", async () => {
    const store = new GatedStore()
    const svc = await startTestService({ store })
    // One ingest holds the close open; another connection has sent half of its request when close begins.
    const posting = svc.post([wireRecord()])
    await store.waitForCommit()
    let finish: (more: string) => void = () => {}
    let started: () => void = () => {}
    const ready = new Promise<void>((resolve) => {
      started = resolve
    })
    const late = rawExchange(svc.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n", (write) => {
      finish = write
      started()
    })
    await ready
    // Real time on purpose: the half-sent request must reach the server before the close begins, and the close
    // must have begun before the request ends; neither event is observable from outside the HTTP server.
    await new Promise((r) => setTimeout(r, 20))
    const closing = svc.stop()
    await new Promise((r) => setTimeout(r, 20))
    finish("\r\n")
    const [answer] = answers(await late)
    store.release()
    expect((await posting).status).to.equal(200)
    await closing
    expectApiError(answer, 503, "UNREACHABLE")
  })
})

const SECRET_DETAIL = "SQLITE_CORRUPT: database disk image is malformed (/srv/secret/usage.db)"

/** A store that fails every read and write with driver text and a database path in the message. */
class BrokenStore extends MemoryStore {
  override async aggregate(): Promise<AggregateRow[]> {
    throw new UsageHubError("STORE_ERROR", `aggregate failed: ${SECRET_DETAIL}`)
  }
  override async insertBatches(): Promise<InsertResult[]> {
    throw new TypeError(`cannot read properties of undefined: ${SECRET_DETAIL}`)
  }
  override async stats(): Promise<StoreStats> {
    throw new UsageHubError("STORE_ERROR", `stats failed: ${SECRET_DETAIL}`)
  }
}

describe("5xx answers keep store and internal detail in the service log", () => {
  let svc: TestService
  const logLines: string[] = []

  before(async () => {
    svc = await startTestService({
      store: new BrokenStore(),
      logLevel: "error",
      logStream: { write: (line: string) => logLines.push(line) },
    })
  })
  after(async () => {
    await svc.stop()
  })

  it("answers STORE_ERROR with a generic message and logs the driver's text", async () => {
    const res = await svc.get("/api/usage/summary")
    expectApiError(res, 500, "STORE_ERROR")
    expect(res.text).not.to.include("/srv/secret")
    expect(res.text).not.to.include("SQLITE")
    expect(res.json.error.message).to.match(/service log/)
    expect(logLines.join("\n")).to.include("aggregate failed").and.include("/srv/secret/usage.db")
  })

  it("answers INTERNAL with a generic message for an unexpected failure, logging it", async () => {
    const res = await svc.post([wireRecord()])
    expectApiError(res, 500, "INTERNAL")
    expect(JSON.stringify(res.json)).not.to.include("/srv/secret")
    expect(res.json.error.message).to.match(/service log/)
    expect(logLines.join("\n")).to.include("cannot read properties of undefined")
  })

  it("reports a failing store on /healthz without its detail (the endpoint is public)", async () => {
    const res = await svc.get("/healthz")
    expect(res.status).to.equal(503)
    expect(res.json.store.status).to.equal("error")
    expect(res.text).not.to.include("/srv/secret")
    expect(logLines.join("\n")).to.include("stats failed")
  })

  it("keeps the message of a client's own 4xx error", async () => {
    const res = await svc.get("/api/usage/summary?since=yesterday")
    expectApiError(res, 400, "INVALID_QUERY")
    expect(res.json.error.message).to.include('"yesterday"')
  })
})
