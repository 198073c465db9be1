/**
 * `usage export`: every matching record of the chosen source, streamed chunk by chunk from the source to
 * stdout or a file (bounded memory for millions of records), in JSON (an array), NDJSON or CSV written by the
 * shared export-format module, so the columns and the formula defusing are those of `GET /api/usage/export`.
 */

import { type ExportFormat, exportChunks } from "../export-format.js"
import type { UsageRecord } from "../record.js"
import { createProgress } from "./progress.js"
import { type ReadFlags, withReadSource } from "./read-source.js"
import { writeFileAtomically, writeToStdout } from "./write-output.js"

export interface ExportFlags extends ReadFlags {
  provider?: string
  node?: string
  format: ExportFormat
  /** A file to write (atomically); absent or "-": stdout. */
  output?: string
}

export interface ExportResult {
  format: ExportFormat
  records: number
  /** The file written, if any. */
  output?: string
  /** False when stdout was closed before the end (e.g. piped into `head`). */
  complete: boolean
}

async function* counted(
  chunks: AsyncIterable<UsageRecord[]>,
  onChunk: (records: number) => void,
): AsyncGenerator<UsageRecord[]> {
  for await (const chunk of chunks) {
    onChunk(chunk.length)
    yield chunk
  }
}

export function runExport(flags: ExportFlags): Promise<ExportResult> {
  return withReadSource(flags, async ({ reader, since, until }) => {
    const toFile = flags.output !== undefined && flags.output !== "-"
    const progress = createProgress({ label: "Exporting", enabled: toFile && Boolean(process.stdout.isTTY) })
    let records = 0
    const chunks = counted(reader.export({ provider: flags.provider, node: flags.node, since, until }), (n) => {
      records += n
      progress.update(records)
    })
    const pieces = exportChunks(chunks, flags.format)
    try {
      if (toFile) {
        await writeFileAtomically(flags.output!, pieces)
        return { format: flags.format, records, output: flags.output, complete: true }
      }
      const complete = await writeToStdout(pieces)
      return { format: flags.format, records, complete }
    } finally {
      progress.done()
    }
  })
}
