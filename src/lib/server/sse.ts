/**
 * Server-Sent Events for `GET /api/usage/stream`: each client gets a `summary` event at once and after every
 * committed ingest batch, and a heartbeat comment every `heartbeatMs` so proxies keep the connection open.
 * Summaries are computed once per distinct query (not once per client), and at most one computation runs at
 * a time: commits arriving meanwhile are folded into the next update. Clients are removed when they close.
 */
import type { ServerResponse } from "node:http"
import type { UsageSummaryResult } from "../summary-types.js"

const MAX_BUFFERED = 1024 * 1024

export interface SseClient<Q> {
  key: string
  query: Q
  response: ServerResponse
}

export interface SseHubOptions<Q> {
  /** Computes the summary a client's query asks for. */
  summarize: (query: Q) => Promise<UsageSummaryResult>
  heartbeatMs?: number
  onClientsChanged?: (count: number) => void
  onError?: (error: unknown) => void
}

export class SseHub<Q> {
  private readonly clients = new Set<SseClient<Q>>()
  private readonly heartbeat: NodeJS.Timeout
  private updating: Promise<void> | undefined
  private dirty = false
  private eventId = 0

  constructor(private readonly options: SseHubOptions<Q>) {
    this.heartbeat = setInterval(() => this.writeAll(": heartbeat\n\n"), options.heartbeatMs ?? 15_000)
    this.heartbeat.unref()
  }

  get size(): number {
    return this.clients.size
  }

  /**
   * Takes over a response: sends the headers and the first summary, then keeps it until it closes. A HEAD
   * request gets the headers only and its answer ends there (it has no body to stream).
   */
  async add(response: ServerResponse, key: string, query: Q): Promise<void> {
    const client = { key, query, response }
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    })
    if (response.req?.method === "HEAD") {
      response.end()
      return
    }
    response.write("retry: 3000\n\n")
    this.clients.add(client)
    this.options.onClientsChanged?.(this.clients.size)
    response.on("close", () => {
      this.clients.delete(client)
      this.options.onClientsChanged?.(this.clients.size)
    })
    try {
      this.send([client], await this.options.summarize(query))
    } catch (error) {
      this.options.onError?.(error)
    }
  }

  /** Something was committed: push fresh summaries to everyone (coalescing bursts). */
  notify(): void {
    if (this.clients.size === 0) return
    if (this.updating) {
      this.dirty = true
      return
    }
    this.updating = this.update().finally(() => {
      this.updating = undefined
      if (this.dirty) {
        this.dirty = false
        this.notify()
      }
    })
  }

  /** Resolves when no update is running (for tests and shutdown). */
  async settled(): Promise<void> {
    while (this.updating) await this.updating
  }

  /** Ends every stream (on shutdown, so the server can close). */
  close(): void {
    clearInterval(this.heartbeat)
    for (const client of this.clients) client.response.end()
    this.clients.clear()
    this.options.onClientsChanged?.(0)
  }

  private async update(): Promise<void> {
    const groups = new Map<string, SseClient<Q>[]>()
    for (const client of this.clients) {
      const list = groups.get(client.key)
      if (list) list.push(client)
      else groups.set(client.key, [client])
    }
    for (const clients of groups.values()) {
      try {
        this.send(clients, await this.options.summarize(clients[0].query))
      } catch (error) {
        this.options.onError?.(error)
      }
    }
  }

  private send(clients: SseClient<Q>[], summary: UsageSummaryResult): void {
    this.eventId += 1
    const data = JSON.stringify(summary)
    this.writeAll(`id: ${this.eventId}\nevent: summary\ndata: ${data}\n\n`, clients)
  }

  private writeAll(text: string, clients: Iterable<SseClient<Q>> = this.clients): void {
    for (const client of clients) {
      const { response } = client
      if (response.destroyed || response.writableEnded) continue
      // A client that stopped reading is dropped rather than buffered without bound.
      if (response.writableLength > MAX_BUFFERED) response.destroy()
      else response.write(text)
    }
  }
}
