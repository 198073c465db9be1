/**
 * Incremental reading of an agent's append-only JSONL log for the readers: the complete lines added since a
 * cursor (a partial last line is left for the next read), the file read from the start when it shrank or was
 * replaced, and a directory walk that finds the logs. Read-only: it never writes, locks or creates anything
 * in the agent's folder. Plain node:fs, so the module also loads under Bun.
 */
import { closeSync, type Dirent, promises as fs, fstatSync, openSync, readdirSync, readSync, statSync } from "node:fs"
import { normalize, sep } from "node:path"
import type { SourceCursor } from "../reader.js"

const NEWLINE = 0x0a

/** One complete line of a log: its text and the byte offset just after its newline. */
export interface JsonlLine {
  text: string
  end: number
}

export interface NewLines {
  lines: JsonlLine[]
  /** The cursor after the last complete line (unchanged offset when nothing new is complete). */
  cursor: SourceCursor
  /** The byte offset the lines start at (0 when the file is read from the start). */
  start: number
  /** The complete lines before `start` (what earlier reads consumed), read from the file only when asked. */
  prefix: () => Promise<string[]>
}

/**
 * The complete lines of `path` after `cursor`, reading only the bytes after it. The file is read from the start
 * when there is no cursor, when it is now shorter than the cursor's offset, or when the byte before that offset
 * is no longer a newline (the file was replaced by another one). Nothing is consumed past the last newline, so a
 * line still being written is read whole next time.
 */
export async function readNewLines(path: string, cursor: SourceCursor | undefined): Promise<NewLines> {
  // The common case of a --watch round: a file unchanged since its cursor, told by one stat (no open, no read).
  if (cursor && cursor.size === cursor.offset) {
    const stat = statSync(path, { throwIfNoEntry: false })
    if (stat && stat.size === cursor.size && stat.mtimeMs === cursor.mtimeMs) {
      const start = cursor.offset
      return { lines: [], cursor, start, prefix: () => readPrefix(path, start) }
    }
  }
  // Synchronous: hundreds of files in a row, each read whole at once (the thread pool's round trips for open,
  // stat, read and close cost more than the reads, and leave the process idle in between).
  const fd = openSync(path, "r")
  try {
    const stat = fstatSync(fd)
    let start = cursor?.offset ?? 0
    if (cursor && stat.size === cursor.size && stat.mtimeMs === cursor.mtimeMs && stat.size === start) {
      return { lines: [], cursor, start, prefix: () => readPrefix(path, start) }
    }
    if (start > stat.size) start = 0
    if (start > 0) {
      const before = Buffer.alloc(1)
      readSync(fd, before, 0, 1, start - 1)
      if (before[0] !== NEWLINE) start = 0
    }
    const buffer = Buffer.alloc(stat.size - start)
    let filled = 0
    while (filled < buffer.length) {
      const bytesRead = readSync(fd, buffer, filled, buffer.length - filled, start + filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    const lines: JsonlLine[] = []
    let lineStart = 0
    let index = buffer.indexOf(NEWLINE, 0)
    while (index !== -1 && index < filled) {
      lines.push({ text: buffer.toString("utf8", lineStart, index), end: start + index + 1 })
      lineStart = index + 1
      index = buffer.indexOf(NEWLINE, lineStart)
    }
    const from = start
    return {
      lines,
      cursor: { size: stat.size, mtimeMs: stat.mtimeMs, offset: start + lineStart },
      start,
      prefix: () => readPrefix(path, from),
    }
  } finally {
    closeSync(fd)
  }
}

/** The lines before byte `end` of the file, blank ones kept so that line numbers hold. */
async function readPrefix(path: string, end: number): Promise<string[]> {
  if (end <= 0) return []
  const handle = await fs.open(path, "r")
  try {
    const buffer = Buffer.alloc(end)
    let filled = 0
    while (filled < end) {
      const { bytesRead } = await handle.read(buffer, filled, end - filled, filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    const lines = buffer.toString("utf8", 0, filled).split("\n")
    lines.pop()
    return lines
  } finally {
    await handle.close()
  }
}

/**
 * Files under `dir` (recursively, symlinks not followed) whose name passes `accept`, sorted by path. Synchronous
 * reads of the folders, like the files' (each round walks them, and a round with nothing new does little else).
 */
export async function findFiles(dir: string, accept: (name: string) => boolean): Promise<string[]> {
  const found: string[] = []
  // join(folder, name) for a normalized folder and a plain name, without normalizing the whole path again for
  // each of hundreds of entries (most of a re-collect's walk).
  const child = (folder: string, name: string) =>
    folder === "." || folder === `.${sep}` ? name : folder.endsWith(sep) ? folder + name : folder + sep + name
  function walk(folder: string): void {
    let entries: Dirent[]
    try {
      entries = readdirSync(folder, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      const path = child(folder, entry.name)
      if (entry.isDirectory()) walk(path)
      else if (entry.isFile() && accept(entry.name)) found.push(path)
    }
  }
  walk(normalize(dir))
  return found.sort()
}

/** Whether `path` is a directory. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

/** A parsed JSON object, or undefined when the text is not JSON or not an object. */
export function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** Adds one to a reason's count. */
export function count(counts: Record<string, number>, reason: string, by = 1): void {
  counts[reason] = (counts[reason] ?? 0) + by
}
