/**
 * `usage migrate-file`: the one-shot import of usage files into a store or the central service, through the
 * same reader as `usage push` (src/lib/import/read-usage-file.ts: format sniffing, validation, node stamping):
 * legacy usage files (`{version, records}`), JSON arrays (`usage export --json`) and NDJSON (`usage export
 * --ndjson`). A JSON document is read and validated whole before any of it is written, so a file that is not a
 * usage file (truncated, not JSON, wrong shape) is refused with nothing of it imported while the other files go
 * on; NDJSON is streamed, its invalid lines rejected by index. Identity (node, id, timestamp) makes a second
 * run, or the import of an export of the same store, count everything as duplicates. Reports per file, with
 * the ingest API's names: `accepted` (new), `duplicates` (already there), `rejected` (with reasons).
 */
import { UsageHubError } from "../errors.js"
import { type ReadUsageStats, readUsageRecords, type UsageFileFormat } from "../import/read-usage-file.js"
import { type ImportSink, openImportSink } from "./import-sink.js"
import { createProgress } from "./progress.js"
import { resolveWriteRun, type WriteFlags } from "./write-run.js"

export interface MigrateFlags extends WriteFlags {
  files: string[]
}

export interface MigrateFileReport {
  file: string
  /**
   * imported; refused (not a usage file, or unreadable: nothing imported, except the records of an NDJSON file
   * written before a read error, counted); checked (dry run).
   */
  status: "imported" | "refused" | "checked"
  format?: UsageFileFormat
  /** Records in the file: accepted + duplicates + rejected. */
  records: number
  accepted: number
  duplicates: number
  rejected: Array<{ index: number; error: string }>
  error?: { code: string; message: string }
}

export interface MigrateReport {
  target: { kind: "store" | "endpoint"; location: string }
  node: string
  dryRun: boolean
  files: MigrateFileReport[]
  totals: { files: number; refused: number; records: number; accepted: number; duplicates: number; rejected: number }
  /** `totals.rejected` again, under the name `push --json` uses too: scripts read both the same way. */
  rejectedCount: number
  /** Every file's rejected records, in file order then index order (as `push --json`). */
  rejectedRecords: Array<{ file?: string; index: number; error: string }>
}

/** Records per write: one store transaction, or one request to the service. */
export const MIGRATE_BATCH = 5000

/** File-level failures that refuse one file and let the run go on (anything else stops the run). */
const FILE_LEVEL = new Set(["NOT_LEGACY_FILE", "FILE_ERROR"])

async function importFile(file: string, sink: ImportSink, node: string, dryRun: boolean): Promise<MigrateFileReport> {
  const report: MigrateFileReport = {
    file,
    status: dryRun ? "checked" : "imported",
    format: undefined,
    records: 0,
    accepted: 0,
    duplicates: 0,
    rejected: [],
  }
  const stats: ReadUsageStats = { source: file, records: 0, rejected: 0 }
  const progress = createProgress({ label: file })
  /** Indices (in the file) of the records the reader rejected, ascending: to place the sink's rejections. */
  const readerRejected: number[] = []
  let written = 0
  try {
    const batches = readUsageRecords(
      file,
      {
        node,
        batchSize: MIGRATE_BATCH,
        onFormat: (format) => {
          report.format = format
        },
        onRejected: (r) => {
          readerRejected.push(r.index)
          report.rejected.push({ index: r.index, error: r.error })
        },
      },
      stats,
    )
    for await (const batch of batches) {
      const result = await sink.write(batch)
      report.accepted += result.accepted
      report.duplicates += result.duplicates
      for (const r of result.rejected) {
        report.rejected.push({ index: fileIndex(written + r.index, readerRejected), error: r.error })
      }
      written += batch.length
      // A JSON document is validated whole before its first batch (its count is final); NDJSON grows as it goes.
      progress.update(written, Math.max(written, stats.records))
    }
  } catch (error) {
    if (!(error instanceof UsageHubError) || !FILE_LEVEL.has(error.code)) throw error
    // One line, whatever the parser's message holds (JSON.parse quotes the offending text, newlines included).
    const message = error.message.replace(/\s*\n\s*/g, " ")
    if (written > 0) {
      // An NDJSON file that failed mid-read: what was written before stays, and is counted.
      report.rejected.sort((a, b) => a.index - b.index)
      report.records = report.accepted + report.duplicates + report.rejected.length
      return {
        ...report,
        status: "refused",
        error: { code: error.code, message: `${message}; stopped after its first ${written} valid records` },
      }
    }
    return {
      ...report,
      status: "refused",
      accepted: 0,
      duplicates: 0,
      rejected: [],
      error: { code: error.code, message: `${message}; nothing of it imported` },
    }
  } finally {
    progress.done()
  }
  report.rejected.sort((a, b) => a.index - b.index)
  report.records = report.accepted + report.duplicates + report.rejected.length
  return report
}

/**
 * The index in the file of the `valid`-th valid record (0-based), given the file indices the reader rejected
 * (ascending): the sink numbers only the records it was given.
 */
export function fileIndex(valid: number, rejected: readonly number[]): number {
  let index = valid
  for (const r of rejected) {
    if (r <= index) index += 1
    else break
  }
  return index
}

/** Told as the run goes, so people see each file's line when it is done (the report comes at the end). */
export interface MigrateEvents {
  onStart?(run: Pick<MigrateReport, "target" | "node" | "dryRun"> & { files: number }): void
  onFile?(file: MigrateFileReport, run: Pick<MigrateReport, "dryRun">): void
}

export async function runMigrate(flags: MigrateFlags, events: MigrateEvents = {}): Promise<MigrateReport> {
  if (flags.files.length === 0)
    throw new UsageHubError("BAD_USAGE", "give at least one usage file (legacy JSON, a JSON array or NDJSON)")
  const { settings, target, node } = resolveWriteRun(flags)
  const dryRun = Boolean(flags.dryRun)
  const sink = await openImportSink(target, {
    dryRun,
    node,
    timeoutMs: settings.usage.http?.timeoutMs ?? 10_000,
    retryAttempts: settings.usage.http?.retryAttempts ?? 3,
  })
  const files: MigrateFileReport[] = []
  try {
    const target = { kind: sink.kind, location: sink.location }
    events.onStart?.({ target, node, dryRun, files: flags.files.length })
    for (const file of flags.files) {
      files.push(await importFile(file, sink, node, dryRun))
      events.onFile?.(files[files.length - 1], { dryRun })
    }
  } finally {
    await sink.close()
  }
  const sum = (pick: (f: MigrateFileReport) => number) => files.reduce((acc, f) => acc + pick(f), 0)
  return {
    target: { kind: sink.kind, location: sink.location },
    node,
    dryRun,
    files,
    totals: {
      files: files.length,
      refused: files.filter((f) => f.status === "refused").length,
      records: sum((f) => f.records),
      accepted: sum((f) => f.accepted),
      duplicates: sum((f) => f.duplicates),
      rejected: sum((f) => f.rejected.length),
    },
    rejectedCount: sum((f) => f.rejected.length),
    rejectedRecords: files.flatMap((f) => f.rejected.map((r) => ({ file: f.file, index: r.index, error: r.error }))),
  }
}
