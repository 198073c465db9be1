/**
 * `usage collect` for people: which agents and where (first), then one line per agent as each is done:
 * `claude: 12 files, 340 calls found, 25 new, 315 duplicates, skipped 3 (2 not JSON, 1 synthetic model)`, its
 * notes and warnings (warnings on stderr). With --watch, a round that found nothing new prints nothing.
 */
import type { AgentReport } from "../collect/collect.js"
import type { SkipCounts } from "../collect/reader.js"
import { formatCount } from "./format.js"
import type { CollectStart } from "./run-collect.js"

function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`
}

function reasons(counts: SkipCounts): string {
  return Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([reason, n]) => `${formatCount(n)} ${reason}`)
    .join(", ")
}

export function renderCollectStart(start: CollectStart): string {
  const lines: string[] = []
  const where = `${start.target.kind === "store" ? "store" : "service"} ${start.target.location}`
  if (start.agents.length === 0) {
    lines.push("No agent data found; looked in:")
  } else {
    const verb = start.dryRun ? "Dry run: checking" : start.watch ? "Watching" : "Collecting"
    lines.push(
      `${verb} ${start.agents.join(", ")} into ${where} (node ${start.node})${start.dryRun ? "; nothing is written" : ""}`,
    )
    if (start.notFound.length > 0) lines.push(`No data of ${start.notFound.map((n) => n.agent).join(", ")} in:`)
  }
  for (const n of start.notFound) lines.push(`  ${n.agent}: ${n.dirs.join(", ")}`)
  return lines.join("\n")
}

/** An agent's line for stdout, and its warnings for stderr. */
export function renderAgent(report: AgentReport, dryRun: boolean): { stdout: string; stderr: string[] } {
  const parts = [
    plural(report.files, "file"),
    `${plural(report.calls, "call")} found`,
    `${formatCount(report.new)} ${dryRun ? "would be new" : "new"}`,
    plural(report.duplicates, "duplicate"),
  ]
  const skipped = Object.values(report.skipped).reduce((a, b) => a + b, 0)
  if (skipped > 0) parts.push(`skipped ${formatCount(skipped)} (${reasons(report.skipped)})`)
  if (report.pending > 0) parts.push(`${formatCount(report.pending)} pending`)
  let line = `${report.agent}: ${parts.join(", ")}`
  if (Object.keys(report.notes).length > 0) line += `; ${reasons(report.notes)}`
  return { stdout: line, stderr: report.warnings.map((w) => `Warning: ${w}`) }
}
