/**
 * The spool directory's layout, read without locks: spool file names (`spool.<host>.<pid>.<rand>.ndjson`),
 * their acknowledgement sidecars (`<spool>.ack`), complete-line reads (a torn last line is not returned), the
 * dead-letter file (`dead-letter.ndjson`, one path helper) and the default directory. The adapter's Spool
 * (adapters/spool.ts) writes this layout; the query client reads undelivered records from it. Plugin-safe:
 * node:fs only.
 */
import { appendFile, type FileHandle, mkdir, open, readdir, readFile, rename, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { xdgStateHome } from "../paths.js"

/** A spool file's name: host tag, pid, random part. */
export const SPOOL_NAME = /^spool\.([A-Za-z0-9_-]+)\.(\d+)\.([0-9a-z]+)\.ndjson$/
export const DEAD_LETTER_FILE = "dead-letter.ndjson"
const READ_CHUNK = 1024 * 1024

export interface SpoolLines {
  lines: string[]
  /** End offset of each line (the offset to acknowledge once it is delivered). */
  ends: number[]
}

/** `$XDG_STATE_HOME/usage-hub`, else `~/.local/state/usage-hub`. */
export function defaultSpoolDir(): string {
  return join(xdgStateHome(), "usage-hub")
}

/** The dead-letter file of a spool directory. */
export function deadLetterPath(dir: string): string {
  return join(dir, DEAD_LETTER_FILE)
}

export async function readAck(path: string): Promise<number> {
  try {
    const n = Number((await readFile(`${path}.ack`, "utf8")).trim())
    return Number.isSafeInteger(n) && n >= 0 ? n : 0
  } catch {
    return 0
  }
}

export async function writeAck(path: string, offset: number): Promise<void> {
  const tmp = `${path}.ack.tmp`
  await writeFile(tmp, String(offset))
  await rename(tmp, `${path}.ack`)
}

/**
 * Reads complete lines of `handle` from physical offset `from` up to `to`, at most `maxLines`. A last line
 * without its newline (torn by a crash) is not returned. `ends` are physical end offsets.
 */
export async function readCompleteLines(
  handle: FileHandle,
  from: number,
  to: number,
  maxLines: number,
): Promise<SpoolLines> {
  const lines: string[] = []
  const ends: number[] = []
  let position = from
  let carry: Buffer | undefined
  while (position < to && lines.length < maxLines) {
    const length = Math.min(READ_CHUNK, to - position)
    const chunk = Buffer.allocUnsafe(length)
    const { bytesRead } = await handle.read(chunk, 0, length, position)
    if (bytesRead === 0) break
    const data = carry ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead)
    const dataStart = position - (carry?.length ?? 0)
    position += bytesRead
    let lineStart = 0
    let newline = data.indexOf(10, lineStart)
    while (newline !== -1 && lines.length < maxLines) {
      lines.push(data.toString("utf8", lineStart, newline))
      ends.push(dataStart + newline + 1)
      lineStart = newline + 1
      newline = data.indexOf(10, lineStart)
    }
    if (lines.length >= maxLines) break
    carry = lineStart < data.length ? Buffer.from(data.subarray(lineStart)) : undefined
  }
  return { lines, ends }
}

/** The dead-letter file of a spool directory: records refused for good, one JSON line each, with the reason. */
export async function appendDeadLetters(
  dir: string,
  entries: ReadonlyArray<{ line: string; reason: string; status?: number }>,
): Promise<void> {
  if (entries.length === 0) return
  const at = new Date().toISOString()
  const text = entries
    .map((e) => {
      let record: unknown
      try {
        record = JSON.parse(e.line)
      } catch {
        record = e.line
      }
      return JSON.stringify({ deadLetteredAt: at, reason: e.reason, status: e.status, record })
    })
    .join("\n")
  await mkdir(dir, { recursive: true })
  await appendFile(deadLetterPath(dir), `${text}\n`)
}

/** Every unacknowledged complete line of every spool in `dir` (read-only, no locks): local data for queries. */
export async function readSpoolDirLines(dir: string): Promise<string[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  const out: string[] = []
  for (const name of names) {
    if (!SPOOL_NAME.test(name)) continue
    const path = join(dir, name)
    try {
      const ack = await readAck(path)
      const handle = await open(path, "r")
      try {
        const { size } = await handle.stat()
        const { lines } = await readCompleteLines(handle, ack > size ? 0 : ack, size, Number.POSITIVE_INFINITY)
        for (const line of lines) out.push(line)
      } finally {
        await handle.close()
      }
    } catch {
      // Gone meanwhile (delivered and deleted): nothing to add.
    }
  }
  return out
}
