/**
 * The human report of `usage push`: what was read, stored, skipped as duplicate and refused (with the first
 * reasons), how many records came from spools taken over (left by dead processes), and where refused records
 * were set aside; one line when there was nothing to push.
 */
import type { PushResult } from "./push.js"

const sourceName = (source: string) => (source === "-" ? "stdin" : source)

export function renderPushResult(result: PushResult): string {
  const lines: string[] = []
  if (result.sources.length === 0) {
    // `push --spool-dir DIR` without files: a drain of the spool directory.
    if (result.takenOver === 0) {
      return `Nothing to push: no spool left by a finished process in ${result.spoolDir}; nothing was sent to ${result.endpoint}`
    }
    lines.push(`Drained ${result.spoolDir} to ${result.endpoint}: ${result.takenOver} records from taken-over spools`)
  } else if (result.read === 0 && result.rejectedInFiles === 0 && result.takenOver === 0) {
    // Empty input (an empty pipe, </dev/null, an empty file): one line, nothing was sent.
    const names = result.sources.map((s) => sourceName(s.source)).join(", ")
    return `Nothing to push: ${names} held no records; nothing was sent to ${result.endpoint}`
  } else {
    const files = result.sources.map((s) => `${sourceName(s.source)} (${s.format ?? "?"}, ${s.records})`)
    const takenOver = result.takenOver > 0 ? `, and ${result.takenOver} records from taken-over spools` : ""
    lines.push(
      `Pushed ${result.read} records to ${result.endpoint} as node ${result.node}: ${files.join(", ")}${takenOver}`,
    )
  }
  lines.push(`  accepted:   ${result.accepted}`)
  lines.push(`  duplicates: ${result.duplicates}`)
  lines.push(
    `  rejected:   ${result.rejected}` +
      (result.rejected > 0
        ? ` (${result.rejectedInFiles} invalid in the files, ${result.rejectedByService} refused by the service)`
        : ""),
  )
  for (const r of result.rejections) {
    lines.push(`  ${sourceName(r.source)} #${r.index}${r.line ? ` (line ${r.line})` : ""}: ${r.error}`)
  }
  if (result.rejectedInFiles > result.rejections.length) {
    lines.push(`  … and ${result.rejectedInFiles - result.rejections.length} more invalid records`)
  }
  if (result.deadLetterFile) lines.push(`  refused records are in ${result.deadLetterFile}`)
  return lines.join("\n")
}
