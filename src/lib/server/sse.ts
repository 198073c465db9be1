/**
 * Server-Sent Events for `GET /api/usage/stream`: each client gets a `summary` event at once and after
 * committed ingest batches, and a heartbeat comment every `heartbeatMs` so proxies keep the connection open.
 * Summaries are computed once per distinct query (not once per client), one computation at a time, and only
 * for the queries a commit can have changed (a stream of provider X skips a commit of provider Y). Each query
 * is updated at least `minIntervalMs` after its last computation, a first summary for new clients included
 * (commits meanwhile are folded into the next update), and the updates take at most `maxShare` of the service's
 * time: with many distinct queries under heavy ingest the updates come less often, ingestion does not slow
 * down. A token (or, without one, an address) holds at most `maxStreamsPerOwner` streams. Clients are removed
 * when they close.
 */
import type { ServerResponse } from "node:http"
import { setImmediate as nextTurn } from "node:timers/promises"
import type { SummaryQuery } from "../query/summary.js"
import type { UsageSummaryResult } from "../summary-types.js"
import { type Timers, unrefTimers } from "../timers.js"
import type { CommitTouched } from "./group-commit.js"

const MAX_BUFFERED = 1024 * 1024

export const DEFAULT_SSE_MIN_INTERVAL_MS = 1000
export const DEFAULT_SSE_MAX_SHARE = 0.05
export const DEFAULT_MAX_STREAMS_PER_OWNER = 1000

export interface SseClient<Q> {
  key: string
  query: Q
  owner: string
  response: ServerResponse
}

/** The clock and timers of the hub (injected by tests so they do not sleep). */
export interface SseTimers extends Timers {
  now(): number
}

const realTimers: SseTimers = { now: () => performance.now(), ...unrefTimers }

export interface SseHubOptions<Q, C> {
  /** Computes the summary a client's query asks for. */
  summarize: (query: Q) => Promise<UsageSummaryResult>
  /** Whether a change can alter a query's summary (default: every change alters every query). */
  affects?: (query: Q, change: C) => boolean
  heartbeatMs?: number
  /** Least time between two updates of one query (default 1000 ms; 0: none). */
  minIntervalMs?: number
  /**
   * Most of the time the updates may take (default 0.05): after a computation that took d ms, the next waits
   * d × (1 / maxShare − 1) ms. 1: no pause.
   */
  maxShare?: number
  /** Streams one owner (a token, or an address) may hold at once (default 1000). */
  maxStreamsPerOwner?: number
  timers?: SseTimers
  onClientsChanged?: (count: number) => void
  onError?: (error: unknown) => void
}

/** The clients that ask one question, and the state of its updates. */
interface Group<Q> {
  key: string
  query: Q
  clients: Set<SseClient<Q>>
  /** When its last computation started (timers.now()). */
  lastRunAt: number
  /** A change since its last computation started. */
  dirty: boolean
  /** The trailing update's timer, while one is due. */
  timer?: unknown
  /** Changes seen (notify calls that affect it). */
  version: number
  /** The last summary computed (an event's data) and the version it answers. */
  lastData?: { data: string; version: number }
  /** A first summary being computed for new clients (shared by the clients that arrive meanwhile). */
  initial?: Promise<string>
}

export class SseHub<Q, C = unknown> {
  private readonly groups = new Map<string, Group<Q>>()
  private readonly owners = new Map<string, number>()
  private readonly queue = new Set<Group<Q>>()
  private readonly heartbeat: NodeJS.Timeout
  private readonly timers: SseTimers
  private readonly minIntervalMs: number
  private readonly pauseFactor: number
  private readonly maxPerOwner: number
  private running: Promise<void> | undefined
  private clientCount = 0
  private eventId = 0
  private closed = false

  constructor(private readonly options: SseHubOptions<Q, C>) {
    this.timers = options.timers ?? realTimers
    this.minIntervalMs = options.minIntervalMs ?? DEFAULT_SSE_MIN_INTERVAL_MS
    const share = Math.min(1, Math.max(0.01, options.maxShare ?? DEFAULT_SSE_MAX_SHARE))
    this.pauseFactor = 1 / share - 1
    this.maxPerOwner = options.maxStreamsPerOwner ?? DEFAULT_MAX_STREAMS_PER_OWNER
    this.heartbeat = setInterval(() => this.writeAll(": heartbeat\n\n"), options.heartbeatMs ?? 15_000)
    this.heartbeat.unref()
  }

  get size(): number {
    return this.clientCount
  }

  /** Whether `owner` may open one more stream. */
  hasRoom(owner: string): boolean {
    return (this.owners.get(owner) ?? 0) < this.maxPerOwner
  }

  /**
   * Takes over a response: sends the headers and the first summary, then keeps it until it closes. A HEAD
   * request gets the headers only and its answer ends there (it has no body to stream).
   */
  async add(response: ServerResponse, key: string, query: Q, owner = ""): Promise<void> {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      "x-content-type-options": "nosniff",
    })
    if (response.req?.method === "HEAD") {
      response.end()
      return
    }
    response.write("retry: 3000\n\n")
    let group = this.groups.get(key)
    if (!group) {
      group = { key, query, clients: new Set(), lastRunAt: Number.NEGATIVE_INFINITY, dirty: false, version: 0 }
      this.groups.set(key, group)
    }
    const client: SseClient<Q> = { key, query, owner, response }
    group.clients.add(client)
    this.owners.set(owner, (this.owners.get(owner) ?? 0) + 1)
    this.clientCount += 1
    this.options.onClientsChanged?.(this.clientCount)
    response.on("close", () => this.remove(client))
    // A new client of a question answered since its last change gets that answer, and clients arriving while
    // it is computed share the computation: many dashboards opening at once cost one.
    if (group.lastData?.version === group.version) {
      this.writeEvent(group.lastData.data, [client])
      return
    }
    try {
      this.writeEvent(await this.firstSummary(group), [client])
    } catch (error) {
      this.options.onError?.(error)
    }
  }

  private firstSummary(group: Group<Q>): Promise<string> {
    if (group.initial) return group.initial
    const version = group.version
    // A first summary is a computation of the question like an update: the next update waits for the interval
    // (many dashboards opening at once are not all recomputed at the next commit).
    group.lastRunAt = this.timers.now()
    const initial = this.options.summarize(group.query).then((summary) => {
      const data = JSON.stringify(summary)
      if (group.version === version) group.lastData = { data, version }
      return data
    })
    const shared: Promise<string> = initial.finally(() => {
      if (group.initial === shared) group.initial = undefined
    })
    group.initial = shared
    return shared
  }

  /**
   * Something was committed: update the queries it can have changed (all of them without `change`), each at
   * most once per `minIntervalMs`.
   */
  notify(change?: C): void {
    if (this.closed) return
    const affects = this.options.affects
    for (const group of this.groups.values()) {
      // Already waiting for its update: no need to ask whether this change matters (counted as one, so that an
      // answer computed meanwhile for a new client is not kept as current). A group being computed is not dirty,
      // so a commit meanwhile still marks it.
      if (group.dirty) {
        group.version += 1
        continue
      }
      if (change !== undefined && affects && !affects(group.query, change)) continue
      group.dirty = true
      group.version += 1
      this.schedule(group)
    }
  }

  /** Resolves when no update is running or queued (for tests and shutdown; updates still waiting on their interval are not waited for). */
  async settled(): Promise<void> {
    while (this.running) await this.running
  }

  /** Ends every stream (on shutdown, so the server can close). */
  close(): void {
    this.closed = true
    clearInterval(this.heartbeat)
    for (const group of this.groups.values()) {
      if (group.timer !== undefined) this.timers.clearTimeout(group.timer)
      for (const client of group.clients) client.response.end()
    }
    this.groups.clear()
    this.queue.clear()
    this.owners.clear()
    this.clientCount = 0
    this.options.onClientsChanged?.(0)
  }

  private remove(client: SseClient<Q>): void {
    const group = this.groups.get(client.key)
    if (!group?.clients.delete(client)) return
    this.clientCount -= 1
    const n = (this.owners.get(client.owner) ?? 1) - 1
    if (n > 0) this.owners.set(client.owner, n)
    else this.owners.delete(client.owner)
    if (group.clients.size === 0) {
      if (group.timer !== undefined) this.timers.clearTimeout(group.timer)
      this.groups.delete(group.key)
      this.queue.delete(group)
    }
    this.options.onClientsChanged?.(this.clientCount)
  }

  /** Queues a dirty group now, or sets its timer for when its interval is over. */
  private schedule(group: Group<Q>): void {
    if (group.timer !== undefined || this.queue.has(group)) return
    const wait = group.lastRunAt + this.minIntervalMs - this.timers.now()
    if (wait > 0) {
      group.timer = this.timers.setTimeout(() => {
        group.timer = undefined
        if (this.groups.get(group.key) === group) this.enqueue(group)
      }, wait)
      return
    }
    this.enqueue(group)
  }

  private enqueue(group: Group<Q>): void {
    this.queue.add(group)
    this.running ??= this.drain().finally(() => {
      this.running = undefined
    })
  }

  /** Computes the queued groups one at a time, letting the event loop (ingestion) run between them. */
  private async drain(): Promise<void> {
    for (;;) {
      const group = this.queue.values().next().value as Group<Q> | undefined
      if (!group) return
      this.queue.delete(group)
      if (!group.dirty || group.clients.size === 0) continue
      group.dirty = false
      const version = group.version
      const started = this.timers.now()
      group.lastRunAt = started
      try {
        const summary = await this.options.summarize(group.query)
        const data = JSON.stringify(summary)
        this.writeEvent(data, group.clients)
        if (group.version === version) group.lastData = { data, version }
      } catch (error) {
        this.options.onError?.(error)
      }
      // A commit during the computation: its update waits for the interval.
      if (group.dirty && this.groups.get(group.key) === group) this.schedule(group)
      const pause = (this.timers.now() - started) * this.pauseFactor
      if (pause >= 1) await new Promise<void>((resolve) => this.timers.setTimeout(resolve, pause))
      else await nextTurn()
    }
  }

  /** Sends one named event (the budgets' `budget` alerts) to every open stream. */
  broadcast(event: string, data: string): void {
    this.eventId += 1
    this.writeAll(`id: ${this.eventId}\nevent: ${event}\ndata: ${data}\n\n`)
  }

  private writeEvent(data: string, clients: Iterable<SseClient<Q>>): void {
    this.eventId += 1
    this.writeAll(`id: ${this.eventId}\nevent: summary\ndata: ${data}\n\n`, clients)
  }

  private writeAll(text: string, clients?: Iterable<SseClient<Q>>): void {
    if (!clients) {
      for (const group of this.groups.values()) this.writeAll(text, group.clients)
      return
    }
    for (const client of clients) {
      const { response } = client
      if (response.destroyed || response.writableEnded) continue
      // A client that stopped reading is dropped rather than buffered without bound.
      if (response.writableLength > MAX_BUFFERED) response.destroy()
      else response.write(text)
    }
  }
}

/**
 * Whether a commit can have changed a stream's summary: not when the stream is filtered to a provider or a
 * node the commit did not touch, or to a time range that none of its records falls in.
 */
export function summaryAffectedBy(query: SummaryQuery, touched: CommitTouched): boolean {
  if (touched.from > touched.to) return false
  if (query.provider !== undefined && !touched.providers.has(query.provider)) return false
  if (query.node !== undefined && !touched.nodes.has(query.node)) return false
  if (query.since !== undefined && touched.to < query.since.getTime()) return false
  if (query.until !== undefined && touched.from >= query.until.getTime()) return false
  return true
}
