/** A loopback webhook receiver for the budget tests: records each POST (headers, raw body), can go down and up. */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http"
import type { AddressInfo } from "node:net"

export interface Received {
  headers: IncomingHttpHeaders
  body: string
  json: Record<string, unknown>
}

export class WebhookReceiver {
  readonly received: Received[] = []
  private server: Server | undefined
  port = 0

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`
  }

  /** Listens (again, on the same port once it had one). */
  async up(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8")
        this.received.push({ headers: req.headers, body, json: JSON.parse(body) })
        res.writeHead(204).end()
      })
    })
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve))
    this.port = (server.address() as AddressInfo).port
    this.server = server
  }

  /** Stops listening: connections are refused until `up()`. */
  async down(): Promise<void> {
    const server = this.server
    this.server = undefined
    if (!server) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  /** Waits (bounded) until `n` alerts arrived. */
  async waitFor(n: number, timeoutMs = 10_000): Promise<Received[]> {
    const until = Date.now() + timeoutMs
    while (this.received.length < n) {
      if (Date.now() > until) throw new Error(`expected ${n} alerts, got ${this.received.length} in ${timeoutMs} ms`)
      await new Promise((r) => setTimeout(r, 20))
    }
    return this.received
  }
}
