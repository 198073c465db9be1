import { connect, type Socket } from "node:net"
import { expect } from "chai"
import {
  connectionLimitsFromFlags,
  defaultMaxConnections,
  openFileLimit,
  resolveConnectionLimits,
} from "../../../src/lib/server/connection-limits.js"
import { startTestService, type TestService } from "./helpers.js"

const INGEST_TOKEN = "ingest-token-0123456789"

interface RawClient {
  socket: Socket
  /** Everything the server sent so far. */
  received(): string
  /** Resolves with the milliseconds from connecting to the server closing the connection. */
  closed: Promise<number>
}

/** A raw TCP client of the service: connects, writes `head`, records what comes back and when it closes. */
function rawClient(url: string, head: string): Promise<RawClient> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const started = Date.now()
    let text = ""
    const socket = connect({ host: hostname, port: Number(port) })
    const closed = new Promise<number>((done) => socket.on("close", () => done(Date.now() - started)))
    socket.on("data", (d) => (text += d.toString("latin1")))
    // Writes after the server closed fail with EPIPE/ECONNRESET: that is the server cutting us, as expected.
    socket.on("error", () => {})
    socket.once("connect", () => {
      socket.write(head)
      resolve({ socket, received: () => text, closed })
    })
    socket.once("error", reject)
  })
}

/** Writes a byte every `everyMs` until the socket closes (a client dribbling the body it promised). */
function dribble(client: RawClient, everyMs: number): void {
  const timer = setInterval(() => {
    if (client.socket.destroyed) clearInterval(timer)
    else client.socket.write(" ")
  }, everyMs)
  void client.closed.then(() => clearInterval(timer))
}

/** The close time, or undefined when the connection is still open after `withinMs`. */
async function closedWithin(client: RawClient, withinMs: number): Promise<number | undefined> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), withinMs)
  })
  try {
    return await Promise.race([client.closed, late])
  } finally {
    clearTimeout(timer)
  }
}

const slowPost = (headers = "") =>
  `POST /ingest/usage HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n${headers}\r\n[`

describe("connection limits (slow and idle clients)", function () {
  this.timeout(20_000)
  let svc: TestService | undefined
  const clients: RawClient[] = []

  afterEach(async () => {
    for (const c of clients.splice(0)) c.socket.destroy()
    await svc?.stop()
    svc = undefined
  })

  async function client(head: string): Promise<RawClient> {
    const c = await rawClient(svc!.url, head)
    clients.push(c)
    return c
  }

  it("cuts a client that dribbles its body within the request timeout", async () => {
    svc = await startTestService({ connections: { requestTimeoutMs: 500, headersTimeoutMs: 500 } })
    const c = await client(slowPost())
    dribble(c, 100)
    const ms = await closedWithin(c, 4000)
    expect(ms, "closed within 4 s").to.be.a("number")
    expect(ms).to.be.within(400, 2000)
    expect(c.received()).to.match(/^HTTP\/1\.1 408 Request Timeout\r\n/)
    expect(c.received()).to.match(/"code":"REQUEST_TIMEOUT".*not received in time/)
  })

  it("cuts a client that never finishes its headers within the headers timeout", async () => {
    svc = await startTestService({ connections: { headersTimeoutMs: 500, requestTimeoutMs: 5000 } })
    const c = await client("GET /healthz HTTP/1.1\r\nHost: local")
    dribble(c, 100)
    const ms = await closedWithin(c, 4000)
    expect(ms, "closed within 4 s").to.be.a("number")
    expect(ms).to.be.below(2000)
  })

  it("answers 401 to a post without a token and closes the connection without waiting for the body", async () => {
    // Default timeouts (30 s and more): only the early close can end this connection within the test.
    svc = await startTestService({ ingestToken: INGEST_TOKEN })
    const c = await client(slowPost())
    dribble(c, 100)
    const ms = await closedWithin(c, 3000)
    expect(c.received()).to.match(/^HTTP\/1\.1 401 /)
    expect(c.received()).to.match(/\r\nconnection: close\r\n/i)
    expect(ms, "closed within 3 s").to.be.a("number")
  })

  it("keeps the connection of a request that got its whole body (keep-alive)", async () => {
    svc = await startTestService({ ingestToken: INGEST_TOKEN })
    const body = "[]"
    const c = await client(
      `POST /ingest/usage HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${INGEST_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    )
    for (let i = 0; i < 100 && !c.received().includes("\r\n\r\n"); i++) await new Promise((r) => setTimeout(r, 10))
    expect(c.received()).to.match(/^HTTP\/1\.1 400 /)
    expect(c.received()).to.match(/\r\nconnection: keep-alive\r\n/i)
  })

  it("closes an idle keep-alive connection after the keep-alive timeout", async () => {
    svc = await startTestService({ connections: { keepAliveTimeoutMs: 300 } })
    const c = await client("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    const ms = await closedWithin(c, 4000)
    expect(c.received()).to.match(/^HTTP\/1\.1 200 /)
    expect(ms, "closed within 4 s").to.be.a("number")
    expect(ms).to.be.below(2000)
  })

  it("closes connections over the cap as they arrive", async () => {
    svc = await startTestService({ connections: { maxConnections: 3 } })
    const held = await Promise.all([1, 2, 3].map(() => client("GET /healthz HTTP/1.1\r\nHost: localhost\r\n")))
    // The server has accepted them before the fourth arrives.
    const accepted = () =>
      new Promise<number>((resolve, reject) =>
        svc!.app.server.getConnections((error, n) => (error ? reject(error) : resolve(n))),
      )
    for (let i = 0; i < 400 && (await accepted()) < 3; i++) await new Promise((r) => setTimeout(r, 5))
    expect(await accepted()).to.equal(3)
    const over = await client("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
    expect(await closedWithin(over, 2000), "the fourth is closed").to.be.a("number")
    expect(over.received()).to.equal("")
    for (const c of held) expect(c.socket.destroyed).to.equal(false)
  })

  it("answers /healthz while 200 slow clients are connected, and cuts them all within the request timeout", async () => {
    svc = await startTestService({ connections: { requestTimeoutMs: 1500, headersTimeoutMs: 1500 } })
    const slow = await Promise.all(Array.from({ length: 200 }, () => client(slowPost())))
    for (const c of slow) dribble(c, 250)
    // Real time on purpose: the clients have been dribbling for a while (mid-request) when /healthz is asked.
    await new Promise((r) => setTimeout(r, 200))
    const t0 = Date.now()
    const health = await svc.get("/healthz")
    expect(health.status).to.equal(200)
    expect(Date.now() - t0, "/healthz answered within 1 s").to.be.below(1000)
    const times = await Promise.all(slow.map((c) => closedWithin(c, 6000)))
    expect(times.filter((t) => t === undefined).length, "slow clients still connected after 6 s").to.equal(0)
    expect(Math.max(...(times as number[]))).to.be.below(4000)
  })

  describe("defaults", () => {
    it("reads the open-file limit from /proc/self/limits text", () => {
      const text =
        "Limit                     Soft Limit           Hard Limit           Units     \nMax open files            1024                 524288               files     \n"
      expect(openFileLimit(text)).to.equal(1024)
      expect(openFileLimit("Max open files            unlimited            unlimited            files")).to.equal(
        undefined,
      )
    })

    it("caps connections at 10,000, or 512 below the open-file limit when that is lower", () => {
      expect(defaultMaxConnections(undefined)).to.equal(10_000)
      expect(defaultMaxConnections(1_048_576)).to.equal(10_000)
      expect(defaultMaxConnections(1024)).to.equal(512)
      expect(defaultMaxConnections(256)).to.equal(64)
    })

    it("has timeouts that cut slow clients and keep the loopback benchmarks' few hundred connections", () => {
      const limits = resolveConnectionLimits({ maxConnections: undefined })
      expect(limits.headersTimeoutMs).to.equal(10_000)
      expect(limits.requestTimeoutMs).to.equal(30_000)
      expect(limits.idleTimeoutMs).to.equal(120_000)
      expect(limits.keepAliveTimeoutMs).to.equal(72_000)
      expect(limits.maxConnections).to.be.at.least(1000)
    })

    it("takes the serve flags in seconds", () => {
      expect(
        connectionLimitsFromFlags({
          "headers-timeout": 5,
          "request-timeout": 0,
          "idle-timeout": 120,
          "keep-alive-timeout": 2,
          "max-connections": 300,
        }),
      ).to.deep.equal({
        headersTimeoutMs: 5000,
        requestTimeoutMs: 0,
        idleTimeoutMs: 120_000,
        keepAliveTimeoutMs: 2000,
        maxConnections: 300,
      })
    })

    it("sets them on the listening server", async () => {
      svc = await startTestService({
        connections: { headersTimeoutMs: 4000, requestTimeoutMs: 8000, keepAliveTimeoutMs: 3000, maxConnections: 77 },
      })
      const server = svc.app.server
      expect([
        server.headersTimeout,
        server.requestTimeout,
        server.keepAliveTimeout,
        server.maxConnections,
      ]).to.deep.equal([4000, 8000, 3000, 77])
      expect(server.timeout).to.equal(120_000)
    })

    it("bounds the headers timeout by the request timeout and refuses negative values", () => {
      expect(resolveConnectionLimits({ requestTimeoutMs: 2000 }).headersTimeoutMs).to.equal(2000)
      expect(() => resolveConnectionLimits({ idleTimeoutMs: -1 })).to.throw(/idleTimeoutMs/)
    })
  })
})
