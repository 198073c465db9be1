/**
 * The collector's state: one JSON file per target (named by a hash of the target's location) in
 * `$XDG_STATE_HOME/usage-hub/collect/` (`--state-dir` to override), holding a cursor per source path and the first
 * timestamp seen of each call id (DESIGN's identity of agent logs: a copy of a call read later keeps the first
 * instant). Written atomically (a temporary file, then a rename), so a crash leaves the old state or the new one.
 * The file is two JSON lines: the header (version, target, cursors) and then the ids (hundreds of thousands of
 * them, megabytes): a round whose cursors show nothing new parses the header only, and the ids line is parsed the
 * first time an id is looked up or added (and copied as it is when only cursors changed). A state of the older
 * one-object shape (version 1) is read as well; the next save writes the two lines.
 * A lock keeps two collectors of one target on one node from sending the same calls at once; the holder's pid is
 * written beside the lock, so the second one can say who holds it. The lock is proper-lockfile's layout (a
 * `<state>.lock` directory made atomically, refreshed every half of STALE_MS, taken over once older than that), in a
 * few lines here: proper-lockfile loads graceful-fs and takes ~15 ms to import, a tenth of a run with nothing new.
 */
import { createHash } from "node:crypto"
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs"
import { join } from "node:path"
import { UsageHubError } from "../errors.js"
import { type Env, xdgStateHome } from "../paths.js"
import type { SourceCursor } from "./reader.js"
import type { CollectStateHeader } from "./state-schema.js"

export type { CollectStateHeader }

/** `$XDG_STATE_HOME/usage-hub/collect` (or `~/.local/state/usage-hub/collect`). */
export function defaultStateDir(env: Env = process.env): string {
  return join(xdgStateHome(env), "usage-hub", "collect")
}

/** A JSON object: not null, not an array. */
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** The only check of the ids line, an object (`idsSchema` of state-schema.ts is this); each value when it is read. */
export function isIdsObject(value: unknown): value is Record<string, number> {
  return isObject(value)
}

const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v)

/**
 * The header `headerSchema` (state-schema.ts) gives for `value` when it is a well-formed version 2 header, built
 * without zod (every round reads it, and a round with nothing new loads no schema); `undefined` for anything else,
 * which then goes through the schema. Same output (unknown keys left out); tested against the schema.
 */
export function readHeaderFast(value: unknown): CollectStateHeader | undefined {
  if (!isObject(value)) return undefined
  const { version, target, sources } = value
  if (version !== 2 || typeof target !== "string" || !isObject(sources)) return undefined
  const out: Record<string, SourceCursor> = {}
  for (const [path, c] of Object.entries(sources)) {
    // "__proto__" (an own key of JSON.parse's object) is left to the schema.
    if (path === "__proto__" || !isObject(c)) return undefined
    const { size, mtimeMs, offset, updatedAt } = c
    if (!isFiniteNumber(size) || !isFiniteNumber(mtimeMs)) return undefined
    if ((offset !== undefined && !isFiniteNumber(offset)) || (updatedAt !== undefined && !isFiniteNumber(updatedAt))) {
      return undefined
    }
    const cursor: SourceCursor = { size, mtimeMs }
    if (offset !== undefined) cursor.offset = offset
    if (updatedAt !== undefined) cursor.updatedAt = updatedAt
    out[path] = cursor
  }
  return { version: 2, target, sources: out }
}

/**
 * The ids: parsed; or the bytes of their line (with its newline); or where that line is in the file as read (kept
 * open, so that a state file replaced meanwhile cannot mix two states), read and parsed when first needed.
 */
type Ids = { parsed: Record<string, number> } | { bytes: Buffer } | { fd: number; start: number; end: number }

const sameCursor = (a: SourceCursor | undefined, b: SourceCursor): boolean =>
  a !== undefined &&
  a.size === b.size &&
  a.mtimeMs === b.mtimeMs &&
  a.offset === b.offset &&
  a.updatedAt === b.updatedAt

/** What the file was when read: a state file that has not changed since need not be read again. */
function fileStamp(path: string): string | undefined {
  try {
    const s = statSync(path)
    return `${s.size}:${s.mtimeMs}:${s.ino}`
  } catch {
    return undefined
  }
}

/** The state file of a target: a hash of its kind and location, so each target keeps its own cursors. */
export function stateFileFor(dir: string, target: { kind: string; location: string }): string {
  const key = createHash("sha256").update(`${target.kind}\n${target.location}`).digest("hex").slice(0, 16)
  return join(dir, `${key}.json`)
}

/** Lock staleness: a holder refreshes the lock every half of it; a dead holder's lock is taken after it. */
const STALE_MS = 10_000

/**
 * Takes the lock directory `<file>.lock` (mkdir is atomic), taking over one not refreshed for STALE_MS (its holder
 * died); the release function, or undefined when another process holds it.
 */
function takeLock(file: string): (() => void) | undefined {
  const dir = `${file}.lock`
  try {
    mkdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
    let mtime: number
    try {
      mtime = statSync(dir).mtimeMs
    } catch {
      return undefined // released meanwhile: the caller says it is busy, as a lock taken by another would
    }
    if (Date.now() - mtime <= STALE_MS) return undefined
    try {
      rmSync(dir, { recursive: true, force: true })
      mkdirSync(dir)
    } catch {
      return undefined // another collector took it over first
    }
  }
  const refresh = setInterval(() => {
    const now = new Date()
    try {
      utimesSync(dir, now, now)
    } catch {}
  }, STALE_MS / 2)
  refresh.unref()
  const release = () => {
    clearInterval(refresh)
    process.off("exit", release)
    rmSync(dir, { recursive: true, force: true })
  }
  // A process that ends without unlocking (an error, process.exit) leaves no lock behind.
  process.on("exit", release)
  return release
}

export class CollectState {
  private header: CollectStateHeader
  private ids: Ids
  private release?: () => void
  /** Changed since it was read or saved (a round with nothing new writes nothing). */
  private dirty = false
  /** The file as it was when read or written. */
  private stamp: string | undefined

  private constructor(
    readonly path: string,
    target: string,
    read: StateFile | undefined,
  ) {
    this.header = read?.header ?? { version: 2, target, sources: {} }
    this.ids = read?.ids ?? { parsed: {} }
    // A version 1 file is written in two lines by the next save, even when nothing changed.
    this.dirty = read?.versionOne ?? false
  }

  /**
   * Reads the state of a target (a missing or unreadable state is an empty one: identity makes collecting again
   * add nothing). Does not lock: `lock()` takes the lock and reads the state again (another collector may have
   * moved it on meanwhile).
   */
  static async load(path: string, target: string): Promise<CollectState> {
    const read = await readState(path)
    const state = new CollectState(path, target, read)
    state.stamp = read?.stamp ?? fileStamp(path)
    return state
  }

  cursor(source: string): SourceCursor | undefined {
    return this.header.sources[source]
  }

  /** The ids line's bytes, read from the file as read when not read yet. */
  private idsBytes(): Buffer | undefined {
    if ("fd" in this.ids) {
      const { fd, start, end } = this.ids
      try {
        this.ids = { bytes: readAt(fd, start, end) }
      } catch {
        this.ids = { parsed: {} }
      } finally {
        closeSync(fd)
      }
    }
    return "bytes" in this.ids ? this.ids.bytes : undefined
  }

  /** The ids, parsed on first use (an unreadable ids line is an empty one, like an unreadable state). */
  private get firstSeenIds(): Record<string, number> {
    if (!("parsed" in this.ids)) this.ids = { parsed: parseIds(this.idsBytes()?.toString("utf8") ?? "") ?? {} }
    return this.ids.parsed
  }

  /** Forgets the ids as read (closing the file). */
  private dropIds(): void {
    if ("fd" in this.ids) closeSync(this.ids.fd)
    this.ids = { parsed: {} }
  }

  firstSeen(id: string): number | undefined {
    const ids = this.firstSeenIds
    if (!Object.hasOwn(ids, id)) return undefined
    const ms = ids[id]
    return typeof ms === "number" && Number.isFinite(ms) ? ms : undefined
  }

  /** Records what a delivered round read: its cursors and the first timestamps of its new ids. */
  advance(cursors: ReadonlyMap<string, SourceCursor>, firstSeen: ReadonlyMap<string, number>): void {
    for (const [path, cursor] of cursors) {
      if (sameCursor(this.header.sources[path], cursor)) continue
      this.header.sources[path] = cursor
      this.dirty = true
    }
    for (const [id, ms] of firstSeen) {
      if (this.firstSeen(id) !== undefined) continue
      this.firstSeenIds[id] = ms
      this.dirty = true
    }
  }

  /** Writes the state atomically (temporary file in the same folder, then a rename), when it changed. */
  save(): void {
    if (!this.dirty) return
    const tmp = `${this.path}.${process.pid}.tmp`
    try {
      mkdirSync(join(this.path, ".."), { recursive: true })
      const header = `${JSON.stringify(this.header)}\n`
      // Ids not parsed (only cursors moved): their line is copied as it is.
      const bytes = this.idsBytes()
      if (bytes) writeFileSync(tmp, Buffer.concat([Buffer.from(header), bytes]))
      else if ("parsed" in this.ids) writeFileSync(tmp, `${header}${JSON.stringify(this.ids.parsed)}\n`)
      renameSync(tmp, this.path)
      this.dirty = false
      this.stamp = fileStamp(this.path)
    } catch (error) {
      rmSync(tmp, { force: true })
      throw new UsageHubError("FILE_ERROR", `cannot write the collect state ${this.path}: ${(error as Error).message}`)
    }
  }

  private get pidPath(): string {
    return `${this.path}.pid`
  }

  /**
   * Takes the lock of this target's state, or says who holds it: `{heldBy: pid}` (the pid may be unknown when the
   * holder has not written it yet).
   */
  async tryLock(): Promise<{ ok: true } | { ok: false; heldBy?: number }> {
    mkdirSync(join(this.path, ".."), { recursive: true })
    try {
      this.release = takeLock(this.path)
    } catch (error) {
      throw new UsageHubError("FILE_ERROR", `cannot lock the collect state ${this.path}: ${(error as Error).message}`)
    }
    if (!this.release) {
      let heldBy: number | undefined
      try {
        heldBy = Number.parseInt(readFileSync(this.pidPath, "utf8"), 10) || undefined
      } catch {}
      return { ok: false, heldBy }
    }
    writeFileSync(this.pidPath, String(process.pid))
    // Another collector may have moved the state on since it was read: read it again, unless the file is unchanged.
    const stamp = fileStamp(this.path)
    if (stamp !== this.stamp) {
      const read = await readState(this.path)
      if (read) {
        this.dropIds()
        this.header = read.header
        this.ids = read.ids
        this.dirty ||= read.versionOne ?? false
      }
      this.stamp = read?.stamp ?? stamp
    }
    return { ok: true }
  }

  /** Takes the lock, or fails with one line naming the holder. */
  async lock(): Promise<void> {
    const got = await this.tryLock()
    if (!got.ok) throw busy(got.heldBy)
  }

  /** Ends the use of the state: the lock released, the file as read closed (load it again to use it again). */
  async unlock(): Promise<void> {
    if ("fd" in this.ids) this.dropIds()
    if (!this.release) return
    rmSync(this.pidPath, { force: true })
    const release = this.release
    this.release = undefined
    try {
      release()
    } catch {}
  }
}

interface StateFile {
  header: CollectStateHeader
  ids: Ids
  stamp: string
  versionOne?: boolean
}

const NEWLINE = 0x0a
const CHUNK = 64 * 1024

/** Bytes [start, end) of an open file. */
function readAt(fd: number, start: number, end: number): Buffer {
  const buffer = Buffer.alloc(end - start)
  let filled = 0
  while (filled < buffer.length) {
    const n = readSync(fd, buffer, filled, buffer.length - filled, start + filled)
    if (n === 0) break
    filled += n
  }
  return buffer.subarray(0, filled)
}

/**
 * The state file's header, its ids line left in the file (kept open) until needed; a version 1 file whole.
 * Undefined when missing or unreadable. The schemas (zod) are loaded only for a header the fast check does not take.
 */
async function readState(path: string): Promise<StateFile | undefined> {
  let fd: number
  try {
    fd = openSync(path, "r")
  } catch {
    return undefined
  }
  let keepOpen = false
  try {
    const stat = fstatSync(fd)
    const stamp = `${stat.size}:${stat.mtimeMs}:${stat.ino}`
    // The header: the bytes up to the first newline, read a chunk at a time.
    const chunks: Buffer[] = []
    let read = 0
    let end = -1
    while (end === -1 && read < stat.size) {
      const chunk = readAt(fd, read, Math.min(stat.size, read + CHUNK))
      if (chunk.length === 0) break
      const at = chunk.indexOf(NEWLINE)
      if (at !== -1) end = read + at
      chunks.push(chunk)
      read += chunk.length
    }
    const bytes = Buffer.concat(chunks)
    const first: unknown = JSON.parse(bytes.toString("utf8", 0, end === -1 ? bytes.length : end))
    if ((first as { version?: unknown } | null)?.version === 1) {
      const { versionOneSchema } = await import("./state-schema.js")
      const parsed = versionOneSchema.safeParse(first)
      if (!parsed.success) return undefined
      const { firstSeen, ...header } = parsed.data
      return { header: { ...header, version: 2 }, ids: { parsed: firstSeen }, stamp, versionOne: true }
    }
    let header = readHeaderFast(first)
    if (!header) {
      const parsed = (await import("./state-schema.js")).headerSchema.safeParse(first)
      header = parsed.success ? parsed.data : undefined
    }
    if (!header || end === -1) return undefined
    keepOpen = true
    return { header, ids: { fd, start: end + 1, end: stat.size }, stamp }
  } catch {
    return undefined
  } finally {
    if (!keepOpen) closeSync(fd)
  }
}

function parseIds(text: string): Record<string, number> | undefined {
  try {
    const parsed: unknown = JSON.parse(text)
    return isIdsObject(parsed) ? parsed : undefined
  } catch {
    return undefined
  }
}

export function busy(pid: number | undefined): UsageHubError {
  return new UsageHubError("FILE_ERROR", `another usage collect is running (pid ${pid ?? "unknown"})`)
}
