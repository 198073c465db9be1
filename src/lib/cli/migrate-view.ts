/**
 * `usage migrate-file` for people: where the records went, one line per file (refused files as one
 * `Error:` line on stderr), the first few rejection reasons, and a total that says plainly when nothing new
 * was imported.
 */
import { formatCount } from "./format.js"
import type { MigrateFileReport, MigrateReport } from "./run-migrate.js"

const SHOWN_REJECTIONS = 5

function counts(f: { accepted: number; duplicates: number; rejected: number }, dryRun: boolean): string {
  const verb = dryRun ? "would be new" : "accepted (new)"
  return `${formatCount(f.accepted)} ${verb}, ${formatCount(f.duplicates)} duplicates, ${formatCount(f.rejected)} rejected`
}

function fileLines(file: MigrateFileReport, dryRun: boolean): string[] {
  const lines = [
    `${file.file}: ${formatCount(file.records)} records, ${counts({ ...file, rejected: file.rejected.length }, dryRun)}`,
  ]
  for (const r of file.rejected.slice(0, SHOWN_REJECTIONS)) lines.push(`  rejected record ${r.index}: ${r.error}`)
  const more = file.rejected.length - SHOWN_REJECTIONS
  if (more > 0) lines.push(`  … and ${formatCount(more)} more rejected (all of them with --json)`)
  return lines
}

/** The report as stdout text and stderr lines (the refused files). */
export function renderMigrate(report: MigrateReport): { stdout: string; stderr: string[] } {
  const { target, totals, dryRun } = report
  const where = `${target.kind === "store" ? "store" : "service"} ${target.location}`
  const out = [
    dryRun
      ? `Dry run: checking ${totals.files} file(s) against ${where} (node ${report.node}); nothing is written`
      : `Importing ${totals.files} file(s) into ${where} (node ${report.node})`,
  ]
  const errors: string[] = []
  for (const file of report.files) {
    if (file.status === "refused") errors.push(`Error: ${file.error?.message ?? `${file.file} refused`}`)
    else out.push(...fileLines(file, dryRun))
  }
  let total = `Total: ${counts(totals, dryRun)}`
  if (totals.refused > 0) total += `; ${totals.refused} file(s) refused`
  if (totals.accepted === 0 && totals.refused < totals.files) {
    total += dryRun ? ". Nothing new to import." : ". Nothing new imported: every record was already there."
  }
  if (dryRun && !report.files.every((f) => f.status === "refused") && target.kind === "endpoint") {
    total += " (a dry run cannot see what the service already holds)"
  }
  out.push(total)
  return { stdout: out.join("\n"), stderr: errors }
}
