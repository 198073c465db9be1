/**
 * The human report of `usage push`: what was read, stored, skipped as duplicate and refused (with the first
 * reasons), and where refused records were set aside.
 */
import type { PushResult } from "./push.js"

export function renderPushResult(result: PushResult): string {
  const lines: string[] = []
  const files = result.sources.map((s) => `${s.source === "-" ? "stdin" : s.source} (${s.format ?? "?"}, ${s.records})`)
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
    lines.push(`  ${r.source === "-" ? "stdin" : r.source} #${r.index}${r.line ? ` (line ${r.line})` : ""}: ${r.error}`)
  }
  if (result.rejectedInFiles > result.rejections.length) {
    lines.push(`  … and ${result.rejectedInFiles - result.rejections.length} more invalid records`)
  }
  if (result.deadLetterFile) lines.push(`  refused records are in ${result.deadLetterFile}`)
  return lines.join("\n")
}
