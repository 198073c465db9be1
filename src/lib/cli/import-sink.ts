/**
 * Where `migrate-file` puts records: a store (identity makes a re-import count its records as duplicates),
 * the central service (`POST /ingest/usage` through the shared ingest client, with retries, backoff and
 * 413 splitting) or, for `--dry-run`, a sink that only counts what would be new.
 */
import { existsSync } from "node:fs"
import { postIngest } from "../client/ingest-client.js"
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
}

const MAX_BACKOFF_MS = 30_000

class EndpointSink implements ImportSink {
  readonly kind = "endpoint" as const
  readonly seesExisting = false
  constructor(
    readonly location: string,
    private readonly options: EndpointSinkOptions,
  ) {}

  async write(batch: StoredRecord[]): Promise<SinkResult> {
    return this.send(batch.map((r) => JSON.stringify(toRecordJson(r))))
  }

  private async send(lines: string[]): Promise<SinkResult> {
    const { token, node, timeoutMs, retryAttempts } = this.options
    const base = this.options.backoffMs ?? 500
    for (let attempt = 0; ; attempt++) {
      const outcome = await postIngest({ endpoint: this.location, token, node, lines, timeoutMs })
      switch (outcome.kind) {
        case "ok":
          return { accepted: outcome.accepted, duplicates: outcome.duplicates, rejected: outcome.rejected }
        case "refused":
          // Nothing of this batch was valid to the service: every record is rejected, with its reason.
          return {
            accepted: 0,
            duplicates: 0,
            rejected: outcome.rejected ?? lines.map((_, index) => ({ index, error: outcome.reason })),
          }
        case "too-large": {
          if (lines.length === 1) return { accepted: 0, duplicates: 0, rejected: [{ index: 0, error: outcome.reason }] }
          const half = Math.ceil(lines.length / 2)
          const first = await this.send(lines.slice(0, half))
          const second = await this.send(lines.slice(half))
          return {
            accepted: first.accepted + second.accepted,
            duplicates: first.duplicates + second.duplicates,
            rejected: [...first.rejected, ...second.rejected.map((r) => ({ ...r, index: r.index + half }))],
          }
        }
        case "auth":
          throw new UsageHubError(
            outcome.status === 403 ? "FORBIDDEN" : "UNAUTHORIZED",
            `${this.location} refused the ingest token (${outcome.status}): ${outcome.reason}; give it with --token or USAGE_TOKEN`,
          )
        case "misconfigured":
          throw new UsageHubError("UPSTREAM_ERROR", `${this.location} answered ${outcome.status}: ${outcome.reason}`)
        case "unsendable":
          throw new UsageHubError("INVALID_CONFIG", outcome.reason)
        case "retry": {
          if (attempt >= retryAttempts) {
            throw new UsageHubError("UNREACHABLE", `${outcome.reason} (gave up after ${attempt + 1} attempts)`)
          }
          const backoff = Math.min(MAX_BACKOFF_MS, base * 2 ** attempt) * (0.5 + Math.random() / 2)
          await new Promise((resolve) => setTimeout(resolve, outcome.retryAfterMs ?? backoff))
        }
      }
    }
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
