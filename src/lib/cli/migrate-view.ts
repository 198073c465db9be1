/**
 * `usage migrate-file` for people: where the records go (first), one line per file as each is done (a refused
 * file as one `Error:` line on stderr) with the first few rejection reasons, then a total that says plainly
 * when nothing new was imported.
 */
import { formatCount } from "./format.js"
import type { MigrateEvents, MigrateFileReport, MigrateReport } from "./run-migrate.js"

const SHOWN_REJECTIONS = 5

function counts(f: { accepted: number; duplicates: number; rejected: number }, dryRun: boolean): string {
  const verb = dryRun ? "would be new" : "accepted (new)"
  return `${formatCount(f.accepted)} ${verb}, ${formatCount(f.duplicates)} duplicates, ${formatCount(f.rejected)} rejected`
}

export function renderMigrateStart(run: Parameters<NonNullable<MigrateEvents["onStart"]>>[0]): string {
  const where = `${run.target.kind === "store" ? "store" : "service"} ${run.target.location}`
  return run.dryRun
    ? `Dry run: checking ${run.files} file(s) against ${where} (node ${run.node}); nothing is written`
    : `Importing ${run.files} file(s) into ${where} (node ${run.node})`
}

/** A file's lines: for stdout, or (a refused file) one error line for stderr. */
export function renderMigrateFile(file: MigrateFileReport, dryRun: boolean): { stdout?: string; stderr?: string } {
  if (file.status === "refused") return { stderr: `Error: ${file.error?.message ?? `${file.file} refused`}` }
  const lines = [
    `${file.file}: ${formatCount(file.records)} records, ${counts({ ...file, rejected: file.rejected.length }, dryRun)}`,
  ]
  for (const r of file.rejected.slice(0, SHOWN_REJECTIONS)) lines.push(`  rejected record ${r.index}: ${r.error}`)
  const more = file.rejected.length - SHOWN_REJECTIONS
  if (more > 0) lines.push(`  … and ${formatCount(more)} more rejected (all of them with --json)`)
  return { stdout: lines.join("\n") }
}

export function renderMigrateTotal(report: MigrateReport): string {
  const { totals, dryRun } = report
  let total = `Total: ${counts(totals, dryRun)}`
  if (totals.refused > 0) total += `; ${totals.refused} file(s) refused`
  if (totals.accepted === 0 && totals.refused < totals.files) {
    total += dryRun ? ". Nothing new to import." : ". Nothing new imported: every record was already there."
  }
  if (dryRun && report.target.kind === "endpoint") total += " (a dry run cannot see what the service already holds)"
  return total
}
