/**
 * Export formats shared by `GET /api/usage/export` and `usage export`: the CSV columns (the plugin's own
 * export columns, then node and the optional token columns), formula defusing for spreadsheets, and a chunk
 * writer that turns a stream of record chunks into json, ndjson or csv text with bounded memory.
 */
import { stringify } from "csv-stringify/sync"
import { toRecordJson, type UsageRecord } from "./record.js"

export const EXPORT_FORMATS = ["json", "ndjson", "csv"] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  json: "application/json; charset=utf-8",
  ndjson: "application/x-ndjson; charset=utf-8",
  csv: "text/csv; charset=utf-8",
}

/** CSV columns, in order (docs/api.md, `GET /api/usage/export`). */
export const CSV_COLUMNS = [
  "id",
  "timestamp",
  "provider",
  "model",
  "inputTokens",
  "outputTokens",
  "estimatedCost",
  "taskType",
  "sessionID",
  "node",
  "cacheReadTokens",
  "cacheWriteTokens",
  "reasoningTokens",
  "agent",
  "project",
] as const

const FORMULA_START = /^[=+\-@\t\r]/

/** Prefixes `'` to a cell a spreadsheet would read as a formula (starts with = + - @, a tab or a CR). */
export function defuseCell(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value
}

/** One CSV row (cells as strings, absent values empty, every cell defused). */
export function csvRow(record: UsageRecord): string[] {
  return CSV_COLUMNS.map((column) => {
    const value = record[column]
    if (value === undefined || value === null) return ""
    if (value instanceof Date) return value.toISOString()
    return defuseCell(String(value))
  })
}

/** A cell csv-stringify would quote (it contains the delimiter, the quote or a line break). */
const NEEDS_QUOTING = /[,"\r\n]/

/**
 * CSV text for rows (RFC 4180 quoting by csv-stringify, `\n` line ends). A row with no cell to quote is
 * joined with commas directly, which is exactly what csv-stringify writes for it (default options: no
 * quoting of empty or plain cells); only rows with a cell to quote go through csv-stringify.
 */
export function csvText(rows: readonly (readonly string[])[]): string {
  let out = ""
  let pending: string[][] | undefined
  for (const row of rows) {
    if (row.some((cell) => NEEDS_QUOTING.test(cell))) {
      if (!pending) pending = []
      pending.push(row as string[])
      continue
    }
    if (pending) {
      out += stringify(pending)
      pending = undefined
    }
    out += `${row.join(",")}\n`
  }
  if (pending) out += stringify(pending)
  return out
}

/** Writes one export piece by piece: `start()`, then `chunk(records)` per chunk, then `end()`. */
export interface ExportWriter {
  start(): string
  chunk(records: readonly UsageRecord[]): string
  end(): string
}

export function createExportWriter(format: ExportFormat): ExportWriter {
  if (format === "csv") {
    return {
      start: () => csvText([[...CSV_COLUMNS]]),
      chunk: (records) => csvText(records.map(csvRow)),
      end: () => "",
    }
  }
  if (format === "ndjson") {
    return {
      start: () => "",
      chunk: (records) => records.map((r) => `${JSON.stringify(toRecordJson(r))}\n`).join(""),
      end: () => "",
    }
  }
  let first = true
  return {
    start: () => "[",
    chunk: (records) => {
      if (records.length === 0) return ""
      const text = records.map((r) => JSON.stringify(toRecordJson(r))).join(",\n")
      const out = `${first ? "\n" : ",\n"}${text}`
      first = false
      return out
    },
    end: () => (first ? "]\n" : "\n]\n"),
  }
}

/** The export as text pieces, one per chunk of records (plus the header and the closing piece). */
export async function* exportChunks(
  chunks: AsyncIterable<readonly UsageRecord[]>,
  format: ExportFormat,
): AsyncGenerator<string> {
  const writer = createExportWriter(format)
  const head = writer.start()
  if (head) yield head
  for await (const records of chunks) {
    const text = writer.chunk(records)
    if (text) yield text
  }
  const tail = writer.end()
  if (tail) yield tail
}
