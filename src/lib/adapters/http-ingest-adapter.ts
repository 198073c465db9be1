/**
 * HttpIngestAdapter: the StorageAdapter that sends a node's records to the central service (`usage serve`).
 * Every record is appended to a local spool before `saveRecord` resolves and leaves it only once the service
 * acknowledged it (see spool.ts); a single delivery loop sends batches (batchSize, flushIntervalMs), gzip,
 * through the global fetch (ingest-client.ts), retrying network errors, timeouts, 408, 429 and 5xx with
 * exponential backoff and jitter (Retry-After honoured), splitting a batch on 413, holding records on 401/403,
 * and setting records refused for good aside in a dead-letter file. Queries go to the service and fall back to
 * local data (what this adapter knows) when it is unreachable. Plugin-safe: no undici, no store driver.
 */
import { hostname } from "node:os"
import { type FetchLike, type SummaryParams, UsageApiClient } from "../client/api-client.js"
import { type IngestOutcome, postIngest } from "../client/ingest-client.js"
import { type Clock, systemClock } from "../clock.js"
import type { HttpConfig } from "../config.js"
import { Backoff } from "../delivery/backoff.js"
import { type Batch, type BatchSource, DeliveryLoop, type Entry, type HoldDecision } from "../delivery/delivery-loop.js"
import { appendDeadLetters, deadLetterPath, defaultSpoolDir } from "../delivery/spool-dir.js"
import { UsageHubError } from "../errors.js"
import { expandHome } from "../paths.js"
import type { ResetSchedules } from "../periods.js"
import { centralElseLocal, type Sourced } from "../query/fallback.js"
import { type StoreReader, storeReader, summaryQuery } from "../query/store-reader.js"
import { nodeSchema, parseRecord, type UsageRecord } from "../record.js"
import { MemoryStore } from "../store/memory/store.js"
import type { ProviderUsageSummary, TrendData, UsageSummaryResult } from "../summary-types.js"
import { Spool, type SpoolFullError, type SpoolLogger } from "./spool.js"
import type { FlushOptions, QueryFallback, StorageAdapter } from "./storage-adapter.js"

export type AdapterLogger = SpoolLogger

export interface HttpIngestAdapterOptions {
  /** URL of `usage serve`, e.g. http://master-node:3001. */
  endpoint: string
  /** Ingest token (Bearer). */
  token?: string
  /** Read token for queries (default: `token`). */
  readToken?: string
  /** Stamped on records that carry no node (default: the hostname). */
  nodeId?: string
  /** Retries within one attempt cycle before the batch waits for the next cycle (default 3). */
  retryAttempts?: number
  /** Pending records also held in memory; the rest are read back from the spool (default 1000). */
  localBufferSize?: number
  /** Records per request (default 500). */
  batchSize?: number
  /** A partial batch is sent this long after its first record (default 1000 ms). */
  flushIntervalMs?: number
  /** Per request (default 10000 ms). */
  timeoutMs?: number
  /** Default `$XDG_STATE_HOME/usage-hub` (`~/.local/state/usage-hub`). */
  spoolDir?: string
  /** Where messages go (default: console, prefixed "usage-hub:"). */
  logger?: AdapterLogger
  /** The fetch used (tests); default the global one. */
  fetch?: FetchLike
  /** fdatasync spool appends (default true). */
  fsync?: boolean
  /** Cap on undelivered bytes in the spool (default 512 MiB); records beyond it are dropped, logged and counted. */
  maxSpoolBytes?: number
  /** Lock staleness of spool files, ms (default 10000). */
  staleMs?: number
  /** How often to look for spools of dead processes, ms (default 30000). */
  takeoverIntervalMs?: number
  /** How long close() lets a request in flight finish before abandoning it to the spool (default min(timeoutMs, 2000)). */
  closeGraceMs?: number
  /**
   * Also answer local queries with every record saved in this process, delivered or not (default false: local
   * answers cover what is not delivered yet, read back from the spool, so memory does not grow with records).
   */
  keepLocalRecords?: boolean
  /** First retry delay (default 250 ms); doubles per retry, with jitter, up to `maxRetryDelayMs` (default 30 s). */
  retryBaseMs?: number
  maxRetryDelayMs?: number
  /** Clock, zone and reset schedules of local answers (and the zone sent with central queries). */
  clock?: Clock
  tz?: string
  resetSchedules?: ResetSchedules
}

export interface HttpIngestStats {
  /** Records accepted into the spool by saveRecord. */
  spooled: number
  /** Records taken over from spools of dead processes. */
  takenOver: number
  /** Record transmissions (a resent record counts again). */
  sent: number
  /** Records the service acknowledged (stored now or before). */
  acknowledged: number
  /** Of those, stored by this delivery. */
  accepted: number
  /** Of those, already stored (a redelivery). */
  duplicates: number
  /** Records refused for good, written to the dead-letter file. */
  deadLettered: number
  /** Records refused because the spool was full (each logged). */
  dropped: number
  /** Failed delivery attempts. */
  failedAttempts: number
  /** Records on disk not yet acknowledged. */
  pending: number
  /** Bytes of the spool not yet acknowledged. */
  pendingBytes: number
  /** Pending records also held in memory (at most localBufferSize, plus one batch being delivered). */
  buffered: number
  /** The last delivery failure, if the last attempt failed. */
  lastError?: string
  /** True while the service refuses the token (401/403). */
  authFailing: boolean
  /**
   * True while delivery is held: the token is refused, the service answers a client error no retry fixes, or
   * no request can be built from the configuration. Records stay spooled; delivery is retried with backoff.
   */
  held: boolean
  /** Where the spool and the dead-letter file are. */
  spoolDir: string
}

export { type QuerySource, type Sourced, shouldFallBack } from "../query/fallback.js"

interface SpoolBatch extends Batch {
  /** Lines of the batch (for counting); `end` is the logical spool offset to acknowledge. */
  count: number
  end: number
}

const DEFAULT_MAX_SPOOL = 512 * 1024 * 1024
const AUTH_LOG_EVERY_MS = 5 * 60_000
const LOCAL_KEEP_MS = 62 * 24 * 3600_000

/** A node id the service accepts: the record's node rule (1..128 characters, not blank). */
const nodeIdSchema = nodeSchema

export { defaultSpoolDir } from "../delivery/spool-dir.js"

const consoleLogger: AdapterLogger = {
  info: () => {},
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
}

function unref(timer: ReturnType<typeof setTimeout>): void {
  ;(timer as { unref?: () => void }).unref?.()
}

/** Options from the config's `usage.http` object. */
export function httpAdapterOptions(http: HttpConfig): HttpIngestAdapterOptions {
  if (!http.endpoint) throw new UsageHubError("INVALID_CONFIG", "usage.http.endpoint is required for the http backend")
  return {
    endpoint: http.endpoint,
    token: http.token,
    readToken: http.readToken,
    nodeId: http.nodeId,
    retryAttempts: http.retryAttempts,
    localBufferSize: http.localBufferSize,
    batchSize: http.batchSize,
    flushIntervalMs: http.flushIntervalMs,
    timeoutMs: http.timeoutMs,
    spoolDir: http.spoolDir,
  }
}

export class HttpIngestAdapter implements StorageAdapter {
  readonly endpoint: string
  readonly nodeId: string
  readonly spoolDir: string
  private readonly token?: string
  private readonly retryAttempts: number
  private readonly localBufferSize: number
  private readonly batchSize: number
  private readonly flushIntervalMs: number
  private readonly timeoutMs: number
  private readonly closeGraceMs: number
  private readonly logger: AdapterLogger
  private readonly fetchImpl?: FetchLike
  private readonly keepLocal: boolean
  private readonly clock: Clock
  private readonly tz?: string
  private readonly schedules?: ResetSchedules
  private readonly api: UsageApiClient
  /** Local answers: the query plans over what this adapter knows (localStore). */
  private readonly local: StoreReader

  private spool?: Spool
  private readonly ready: Promise<void>
  private readonly delivery: DeliveryLoop<SpoolBatch>
  private running?: Promise<void>
  private takeoverTimer?: ReturnType<typeof setInterval>
  /** A look for dead spools when the lock of one whose pid looks dead goes stale (sooner than the interval). */
  private takeoverHintTimer?: ReturnType<typeof setTimeout>

  // The delivery queue: records on disk from `sendOffset` on; the first ones also in memory.
  private queue: Array<{ line: string; end: number }> = []
  private queueHead = 0
  /** Records exist on disk after the in-memory queue's last one (read back from the spool). */
  private overflow = false
  private sendOffset = 0
  /** Written to the spool, not yet taken into a batch. */
  private untaken = 0
  private firstUntakenAt = 0
  private unacked = 0

  private stopping = false
  private closed = false
  private inflight?: AbortController
  private flushWaiters = 0
  private drainedWaiters: Array<() => void> = []
  private lastAuthLog = 0
  private lastHeldFlushLog = 0
  private dropRun = 0
  private lastCentralFailure = 0

  /** Records saved in this process or taken over (local answers when the service is unreachable). */
  private kept: UsageRecord[] = []

  private readonly counters = {
    spooled: 0,
    takenOver: 0,
    sent: 0,
    acknowledged: 0,
    accepted: 0,
    duplicates: 0,
    deadLettered: 0,
    dropped: 0,
    failedAttempts: 0,
  }
  private lastError?: string
  private authFailing = false

  constructor(options: HttpIngestAdapterOptions) {
    if (!options?.endpoint || !/^https?:\/\//i.test(options.endpoint)) {
      throw new UsageHubError(
        "INVALID_CONFIG",
        `HttpIngestAdapter needs an http(s) endpoint, e.g. http://master-node:3001 (got ${JSON.stringify(options?.endpoint)})`,
      )
    }
    this.endpoint = options.endpoint.replace(/\/+$/, "")
    this.token = options.token
    this.nodeId = validNodeId(options.nodeId ?? hostname(), options.nodeId === undefined)
    this.retryAttempts = options.retryAttempts ?? 3
    this.localBufferSize = Math.max(1, options.localBufferSize ?? 1000)
    this.batchSize = Math.max(1, options.batchSize ?? 500)
    this.flushIntervalMs = options.flushIntervalMs ?? 1000
    this.timeoutMs = options.timeoutMs ?? 10_000
    this.closeGraceMs = options.closeGraceMs ?? Math.min(this.timeoutMs, 2000)
    this.spoolDir = expandHome(options.spoolDir ?? defaultSpoolDir())
    this.logger = options.logger ?? consoleLogger
    this.fetchImpl = options.fetch
    this.keepLocal = options.keepLocalRecords ?? false
    this.clock = options.clock ?? systemClock
    this.tz = options.tz
    this.schedules = options.resetSchedules
    this.api = new UsageApiClient({
      endpoint: this.endpoint,
      token: options.readToken ?? options.token,
      timeoutMs: this.timeoutMs,
      fetch: options.fetch,
    })
    this.delivery = new DeliveryLoop<SpoolBatch>({
      send: (lines) => this.send(lines),
      backoff: new Backoff({ baseMs: options.retryBaseMs ?? 250, maxMs: options.maxRetryDelayMs ?? 30_000 }),
      retryAttempts: this.retryAttempts,
      urgent: () => this.flushWaiters > 0,
      hooks: {
        acknowledged: (_part, decision) => {
          this.counters.acknowledged += decision.acknowledged
          this.counters.accepted += decision.accepted
          this.counters.duplicates += decision.duplicates
        },
        deadLetter: (entries, why) =>
          this.deadLetter(
            entries.map((e) => ({ line: e.entry.line, reason: e.reason, status: e.status })),
            why,
          ),
        settled: (heldBefore) => this.settled(heldBefore),
        retrying: (decision) => {
          this.counters.failedAttempts += 1
          this.lastError = decision.reason
          this.lastCentralFailure = Date.now()
        },
        held: (decision) => this.held(decision),
      },
    })
    this.local = storeReader({
      store: () => this.localStore(),
      clock: this.clock,
      tz: this.tz,
      schedules: this.schedules,
    })
    this.ready = this.start(options)
    // Failures surface through saveRecord/flush; never as an unhandled rejection.
    this.ready.catch(() => undefined)
  }

  private async start(options: HttpIngestAdapterOptions): Promise<void> {
    try {
      this.spool = await Spool.open({
        dir: this.spoolDir,
        fsync: options.fsync,
        staleMs: options.staleMs,
        maxBytes: options.maxSpoolBytes ?? DEFAULT_MAX_SPOOL,
        logger: this.logger,
        onWritten: (lines, ends, origin) => this.onWritten(lines, ends, origin),
        onRefused: (error) => this.onRefused(error),
      })
      await this.takeOver()
    } catch (error) {
      this.logger.error(`usage-hub: cannot open the spool in ${this.spoolDir}: ${(error as Error).message}`)
      throw error
    }
    this.running = this.delivery.run(this.batchSource())
    const every = options.takeoverIntervalMs ?? 30_000
    this.takeoverTimer = setInterval(() => void this.takeOver(), every)
    unref(this.takeoverTimer)
  }

  /** Looks for dead spools run one at a time; a look asked for during one runs after it (a lock may just have gone stale). */
  private takeoverChain: Promise<void> = Promise.resolve()

  private takeOver(): Promise<void> {
    const next = this.takeoverChain.then(() => this.lookForDeadSpools())
    this.takeoverChain = next.catch(() => undefined)
    return next
  }

  private async lookForDeadSpools(): Promise<void> {
    if (!this.spool || this.stopping) return
    this.counters.takenOver += await this.spool.takeOverOrphans()
    const at = this.spool.nextOrphanCheckAt
    if (at !== undefined && !this.stopping) {
      if (this.takeoverHintTimer) clearTimeout(this.takeoverHintTimer)
      this.takeoverHintTimer = setTimeout(() => void this.takeOver(), Math.max(0, at - Date.now()))
      unref(this.takeoverHintTimer)
    }
  }

  init(): Promise<void> {
    return this.ready
  }

  /** The running watch of `claimDeadSpools` (one at a time; a later call extends its horizon). */
  private claimWatch?: { until: number; done: Promise<void> }

  /**
   * Takes over the spools of dead processes that can be claimed by `until` (epoch ms): those claimable now at
   * once, and those still locked whose process looks dead (`Spool.lockedSpools`) as soon as their lock goes
   * stale. A lock that is refreshed meanwhile belongs to a live process: it is left alone. Resolves when no
   * such spool is left to wait for (taken over, claimed by another process, alive, or stale only after
   * `until`). `flush()` and `usage push` call it; records taken over count in `stats().takenOver`.
   */
  async claimDeadSpools(until: number): Promise<void> {
    await this.ready
    const running = this.claimWatch
    if (running) {
      running.until = Math.max(running.until, until)
      return running.done
    }
    const watch = { until, done: Promise.resolve() }
    this.claimWatch = watch
    watch.done = this.watchDeadSpools(watch).finally(() => {
      if (this.claimWatch === watch) this.claimWatch = undefined
    })
    return watch.done
  }

  private async watchDeadSpools(watch: { until: number }): Promise<void> {
    /** Lock mtimes first seen, per spool; a lock whose mtime changes has a live holder. */
    const seen = new Map<string, number>()
    const alive = new Set<string>()
    let look = true
    for (;;) {
      if (this.stopping || !this.spool) return
      if (look) await this.takeOver()
      const waiting: number[] = []
      for (const locked of await this.spool.lockedSpools()) {
        const first = seen.get(locked.path)
        if (first === undefined) seen.set(locked.path, locked.lockMtimeMs)
        else if (first !== locked.lockMtimeMs) alive.add(locked.path)
        if (locked.looksDead && !alive.has(locked.path) && locked.staleAt <= watch.until) waiting.push(locked.staleAt)
      }
      if (waiting.length === 0 || this.stopping) return
      // Take over when the first lock goes stale; meanwhile look every 250 ms for a live holder's refresh.
      const due = Math.min(...waiting)
      const ms = Math.min(250, Math.max(0, due - Date.now()))
      await new Promise<void>((resolve) => unref(setTimeout(resolve, ms)))
      look = Date.now() >= due
    }
  }

  // ---------------------------------------------------------------- saving

  /** Resolves once the record is in the spool on disk (appends are grouped every few ms). */
  saveRecord(record: UsageRecord): Promise<void> {
    if (this.closed || this.stopping) {
      return Promise.reject(new UsageHubError("FILE_ERROR", "HttpIngestAdapter is closed"))
    }
    const stamped = record.node === undefined ? { ...record, node: this.nodeId } : record
    const line = JSON.stringify(stamped)
    if (this.keepLocal) {
      if (this.kept.length % 10_000 === 9_999) this.pruneLocal()
      // The caller's own object (a tracker holds it anyway): no copy, so the adapter's heap does not grow with
      // the records; the node is stamped when a local answer is computed.
      this.kept.push(
        record.timestamp instanceof Date ? record : { ...record, timestamp: new Date(record.timestamp as never) },
      )
    }
    if (!this.spool) return this.ready.then(() => this.appendLine(line))
    return this.appendLine(line)
  }

  private appendLine(line: string): Promise<void> {
    return this.spool!.append(line)
  }

  /** A record refused by the full spool: counted, and logged once per run of refusals. */
  private onRefused(error: SpoolFullError): void {
    this.counters.dropped += 1
    if (this.dropRun === 0) {
      this.logger.error(
        `usage-hub: ${error.message} (the service at ${this.endpoint} has not taken records for a while)`,
      )
    }
    this.dropRun += 1
  }

  private onWritten(lines: readonly string[], ends: readonly number[], origin: "append" | "takeover"): void {
    if (origin === "append") this.counters.spooled += lines.length
    if (this.dropRun > 0 && origin === "append") {
      this.logger.warn(`usage-hub: the spool has room again; ${this.dropRun} records were dropped while it was full`)
      this.dropRun = 0
    }
    if (this.untaken === 0) this.firstUntakenAt = Date.now()
    this.untaken += lines.length
    this.unacked += lines.length
    for (let i = 0; i < lines.length; i++) {
      if (!this.overflow && this.queue.length - this.queueHead < this.localBufferSize) {
        this.queue.push({ line: lines[i], end: ends[i] })
      } else this.overflow = true
    }
    this.delivery.wake(false)
  }

  // ---------------------------------------------------------------- delivery (delivery-loop.ts)

  /** The spool as the delivery loop's source of batches. */
  private batchSource(): BatchSource<SpoolBatch> {
    return {
      dueIn: () => {
        if (this.untaken === 0) return Number.POSITIVE_INFINITY
        const age = Date.now() - this.firstUntakenAt
        if (this.untaken < this.batchSize && this.flushWaiters === 0 && age < this.flushIntervalMs) {
          return this.flushIntervalMs - age
        }
        return 0
      },
      take: () => this.takeBatch(),
      done: async (batch) => {
        await this.spool!.acknowledge(batch.end)
        this.unacked = Math.max(0, this.unacked - batch.count)
        this.notifyDrained()
      },
      failed: (error) => {
        this.lastError = error.message
        this.logger.error(`usage-hub: delivery loop: ${error.message}`)
      },
    }
  }

  private async takeBatch(): Promise<SpoolBatch | undefined> {
    const lines: string[] = []
    let end = this.sendOffset
    let count = 0
    while (lines.length < this.batchSize && this.queueHead < this.queue.length) {
      const entry = this.queue[this.queueHead++]
      lines.push(entry.line)
      end = entry.end
      count += 1
    }
    if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead)
      this.queueHead = 0
    }
    if (lines.length < this.batchSize && this.queueHead >= this.queue.length && this.overflow) {
      const more = await this.spool!.read(end, this.batchSize - lines.length)
      const corrupt: string[] = []
      more.lines.forEach((line, i) => {
        end = more.ends[i]
        count += 1
        if (isJsonObject(line)) lines.push(line)
        else corrupt.push(line)
      })
      if (corrupt.length > 0) {
        await this.deadLetter(
          corrupt.map((line) => ({ line, reason: "corrupt spool line (not a JSON record)" })),
          "corrupt spool lines",
        )
      }
      if (end >= this.spool!.size) {
        this.overflow = false
        this.queue = []
        this.queueHead = 0
      }
    }
    if (count === 0) {
      // Nothing readable although records were counted: resynchronise with the spool.
      this.untaken = 0
      return undefined
    }
    this.sendOffset = end
    this.untaken = Math.max(0, this.untaken - count)
    if (this.untaken > 0 && this.queueHead >= this.queue.length && !this.overflow) this.untaken = 0
    const part: Entry[] = lines.map((line, index) => ({ line, index }))
    return { parts: part.length > 0 ? [part] : [], count, end }
  }

  private async send(lines: string[]): Promise<IngestOutcome> {
    const controller = new AbortController()
    this.inflight = controller
    this.counters.sent += lines.length
    try {
      return await postIngest({
        endpoint: this.endpoint,
        token: this.token,
        node: this.nodeId,
        lines,
        timeoutMs: this.timeoutMs,
        fetch: this.fetchImpl,
        signal: controller.signal,
      })
    } finally {
      this.inflight = undefined
    }
  }

  /** Delivery is held (401/403, a client error no retry fixes, a request that cannot be built): log, release flushes. */
  private held(decision: HoldDecision): void {
    this.counters.failedAttempts += 1
    this.lastError = decision.reason
    const now = Date.now()
    this.authFailing = decision.cause === "auth"
    if (now - this.lastAuthLog >= AUTH_LOG_EVERY_MS) {
      this.lastAuthLog = now
      const what =
        decision.cause === "auth"
          ? `${this.endpoint} refused the token (${decision.status}): the ingest token is wrong or missing; set usage.http.token (or USAGE_TOKEN) to a token of the service's --ingest-token`
          : decision.cause === "unsendable"
            ? `${decision.reason}: fix usage.http (endpoint, token) or USAGE_TOKEN, then restart`
            : `${this.endpoint} answered ${decision.status} (${decision.reason}): is ${this.endpoint} the URL of \`usage serve\`?`
      this.logger.error(`usage-hub: ${what}. ${this.unacked} records stay spooled in ${this.spoolDir}`)
    }
    this.releaseWaiters()
  }

  /** A part settled: the service takes records (again). */
  private settled(heldBefore: HoldDecision["cause"] | undefined): void {
    if (heldBefore) {
      this.logger.warn(
        `usage-hub: ${this.endpoint} ${this.authFailing ? "accepts the token again" : "accepts records again"}; delivering`,
      )
    }
    this.authFailing = false
    this.lastAuthLog = 0
    this.lastCentralFailure = 0
    this.lastError = undefined
  }

  private async deadLetter(
    entries: Array<{ line: string; reason: string; status?: number }>,
    why: string,
  ): Promise<void> {
    if (entries.length === 0) return
    await appendDeadLetters(this.spoolDir, entries)
    this.counters.deadLettered += entries.length
    this.logger.warn(
      `usage-hub: ${entries.length} record(s) set aside in ${deadLetterPath(this.spoolDir)} (${why}): ${entries[0].reason}`,
    )
  }

  private notifyDrained(): void {
    if (this.isDrained()) this.releaseWaiters()
  }

  /** Ends the waits of flush() (drained, or delivery held). */
  private releaseWaiters(): void {
    const waiters = this.drainedWaiters
    this.drainedWaiters = []
    for (const w of waiters) w()
  }

  /**
   * Nothing left to deliver, and the last batch's acknowledgement fully counted (the spool's offset moves
   * before `unacked` does: a flush woken in between must not report records as pending after it returns).
   */
  private isDrained(): boolean {
    return this.spool !== undefined && this.spool.pendingBytes === 0 && this.unacked === 0
  }

  // ---------------------------------------------------------------- flush, close, stats

  /**
   * Delivers everything pending, or gives up at the deadline (default: timeoutMs), resolving either way: what
   * is left stays spooled (see `stats().pending`). Pending includes the spools of dead processes this adapter
   * can claim before the deadline (less a fifth of the timeout, at most a second, to deliver them): a spool
   * still locked by a process that was killed is waited for until its lock goes stale, then taken over and
   * delivered (`claimDeadSpools`). While delivery is held (token refused, a client error no retry fixes) it
   * ends early, at the next refusal or at once when the next attempt is due after the deadline, and logs that
   * the records stay spooled (`stats().held`).
   */
  async flush(opts: FlushOptions = {}): Promise<void> {
    await this.ready
    await this.spool!.flushAppends()
    if (this.closed) return
    const timeout = opts.timeoutMs ?? this.timeoutMs
    const deadline = Date.now() + timeout
    if (this.delivery.held && !this.isDrained() && this.delivery.notBefore - Date.now() >= timeout) {
      this.sayHeld()
      return
    }
    let claiming = true
    const claims = this.claimDeadSpools(deadline - Math.min(1000, timeout / 5)).finally(() => {
      claiming = false
    })
    this.flushWaiters += 1
    try {
      for (;;) {
        if (this.closed || (!claiming && this.isDrained())) break
        const left = deadline - Date.now()
        if (left <= 0) break
        this.delivery.wake(true)
        const heldBefore = this.delivery.heldAttempts
        let timer: ReturnType<typeof setTimeout> | undefined
        await new Promise<void>((resolve) => {
          this.drainedWaiters.push(resolve)
          if (claiming) claims.then(resolve, resolve)
          // Ref'd on purpose: keeps the process alive until the deadline.
          timer = setTimeout(resolve, left)
        })
        clearTimeout(timer)
        // Delivery was held meanwhile (a refusal no retry fixes soon): what is pending stays spooled.
        if (this.delivery.heldAttempts !== heldBefore && this.delivery.held && !this.isDrained()) break
      }
    } finally {
      this.flushWaiters -= 1
    }
    if (this.delivery.held && !this.isDrained() && !this.closed) this.sayHeld()
  }

  /** A flush ended with delivery held: says so (at most every five minutes). */
  private sayHeld(): void {
    const now = Date.now()
    if (now - this.lastHeldFlushLog < AUTH_LOG_EVERY_MS) return
    this.lastHeldFlushLog = now
    this.logger.warn(
      `usage-hub: flush: delivery is held (${this.lastError ?? "refused"}); ${this.unacked} records stay spooled in ${this.spoolDir}`,
    )
  }

  /** Delivers what it can within `timeoutMs`; resolves true when nothing is left pending. */
  async drain(timeoutMs: number): Promise<boolean> {
    await this.flush({ timeoutMs })
    return this.isDrained()
  }

  /**
   * Stops delivery and releases the spool. A batch in flight gets a short grace to be acknowledged, then is
   * abandoned: it stays in the spool for the next process. Call `flush({timeoutMs})` first to deliver.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await this.ready
    } catch {
      return
    }
    await this.spool!.flushAppends()
    this.stopping = true
    if (this.takeoverTimer) clearInterval(this.takeoverTimer)
    if (this.takeoverHintTimer) clearTimeout(this.takeoverHintTimer)
    this.delivery.stop()
    if (this.inflight) {
      const grace = setTimeout(() => this.inflight?.abort(new Error("adapter closed")), this.closeGraceMs)
      await this.running
      clearTimeout(grace)
    } else await this.running
    await this.spool!.close()
    for (const w of this.drainedWaiters.splice(0)) w()
  }

  stats(): HttpIngestStats {
    return {
      ...this.counters,
      pending: this.unacked,
      pendingBytes: this.spool?.pendingBytes ?? 0,
      buffered:
        this.queue.length - this.queueHead + (this.delivery.current?.parts.reduce((n, p) => n + p.length, 0) ?? 0),
      lastError: this.lastError,
      authFailing: this.authFailing,
      held: this.delivery.held !== undefined,
      spoolDir: this.spoolDir,
    }
  }

  /** The spool file this adapter writes (tests, diagnostics). */
  get spoolPath(): string | undefined {
    return this.spool?.path
  }

  // ---------------------------------------------------------------- queries

  /**
   * The local view, as a store for the query plans: the records not yet delivered (this adapter's spool, read
   * back from disk, including what it took over from dead processes), plus, with `keepLocalRecords`, every
   * record saved in this process.
   */
  private async localStore(): Promise<MemoryStore> {
    const store = new MemoryStore()
    const node = this.nodeId
    if (this.keepLocal) {
      this.pruneLocal()
      for (const r of this.kept) store.add(r.node === undefined ? { ...r, node } : r)
    }
    if (this.spool) {
      await this.spool.flushAppends()
      const { lines } = await this.spool.read(this.spool.acknowledged, Number.POSITIVE_INFINITY)
      for (const line of lines) {
        let value: unknown
        try {
          value = JSON.parse(line)
        } catch {
          continue // a corrupt line: dead-lettered when it is read for delivery
        }
        const parsed = parseRecord(value)
        if (parsed.ok) store.add(parsed.record)
      }
    }
    return store
  }

  /** Local answers cover what the legacy file keeps (about two months); older records are let go. */
  private pruneLocal(): void {
    const cutoff = this.clock().getTime() - LOCAL_KEEP_MS
    if (this.kept.length > 0 && this.kept[0].timestamp.getTime() >= cutoff) return
    this.kept = this.kept.filter((r) => r.timestamp.getTime() >= cutoff)
  }

  private summaryParams(): SummaryParams {
    return { tz: this.tz }
  }

  /** Runs a query centrally; on an unreachable service (or a refused read token), locally (query/fallback.ts). */
  query<T>(central: (api: UsageApiClient) => Promise<T>, local: () => Promise<T>): Promise<Sourced<T>> {
    return centralElseLocal(
      { endpoint: this.endpoint, warn: (m) => this.logger.warn(m), lastCentralFailure: () => this.lastCentralFailure },
      () => central(this.api),
      local,
    )
  }

  /** Local data for the query client (createUsageClient) when the service cannot answer. */
  queryFallback(): QueryFallback {
    return { localRecords: () => this.localRecords(), lastCentralFailure: () => this.lastCentralFailure }
  }

  summaryWithSource(params: SummaryParams = {}): Promise<Sourced<UsageSummaryResult>> {
    return this.query(
      (api) => api.summary({ ...this.summaryParams(), ...params }),
      () => this.localSummary(params),
    )
  }

  localSummary(params: SummaryParams = {}): Promise<UsageSummaryResult> {
    return this.local.summary(summaryQuery(params))
  }

  trendsWithSource(provider: string, rangeDays = 7): Promise<Sourced<TrendData>> {
    return this.query(
      (api) => api.trends(provider, { rangeDays, tz: this.tz }),
      () => this.localTrends(provider, rangeDays),
    )
  }

  localTrends(provider: string, rangeDays = 7): Promise<TrendData> {
    return this.local.trends({ provider, rangeDays })
  }

  recordsWithSource(): Promise<Sourced<UsageRecord[]>> {
    return this.query(
      (api) => api.allRecords(),
      () => this.localRecords(),
    )
  }

  async localRecords(): Promise<UsageRecord[]> {
    return [...(await this.localStore()).all()]
  }

  async getAllSummaries(): Promise<Record<string, ProviderUsageSummary>> {
    return (await this.summaryWithSource()).data.summaries
  }

  async getProviderTrends(provider: string, rangeDays = 7): Promise<TrendData> {
    return (await this.trendsWithSource(provider, rangeDays)).data
  }

  async getAllRecords(_format?: string): Promise<UsageRecord[]> {
    return (await this.recordsWithSource()).data
  }
}

function validNodeId(node: string, fromHostname: boolean): string {
  const parsed = nodeIdSchema.safeParse(node)
  if (parsed.success) return parsed.data
  const why = parsed.error.issues[0]?.message ?? "invalid"
  throw new UsageHubError(
    "INVALID_CONFIG",
    `HttpIngestAdapter needs a node id of 1 to 128 characters, not blank (${fromHostname ? "the hostname " : ""}${JSON.stringify(node.length > 40 ? `${node.slice(0, 40)}...` : node)}: ${why}); set usage.http.nodeId or USAGE_NODE`,
  )
}

function isJsonObject(line: string): boolean {
  try {
    const value = JSON.parse(line)
    return value !== null && typeof value === "object" && !Array.isArray(value)
  } catch {
    return false
  }
}
