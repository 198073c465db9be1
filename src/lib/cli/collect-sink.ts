/**
 * Where `usage collect` delivers, chosen like `migrate-file`'s target: a store (`--db`, USAGE_DB, the default
 * store: written through the store's insert, identity counting what is there already as duplicates), the central service
 * (`--endpoint`: the HttpIngestAdapter's spool and delivery loop, in a spool folder of its own under the state
 * folder, so records handed to it survive a crash or an outage and a later run delivers them), or, for
 * `--dry-run`, migrate-file's counting sink. `write` resolves once the records are stored or safe in the spool;
 * `settle` waits for the service's acknowledgements (within a deadline) and says what is still pending.
 * An existing SQLite store is opened (and migrated) only when the first records come: a round with nothing new
 * neither opens it nor loads the store's code. The adapter, the store and migrate-file's counting sink (with the
 * HTTP client it loads) are loaded only when used.
 */
import { existsSync } from "node:fs"
import type { HttpIngestAdapter } from "../adapters/http-ingest-adapter.js"
import type { CollectSink, Settled } from "../collect/collect.js"
import { UsageHubError } from "../errors.js"
import type { StoredRecord } from "../record.js"
import type { WriteTargetSpec } from "../source/resolve-source.js"
import { isPostgresLocation, redactLocation } from "../store/location.js"
import type { UsageStore } from "../store/store.js"
import type { ImportSink, OpenSinkOptions } from "./import-sink.js"

export type { CollectSink, Settled }

async function openImportSink(target: WriteTargetSpec, options: OpenSinkOptions): Promise<ImportSink> {
  return (await import("./import-sink.js")).openImportSink(target, options)
}

/** A dry run: counted when written (migrate-file's counting sink). */
class ImmediateSink implements CollectSink {
  constructor(private readonly sink: ImportSink) {}
  get kind() {
    return this.sink.kind
  }
  get location() {
    return this.sink.location
  }
  async write(batch: StoredRecord[]) {
    const { accepted, duplicates } = await this.sink.write(batch)
    return { accepted, duplicates }
  }
  async settle(): Promise<Settled> {
    return { accepted: 0, duplicates: 0, pending: 0 }
  }
  close() {
    return this.sink.close()
  }
}

/** A store, written through its own insert (identity counts what it holds already as duplicates). */
class StoreSink implements CollectSink {
  readonly kind = "store" as const
  constructor(
    readonly location: string,
    private readonly store: UsageStore,
  ) {}
  async write(batch: StoredRecord[]) {
    const { accepted, duplicates } = await this.store.insert(batch)
    return { accepted, duplicates }
  }
  async settle(): Promise<Settled> {
    return { accepted: 0, duplicates: 0, pending: 0 }
  }
  close() {
    return this.store.close()
  }
}

async function openStoreSink(target: WriteTargetSpec & { kind: "store" }): Promise<StoreSink> {
  const { openStoreAt } = await import("../store/open.js")
  return new StoreSink(redactLocation(target.location), await openStoreAt(target.location, { create: true }))
}

/** An existing SQLite store, opened by the first write (never, in a round with nothing new). */
class LazyStoreSink implements CollectSink {
  readonly kind = "store" as const
  readonly location: string
  private opened?: Promise<StoreSink>

  constructor(private readonly target: WriteTargetSpec & { kind: "store" }) {
    this.location = redactLocation(target.location)
  }

  async write(batch: StoredRecord[]) {
    this.opened ??= openStoreSink(this.target)
    return (await this.opened).write(batch)
  }
  async settle(): Promise<Settled> {
    return { accepted: 0, duplicates: 0, pending: 0 }
  }
  async close() {
    if (this.opened) await (await this.opened).close()
  }
}

export interface SpoolSinkOptions {
  url: string
  token?: string
  node: string
  spoolDir: string
  timeoutMs: number
  retryAttempts: number
  /** How long `settle` waits for acknowledgements (default: the request timeout). */
  settleMs?: number
}

/** The central service through the HttpIngestAdapter: spooled on write, counted when acknowledged. */
class SpoolSink implements CollectSink {
  readonly kind = "endpoint" as const
  private readonly adapter: HttpIngestAdapter
  private seen = { accepted: 0, duplicates: 0, deadLettered: 0 }
  private stuck = false

  constructor(
    readonly location: string,
    private readonly options: SpoolSinkOptions,
    Adapter: typeof HttpIngestAdapter,
  ) {
    this.adapter = new Adapter({
      endpoint: options.url,
      token: options.token,
      nodeId: options.node,
      spoolDir: options.spoolDir,
      timeoutMs: options.timeoutMs,
      retryAttempts: options.retryAttempts,
      batchSize: 1000,
      flushIntervalMs: 50,
      // Problems are told by the report, one line (settle's warning), not by the adapter's console lines.
      logger: { info: () => {}, warn: () => {}, error: () => {} },
    })
  }

  async write(batch: StoredRecord[]) {
    const dropped = this.adapter.stats().dropped
    await Promise.all(batch.map((r) => this.adapter.saveRecord(r)))
    if (this.adapter.stats().dropped > dropped) {
      throw new UsageHubError(
        "DELIVERY_INCOMPLETE",
        `the spool in ${this.options.spoolDir} is full (${this.location} has not taken records for a while); nothing was collected past it`,
      )
    }
    return { accepted: 0, duplicates: 0 }
  }

  async settle(): Promise<Settled> {
    // One request timeout to deliver; once a settle has left records pending (the service is down), a short look.
    const settleMs =
      this.options.settleMs ?? (this.stuck ? Math.min(1000, this.options.timeoutMs) : this.options.timeoutMs)
    await this.adapter.flush({ timeoutMs: settleMs })
    const stats = this.adapter.stats()
    const settled: Settled = {
      accepted: stats.accepted - this.seen.accepted,
      duplicates: stats.duplicates - this.seen.duplicates,
      pending: stats.pending,
    }
    const refused = stats.deadLettered - this.seen.deadLettered
    this.seen = { accepted: stats.accepted, duplicates: stats.duplicates, deadLettered: stats.deadLettered }
    const problems: string[] = []
    if (refused > 0)
      problems.push(`${refused} refused by ${this.location} (see the dead-letter file in ${stats.spoolDir})`)
    if (stats.pending > 0) {
      problems.push(
        `${stats.pending} not delivered yet (${stats.lastError ?? "no answer in time"}): kept in ${stats.spoolDir}, the next usage collect delivers them`,
      )
    }
    if (problems.length > 0) settled.warning = problems.join("; ")
    this.stuck = stats.pending > 0
    return settled
  }

  close() {
    return this.adapter.close()
  }
}

export interface OpenCollectSinkOptions {
  dryRun: boolean
  node: string
  timeoutMs: number
  retryAttempts: number
  /** The endpoint's own spool folder. */
  spoolDir: string
  settleMs?: number
}

export async function openCollectSink(target: WriteTargetSpec, options: OpenCollectSinkOptions): Promise<CollectSink> {
  if (target.kind === "endpoint" && !options.dryRun) {
    // Opened at once: it takes a dead run's spool over and delivers what that left.
    const { HttpIngestAdapter } = await import("../adapters/http-ingest-adapter.js")
    return new SpoolSink(target.url, { ...options, url: target.url, token: target.token }, HttpIngestAdapter)
  }
  if (target.kind === "store" && !options.dryRun) {
    if (target.location !== ":memory:" && !isPostgresLocation(target.location) && existsSync(target.location)) {
      return new LazyStoreSink(target)
    }
    // A store to create (its file exists once the run ends, as with any write), or PostgreSQL (a connection
    // problem is told at once).
    return openStoreSink(target)
  }
  // A dry run.
  return new ImmediateSink(await openImportSink(target, options))
}
