/**
 * Reading usage records to import (shared by `usage push` and `usage migrate-file`): a legacy JSON usage file
 * (`{version, records: [...]}`, read whole and validated before anything of it is handed on), a JSON array of
 * records (`usage export --format json`), an NDJSON file or NDJSON on stdin (streamed line by line, bounded
 * memory). Each record goes through `parseRecord`; rejections carry their index and reason. Records without a
 * node get the importing node (default: this machine's hostname); a record's own node wins.
 */
import { createReadStream } from "node:fs"
import { open } from "node:fs/promises"
import { hostname } from "node:os"
import { createInterface } from "node:readline"
import type { Readable } from "node:stream"
import { UsageHubError } from "../errors.js"
import { parseRecord, type StoredRecord } from "../record.js"

/** What a source was read as. */
export type UsageFileFormat = "legacy" | "json-array" | "ndjson"

export interface ImportRejection {
  /** The file (or "-" for stdin). */
  source: string
  /** The record's position in the `records` array, or its 0-based line among the non-empty lines (as the API). */
  index: number
  /** 1-based physical line, for NDJSON. */
  line?: number
  error: string
}

export interface ReadUsageOptions {
  /** Node stamped on records that carry none (default: this machine's hostname). */
  node?: string
  /** Records per yielded batch (default 1000). */
  batchSize?: number
  /** Force a format instead of sniffing the content (a `.ndjson`/`.jsonl` name or `-` means NDJSON). */
  format?: UsageFileFormat
  /** The stream read for `-` (default process.stdin). */
  stdin?: Readable
  /** Told about each rejected record, in order. */
  onRejected?: (rejection: ImportRejection) => void
  /** Told once the format is known, before the first batch. */
  onFormat?: (format: UsageFileFormat) => void
}

/** Counts of one read, filled in as the batches are consumed. */
export interface ReadUsageStats {
  source: string
  format?: UsageFileFormat
  records: number
  rejected: number
}

const DEFAULT_BATCH = 1000
const SNIFF_BYTES = 64 * 1024

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

function stamp(record: StoredRecord, node: string): StoredRecord {
  if (record.node === undefined) record.node = node
  return record
}

function notLegacy(source: string, why: string): UsageHubError {
  return new UsageHubError(
    "NOT_LEGACY_FILE",
    `${source} is not a legacy usage file (${why}); expected {"version": 1, "records": [...]}, a JSON array of records, or NDJSON`,
  )
}

/** Guesses the format from the name and the first line: a first line that is a JSON record means NDJSON. */
async function sniffFormat(path: string): Promise<UsageFileFormat> {
  if (/\.(ndjson|jsonl)$/i.test(path)) return "ndjson"
  const handle = await open(path, "r")
  let head: string
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES)
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0)
    head = stripBom(buffer.subarray(0, bytesRead).toString("utf8"))
  } finally {
    await handle.close()
  }
  const trimmed = head.trimStart()
  if (trimmed.startsWith("[")) return "json-array"
  const newline = trimmed.indexOf("\n")
  if (newline === -1) return "legacy" // one line (or a huge first line): a whole JSON document
  try {
    const first = JSON.parse(trimmed.slice(0, newline))
    if (first && typeof first === "object" && !Array.isArray(first) && !("records" in first)) return "ndjson"
  } catch {
    // A pretty-printed document's first line (`{`) is not JSON on its own.
  }
  return "legacy"
}

async function readWhole(path: string, source: string): Promise<unknown> {
  let text: string
  try {
    const handle = await open(path, "r")
    try {
      text = stripBom(await handle.readFile("utf8"))
    } finally {
      await handle.close()
    }
  } catch (error) {
    throw new UsageHubError("FILE_ERROR", `cannot read ${source}: ${(error as Error).message}`, { cause: error })
  }
  if (text.trim() === "") throw notLegacy(source, "it is empty")
  try {
    return JSON.parse(text)
  } catch (error) {
    throw notLegacy(source, `not valid JSON, truncated? ${(error as Error).message}`)
  }
}

function* batchesOf<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size)
}

/** Parses a whole JSON document's records, all before the first batch is yielded (nothing of a bad file goes on). */
function parseDocument(
  doc: unknown,
  format: UsageFileFormat,
  source: string,
  node: string,
  stats: ReadUsageStats,
  onRejected?: (r: ImportRejection) => void,
): StoredRecord[] {
  let items: unknown[]
  if (format === "json-array") {
    if (!Array.isArray(doc)) throw notLegacy(source, "not a JSON array of records")
    items = doc
  } else {
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) throw notLegacy(source, "not a JSON object")
    const obj = doc as { version?: unknown; records?: unknown }
    if (typeof obj.version !== "number") throw notLegacy(source, 'no numeric "version"')
    if (!Array.isArray(obj.records)) throw notLegacy(source, 'no "records" array')
    items = obj.records
  }
  const out: StoredRecord[] = []
  items.forEach((item, index) => {
    const parsed = parseRecord(item)
    if (parsed.ok) out.push(stamp(parsed.record as StoredRecord, node))
    else {
      stats.rejected += 1
      onRejected?.({ source, index, error: parsed.error })
    }
  })
  stats.records += out.length
  return out
}

async function* readNdjson(
  input: Readable,
  source: string,
  node: string,
  size: number,
  stats: ReadUsageStats,
  onRejected?: (r: ImportRejection) => void,
): AsyncGenerator<StoredRecord[]> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })
  let batch: StoredRecord[] = []
  let index = 0
  let line = 0
  for await (const raw of lines) {
    line += 1
    const text = line === 1 ? stripBom(raw).trim() : raw.trim()
    if (text === "") continue
    const at = index++
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      stats.rejected += 1
      onRejected?.({ source, index: at, line, error: "not valid JSON" })
      continue
    }
    const parsed = parseRecord(value)
    if (!parsed.ok) {
      stats.rejected += 1
      onRejected?.({ source, index: at, line, error: parsed.error })
      continue
    }
    stats.records += 1
    batch.push(stamp(parsed.record as StoredRecord, node))
    if (batch.length >= size) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

/**
 * Reads the records of one source (a path, or "-" for stdin) in batches. `stats` (optional) is filled in as
 * the batches are consumed. A legacy/JSON file that is not JSON, truncated or of the wrong shape throws
 * NOT_LEGACY_FILE before any batch; a missing or unreadable file throws FILE_ERROR.
 */
export async function* readUsageRecords(
  path: string,
  options: ReadUsageOptions = {},
  stats: ReadUsageStats = { source: path, records: 0, rejected: 0 },
): AsyncGenerator<StoredRecord[]> {
  const source = path
  const node = options.node ?? hostname()
  const size = Math.max(1, options.batchSize ?? DEFAULT_BATCH)
  stats.source = source
  let format = options.format ?? (path === "-" ? "ndjson" : undefined)
  if (!format) {
    try {
      format = await sniffFormat(path)
    } catch (error) {
      throw new UsageHubError("FILE_ERROR", `cannot read ${source}: ${(error as Error).message}`, { cause: error })
    }
  }
  stats.format = format
  options.onFormat?.(format)
  if (format === "ndjson") {
    let input: Readable
    if (path === "-") input = options.stdin ?? process.stdin
    else {
      const file = createReadStream(path)
      // Surface a missing file as FILE_ERROR rather than an unhandled stream error.
      await new Promise<void>((resolve, reject) => {
        file.once("open", () => resolve())
        file.once("error", (error: Error) =>
          reject(new UsageHubError("FILE_ERROR", `cannot read ${source}: ${error.message}`, { cause: error })),
        )
      })
      input = file
    }
    yield* readNdjson(input, path === "-" ? "-" : source, node, size, stats, options.onRejected)
    return
  }
  const doc = await readWhole(path, source)
  yield* batchesOf(parseDocument(doc, format, source, node, stats, options.onRejected), size)
}

/** Reads a whole source into memory (tests, small files). */
export async function readAllUsageRecords(
  path: string,
  options: ReadUsageOptions = {},
): Promise<{ records: StoredRecord[]; rejected: ImportRejection[]; stats: ReadUsageStats }> {
  const rejected: ImportRejection[] = []
  const stats: ReadUsageStats = { source: path, records: 0, rejected: 0 }
  const records: StoredRecord[] = []
  for await (const batch of readUsageRecords(
    path,
    {
      ...options,
      onRejected: (r) => {
        rejected.push(r)
        options.onRejected?.(r)
      },
    },
    stats,
  ))
    records.push(...batch)
  return { records, rejected, stats }
}
