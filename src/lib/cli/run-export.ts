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
  model?: string
  agent?: string
  project?: string
  /** The format: --csv, --ndjson, else --format, else JSON (--json, the default). */
  csv?: boolean
  ndjson?: boolean
  format?: string
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

/** The format the flags ask for (oclif keeps them exclusive and --format within EXPORT_FORMATS). */
export function exportFormat(flags: Pick<ExportFlags, "csv" | "ndjson" | "format">): ExportFormat {
  if (flags.csv) return "csv"
  if (flags.ndjson) return "ndjson"
  return (flags.format as ExportFormat | undefined) ?? "json"
}

export function runExport(flags: ExportFlags): Promise<ExportResult> {
  const format = exportFormat(flags)
  return withReadSource(flags, async ({ reader, since, until }) => {
    const toFile = flags.output !== undefined && flags.output !== "-"
    const progress = createProgress({ label: "Exporting", enabled: toFile && Boolean(process.stdout.isTTY) })
    let records = 0
    const chunks = counted(
      reader.export({
        provider: flags.provider,
        node: flags.node,
        model: flags.model,
        agent: flags.agent,
        project: flags.project,
        since,
        until,
      }),
      (n) => {
        records += n
        progress.update(records)
      },
    )
    const pieces = exportChunks(chunks, format)
    try {
      if (toFile) {
        await writeFileAtomically(flags.output!, pieces)
        return { format, records, output: flags.output, complete: true }
      }
      const complete = await writeToStdout(pieces)
      return { format, records, complete }
    } finally {
      progress.done()
    }
  })
}
