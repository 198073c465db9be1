/**
 * Incremental reading of an agent's append-only JSONL log for the readers: the complete lines added since a
 * cursor (a partial last line is left for the next read), the file read from the start when it shrank or was
 * replaced, and a directory walk that finds the logs. Read-only: it never writes, locks or creates anything
 * in the agent's folder. Plain node:fs, so the module also loads under Bun.
 */
import { promises as fs } from "node:fs"
import { join } from "node:path"
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
  /** The whole file's bytes when the caller may need what lies before `start` (see `prefix`). */
  buffer: Buffer
}

/**
 * The complete lines of `path` after `cursor`. The file is read from the start when there is no cursor, when it
 * is now shorter than the cursor's offset, or when the byte before that offset is no longer a newline (the file
 * was replaced by another one). Nothing is consumed past the last newline, so a line still being written is read
 * whole next time.
 */
export async function readNewLines(path: string, cursor: SourceCursor | undefined): Promise<NewLines> {
  const stat = await fs.stat(path)
  const previous = cursor?.offset ?? 0
  if (cursor && stat.size === cursor.size && stat.mtimeMs === cursor.mtimeMs && stat.size === previous) {
    return { lines: [], cursor, start: previous, buffer: Buffer.alloc(0) }
  }
  const buffer = await fs.readFile(path)
  let start = previous
  if (start > buffer.length || (start > 0 && buffer[start - 1] !== NEWLINE)) start = 0
  const lines: JsonlLine[] = []
  let lineStart = start
  let index = buffer.indexOf(NEWLINE, lineStart)
  while (index !== -1) {
    const text = buffer.toString("utf8", lineStart, index)
    lines.push({ text, end: index + 1 })
    lineStart = index + 1
    index = buffer.indexOf(NEWLINE, lineStart)
  }
  return {
    lines,
    cursor: { size: buffer.length, mtimeMs: stat.mtimeMs, offset: lineStart },
    start,
    buffer,
  }
}

/** The complete lines of `buffer` before byte `end` (what an earlier read already consumed). */
export function linesBefore(buffer: Buffer, end: number): string[] {
  if (end <= 0) return []
  return buffer
    .toString("utf8", 0, end)
    .split("\n")
    .filter((line) => line.length > 0)
}

/** Files under `dir` (recursively, symlinks not followed) whose name passes `accept`, sorted by path. */
export async function findFiles(dir: string, accept: (name: string) => boolean): Promise<string[]> {
  const found: string[] = []
  async function walk(folder: string): Promise<void> {
    let entries: import("node:fs").Dirent[]
    try {
      entries = await fs.readdir(folder, { withFileTypes: true })
    } catch {
      return
    }
    for (const entry of entries) {
      const path = join(folder, entry.name)
      if (entry.isDirectory()) await walk(path)
      else if (entry.isFile() && accept(entry.name)) found.push(path)
    }
  }
  await walk(dir)
  return found.sort()
}

/** Whether `path` is a directory. */
export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await fs.stat(path)).isDirectory()
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
