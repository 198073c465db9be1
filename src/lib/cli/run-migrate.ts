/**
 * `usage migrate-file`: the one-shot import of legacy usage files into a store or the central service,
 * through the same import code as `usage push` (src/lib/import/read-usage-file.ts: validation, node stamping).
 * Each file is read and validated whole before any of it is written, so a file that is not a legacy usage file
 * (truncated, not JSON, wrong shape) is refused with nothing of it imported while the other files go on.
 * Identity (node, id, timestamp) makes a second run count everything as duplicates. Reports per file, with
 * the ingest API's names: `accepted` (new), `duplicates` (already there), `rejected` (with reasons).
 */
import { resolveSettings } from "../config-resolution.js"
import { UsageHubError } from "../errors.js"
import { type ReadUsageStats, readUsageRecords, type UsageFileFormat } from "../import/read-usage-file.js"
import { resolveWriteTarget } from "../source/resolve-source.js"
import { type ImportSink, openImportSink } from "./import-sink.js"
import { createProgress } from "./progress.js"

export interface MigrateFlags {
  files: string[]
  db?: string
  endpoint?: string
  token?: string
  node?: string
  config?: string
  dryRun?: boolean
}

export interface MigrateFileReport {
  file: string
  /** imported; refused (not a legacy usage file, or unreadable: nothing imported); checked (dry run). */
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
  let written = 0
  try {
    const batches = readUsageRecords(
      file,
      {
        node,
        format: "legacy",
        batchSize: MIGRATE_BATCH,
        onFormat: (format) => {
          report.format = format
        },
        onRejected: (r) => report.rejected.push({ index: r.index, error: r.error }),
      },
      stats,
    )
    // The legacy reader validates the whole file before the first batch: once a batch arrives, `stats` is final.
    for await (const batch of batches) {
      const result = await sink.write(batch)
      report.accepted += result.accepted
      report.duplicates += result.duplicates
      for (const r of result.rejected) report.rejected.push({ index: written + r.index, error: r.error })
      written += batch.length
      progress.update(written, stats.records)
    }
  } catch (error) {
    if (!(error instanceof UsageHubError) || !FILE_LEVEL.has(error.code)) throw error
    return {
      ...report,
      status: "refused",
      accepted: 0,
      duplicates: 0,
      rejected: [],
      // One line, whatever the parser's message holds (JSON.parse quotes the offending text, newlines included).
      error: { code: error.code, message: `${error.message.replace(/\s*\n\s*/g, " ")}; nothing of it imported` },
    }
  } finally {
    progress.done()
  }
  report.rejected.sort((a, b) => a.index - b.index)
  report.records = report.accepted + report.duplicates + report.rejected.length
  return report
}

/** Told as the run goes, so people see each file's line when it is done (the report comes at the end). */
export interface MigrateEvents {
  onStart?(run: Pick<MigrateReport, "target" | "node" | "dryRun"> & { files: number }): void
  onFile?(file: MigrateFileReport, run: Pick<MigrateReport, "dryRun">): void
}

export async function runMigrate(flags: MigrateFlags, events: MigrateEvents = {}): Promise<MigrateReport> {
  if (flags.files.length === 0) throw new UsageHubError("BAD_USAGE", "give at least one legacy usage file")
  const settings = resolveSettings({ configPath: flags.config })
  const target = resolveWriteTarget(flags, settings)
  const node = flags.node ?? settings.nodeId
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
  }
}
