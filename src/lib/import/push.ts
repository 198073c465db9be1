/**
 * `usage push`: sends legacy JSON files, NDJSON files or NDJSON on stdin to the central service through the
 * same HttpIngestAdapter the plugin uses (its spool: records not delivered now go with the next push, and
 * spools left by dead processes in the same directory are delivered too: at once when released, and those
 * still locked by a killed process once their lock goes stale, if that is within `waitMs`; the service skips
 * duplicates). No sources: only drains the spool directory (`usage push --spool-dir DIR`). Records without a
 * node get `node` (default: this machine's node id). Gives up when the service makes no progress for
 * `waitMs`, reporting how many records were delivered; the rest stay spooled.
 */
import type { Readable } from "node:stream"
import type { AdapterLogger } from "../adapters/http-ingest-adapter.js"
import { HttpIngestAdapter, type HttpIngestStats } from "../adapters/http-ingest-adapter.js"
import type { FetchLike } from "../client/api-client.js"
import { UsageHubError } from "../errors.js"
import { type ImportRejection, type ReadUsageStats, readUsageRecords } from "./read-usage-file.js"

export interface PushOptions {
  /** Paths, or "-" for stdin. None: only the spools of dead processes in the spool directory are delivered. */
  sources: string[]
  endpoint: string
  token?: string
  /** Node of records that carry none; also the adapter's node id. */
  node: string
  spoolDir?: string
  /** Records per request (default 5000). */
  batchSize?: number
  /** Per request, ms (default 30000). */
  timeoutMs?: number
  /** Give up when nothing was delivered for this long, ms (default 10000). */
  waitMs?: number
  retryAttempts?: number
  /** Lock staleness of the spool directory, ms (default 10000; the same for every process sharing it). */
  staleMs?: number
  stdin?: Readable
  logger?: AdapterLogger
  fetch?: FetchLike
  /** Told now and then (about every 200 ms) how far it got. */
  onProgress?: (progress: PushProgress) => void
}

export interface PushProgress {
  read: number
  delivered: number
  pending: number
}

export interface PushSourceReport {
  source: string
  format?: string
  records: number
  rejected: number
}

export interface PushResult {
  endpoint: string
  node: string
  sources: PushSourceReport[]
  /** Valid records read from the sources. */
  read: number
  /** Stored by the service now. */
  accepted: number
  /** Already stored (an earlier push, or the plugin). */
  duplicates: number
  /** Refused: invalid in the files, plus refused by the service (set aside in the dead-letter file). */
  rejected: number
  rejectedInFiles: number
  rejectedByService: number
  /** The first few rejections found in the files, with index and reason. */
  rejections: ImportRejection[]
  /** `rejected` again, under the name `migrate-file --json` uses too: scripts read both the same way. */
  rejectedCount: number
  /**
   * The rejections found in the files as `{file, index, error}` (as `migrate-file --json`), the first
   * MAX_LISTED_REJECTIONS; the records the service refused are in the dead-letter file (counted in `rejected`).
   */
  rejectedRecords: Array<{ file?: string; index: number; error: string }>
  /** Records taken over from spools of dead processes (earlier runs, killed plugins) and sent along. */
  takenOver: number
  /** Left in the spool (0 on success). */
  pending: number
  spoolDir: string
  deadLetterFile?: string
}

const MAX_LISTED_REJECTIONS = 20

function delivered(stats: HttpIngestStats): number {
  return stats.acknowledged + stats.deadLettered
}

export async function pushUsage(options: PushOptions): Promise<PushResult> {
  const adapter = new HttpIngestAdapter({
    endpoint: options.endpoint,
    token: options.token,
    nodeId: options.node,
    spoolDir: options.spoolDir,
    batchSize: options.batchSize ?? 5000,
    localBufferSize: 20_000,
    flushIntervalMs: 50,
    timeoutMs: options.timeoutMs ?? 30_000,
    retryAttempts: options.retryAttempts ?? 3,
    staleMs: options.staleMs,
    keepLocalRecords: false,
    logger: options.logger,
    fetch: options.fetch,
  })
  const sources: PushSourceReport[] = []
  const rejections: ImportRejection[] = []
  let read = 0
  let rejectedInFiles = 0
  let failure: unknown
  const progress = () => {
    const s = adapter.stats()
    options.onProgress?.({ read, delivered: delivered(s), pending: s.pending })
  }
  const ticker = options.onProgress ? setInterval(progress, 200) : undefined
  try {
    await adapter.init()
    for (const source of options.sources) {
      const stats: ReadUsageStats = { source, records: 0, rejected: 0 }
      sources.push(stats)
      try {
        for await (const batch of readUsageRecords(
          source,
          {
            node: options.node,
            batchSize: 1000,
            stdin: options.stdin,
            onRejected: (r) => {
              if (rejections.length < MAX_LISTED_REJECTIONS) rejections.push(r)
            },
          },
          stats,
        )) {
          // Each batch is on disk (spooled) before the next is read: bounded memory, nothing lost on a crash.
          await Promise.all(batch.map((record) => adapter.saveRecord(record)))
          read += batch.length
        }
      } finally {
        rejectedInFiles += stats.rejected
      }
    }
  } catch (error) {
    // Stop reading; still deliver what was spooled (valid records), then report the failure.
    failure = error
  }
  try {
    const waitMs = options.waitMs ?? 10_000
    // Spools still locked by killed processes are waited for when their lock goes stale within waitMs.
    let claiming = !failure
    if (claiming) {
      adapter
        .claimDeadSpools(Date.now() + waitMs)
        .catch(() => undefined)
        .finally(() => {
          claiming = false
        })
    }
    const progressed = (s: HttpIngestStats) => delivered(s) + s.takenOver
    let last = progressed(adapter.stats())
    let lastProgressAt = Date.now()
    // A held delivery (token refused, a client error no retry fixes) ends the wait: no retry soon fixes it.
    while ((adapter.stats().pending > 0 || claiming) && !adapter.stats().held && Date.now() - lastProgressAt < waitMs) {
      await adapter.flush({ timeoutMs: Math.min(1000, waitMs) })
      const now = progressed(adapter.stats())
      if (now !== last) {
        last = now
        lastProgressAt = Date.now()
      }
    }
  } finally {
    if (ticker) clearInterval(ticker)
    progress()
    await adapter.close()
  }
  if (failure) throw failure
  const stats = adapter.stats()
  const result: PushResult = {
    endpoint: adapter.endpoint,
    node: options.node,
    sources: sources.map((s) => ({ source: s.source, format: s.format, records: s.records, rejected: s.rejected })),
    read,
    accepted: stats.accepted,
    duplicates: stats.duplicates,
    rejected: rejectedInFiles + stats.deadLettered,
    rejectedInFiles,
    rejectedByService: stats.deadLettered,
    rejections,
    rejectedCount: rejectedInFiles + stats.deadLettered,
    rejectedRecords: rejections.map((r) => ({ file: r.source, index: r.index, error: r.error })),
    takenOver: stats.takenOver,
    pending: stats.pending,
    spoolDir: adapter.spoolDir,
  }
  if (stats.deadLettered > 0) result.deadLetterFile = `${adapter.spoolDir}/dead-letter.ndjson`
  if (stats.pending > 0) {
    const why = stats.authFailing
      ? "the service refuses the token (check --token / USAGE_TOKEN)"
      : (stats.lastError ?? "no answer")
    throw new UsageHubError(
      "DELIVERY_INCOMPLETE",
      `delivered ${delivered(stats)} of ${delivered(stats) + stats.pending} records to ${adapter.endpoint}; ` +
        `${stats.pending} stay spooled in ${adapter.spoolDir} and go with the next push (${why})`,
      { details: { result } },
    )
  }
  return result
}
