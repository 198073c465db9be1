/**
 * Where `migrate-file` puts records: a store (identity makes a re-import count its records as duplicates),
 * the central service (`POST /ingest/usage` through the delivery loop of src/lib/delivery: the same retries,
 * backoff, 413 splitting and refusal handling as the HttpIngestAdapter) or, for `--dry-run`, a sink that only counts what would be new.
 */
import { existsSync } from "node:fs"
import { postIngest } from "../client/ingest-client.js"
import { Backoff } from "../delivery/backoff.js"
import { DeliveryLoop } from "../delivery/delivery-loop.js"
import { UsageHubError } from "../errors.js"
import { identityKey, type StoredRecord, toRecordJson } from "../record.js"
import type { WriteTargetSpec } from "../source/resolve-source.js"
import { isPostgresLocation, redactLocation } from "../store/location.js"
import type { UsageStore } from "../store/store.js"

export interface SinkResult {
  accepted: number
  duplicates: number
  /** Indices relative to the batch written. */
  rejected: Array<{ index: number; error: string }>
}

export interface ImportSink {
  readonly kind: "store" | "endpoint"
  /** Where records go, for messages (no secrets). */
  readonly location: string
  /** False when a dry run cannot see what the target already holds (the service). */
  readonly seesExisting: boolean
  write(batch: StoredRecord[]): Promise<SinkResult>
  close(): Promise<void>
}

class StoreSink implements ImportSink {
  readonly kind = "store" as const
  readonly seesExisting = true
  constructor(
    readonly location: string,
    private readonly store: UsageStore,
  ) {}

  async write(batch: StoredRecord[]): Promise<SinkResult> {
    const { accepted, duplicates } = await this.store.insert(batch)
    return { accepted, duplicates, rejected: [] }
  }

  close(): Promise<void> {
    return this.store.close()
  }
}

export interface EndpointSinkOptions {
  token?: string
  node: string
  timeoutMs: number
  retryAttempts: number
  /** Base of the exponential backoff (tests shorten it). */
  backoffMs?: number
  /** Random source of the backoff's jitter (tests). */
  random?: () => number
}

const MAX_BACKOFF_MS = 30_000

class EndpointSink implements ImportSink {
  readonly kind = "endpoint" as const
  readonly seesExisting = false
  constructor(
    readonly location: string,
    private readonly options: EndpointSinkOptions,
  ) {}

  /**
   * Sends the batch through the delivery loop (the adapter's policy: retries with backoff and Retry-After,
   * 413 halving, refused records reported by their index) and reports its accepted, duplicate and rejected
   * records. A refused token, a client error no retry fixes, or retries used up end the import (an error).
   */
  async write(batch: StoredRecord[]): Promise<SinkResult> {
    const { token, node, timeoutMs, retryAttempts } = this.options
    const result: SinkResult = { accepted: 0, duplicates: 0, rejected: [] }
    const loop = new DeliveryLoop({
      send: (lines) => postIngest({ endpoint: this.location, token, node, lines, timeoutMs }),
      backoff: new Backoff({
        baseMs: this.options.backoffMs ?? 500,
        maxMs: MAX_BACKOFF_MS,
        random: this.options.random,
      }),
      retryAttempts,
      // An import waits out every pause (a long Retry-After included) within its attempts.
      urgent: () => true,
      hooks: {
        acknowledged: (_part, decision) => {
          result.accepted += decision.accepted
          result.duplicates += decision.duplicates
        },
        deadLetter: async (entries) => {
          for (const e of entries) result.rejected.push({ index: e.entry.index, error: e.reason })
        },
      },
    })
    const entries = batch.map((r, index) => ({ line: JSON.stringify(toRecordJson(r)), index }))
    const cycle = await loop.cycle({ parts: [entries] })
    if (cycle.done) {
      result.rejected.sort((a, b) => a.index - b.index)
      return result
    }
    if (cycle.held) {
      const { cause, status, reason } = cycle.held
      if (cause === "auth") {
        throw new UsageHubError(
          status === 403 ? "FORBIDDEN" : "UNAUTHORIZED",
          `${this.location} refused the ingest token (${status}): ${reason}; give it with --token or USAGE_TOKEN`,
        )
      }
      if (cause === "misconfigured") {
        throw new UsageHubError("UPSTREAM_ERROR", `${this.location} answered ${status}: ${reason}`)
      }
      throw new UsageHubError("INVALID_CONFIG", reason)
    }
    throw new UsageHubError(
      "UNREACHABLE",
      `${cycle.decision?.reason ?? `cannot reach ${this.location}`} (gave up after ${retryAttempts + 1} attempts)`,
    )
  }

  async close(): Promise<void> {}
}

/**
 * Counts what a real run would do without writing: records new to the run and (for a store) to the store.
 * Looks up existing identities per batch over the batch's time span, so memory stays bounded by the batch.
 */
class DryRunSink implements ImportSink {
  private readonly seen = new Set<string>()
  constructor(
    readonly kind: "store" | "endpoint",
    readonly location: string,
    private readonly store?: UsageStore,
  ) {}

  get seesExisting(): boolean {
    return this.kind === "store"
  }

  private async existing(batch: StoredRecord[]): Promise<Set<string>> {
    const found = new Set<string>()
    if (!this.store || batch.length === 0) return found
    let min = Number.POSITIVE_INFINITY
    let max = Number.NEGATIVE_INFINITY
    for (const r of batch) {
      const t = r.timestamp.getTime()
      if (t < min) min = t
      if (t > max) max = t
    }
    const wanted = new Set(batch.map(identityKey))
    for await (const chunk of this.store.iterate({ since: new Date(min), until: new Date(max + 1) }, 5000)) {
      for (const r of chunk) {
        const key = identityKey(r)
        if (wanted.has(key)) found.add(key)
      }
    }
    return found
  }

  async write(batch: StoredRecord[]): Promise<SinkResult> {
    const existing = await this.existing(batch)
    let accepted = 0
    for (const r of batch) {
      const key = identityKey(r)
      if (existing.has(key) || this.seen.has(key)) continue
      this.seen.add(key)
      accepted += 1
    }
    return { accepted, duplicates: batch.length - accepted, rejected: [] }
  }

  async close(): Promise<void> {
    await this.store?.close()
  }
}

export interface OpenSinkOptions {
  dryRun: boolean
  node: string
  timeoutMs: number
  retryAttempts: number
  /** Backoff base and jitter source of the endpoint sink (tests). */
  backoffMs?: number
  random?: () => number
}

export async function openImportSink(target: WriteTargetSpec, options: OpenSinkOptions): Promise<ImportSink> {
  if (target.kind === "endpoint") {
    if (options.dryRun) return new DryRunSink("endpoint", target.url)
    return new EndpointSink(target.url, { ...options, token: target.token })
  }
  const location = redactLocation(target.location)
  const { openStoreAt } = await import("../store/open.js")
  if (options.dryRun) {
    // A dry run creates nothing: a store that does not exist yet holds nothing.
    const absent =
      !isPostgresLocation(target.location) && target.location !== ":memory:" && !existsSync(target.location)
    return new DryRunSink("store", location, absent ? undefined : await openStoreAt(target.location, { create: false }))
  }
  return new StoreSink(location, await openStoreAt(target.location, { create: true }))
}
