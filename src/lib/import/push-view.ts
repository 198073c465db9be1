/**
 * The human report of `usage push`: what was read, stored, skipped as duplicate and refused (with the first
 * reasons), and where refused records were set aside; one line when the input held no records.
 */
import type { PushResult } from "./push.js"

const sourceName = (source: string) => (source === "-" ? "stdin" : source)

export function renderPushResult(result: PushResult): string {
  if (result.read === 0 && result.rejectedInFiles === 0 && result.takenOver === 0) {
    // Empty input (an empty pipe, </dev/null, an empty file): one line, nothing was sent.
    const names = result.sources.map((s) => sourceName(s.source)).join(", ")
    return `Nothing to push: ${names} held no records; nothing was sent to ${result.endpoint}`
  }
  const lines: string[] = []
  const files = result.sources.map((s) => `${sourceName(s.source)} (${s.format ?? "?"}, ${s.records})`)
  lines.push(`Pushed ${result.read} records to ${result.endpoint} as node ${result.node}: ${files.join(", ")}`)
  lines.push(`  accepted:   ${result.accepted}`)
  lines.push(`  duplicates: ${result.duplicates}`)
  lines.push(
    `  rejected:   ${result.rejected}` +
      (result.rejected > 0
        ? ` (${result.rejectedInFiles} invalid in the files, ${result.rejectedByService} refused by the service)`
        : ""),
  )
  if (result.takenOver > 0) lines.push(`  also sent ${result.takenOver} undelivered records left by earlier runs`)
  for (const r of result.rejections) {
    lines.push(`  ${sourceName(r.source)} #${r.index}${r.line ? ` (line ${r.line})` : ""}: ${r.error}`)
  }
  if (result.rejectedInFiles > result.rejections.length) {
    lines.push(`  … and ${result.rejectedInFiles - result.rejections.length} more invalid records`)
  }
  if (result.deadLetterFile) lines.push(`  refused records are in ${result.deadLetterFile}`)
  return lines.join("\n")
}
