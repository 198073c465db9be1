/**
 * The HttpIngestAdapter's spool: an append-only NDJSON file on disk that every record reaches before
 * `saveRecord` resolves, and leaves only once the service acknowledged it. Appends are grouped (one write and
 * one fdatasync every few milliseconds); acknowledgement is an offset in a sidecar file (`<spool>.ack`, written
 * atomically); the file is compacted when everything is acknowledged (truncation) or when a large acknowledged
 * prefix builds up (atomic rewrite of the tail). Offsets given out are logical (they survive compaction).
 *
 * Each process (each adapter) owns one file `spool.<host>.<pid>.<rand>.ndjson` in the spool directory, locked
 * with proper-lockfile. Spools left by dead processes are claimed, always under their lock (released, or stale:
 * not refreshed for `staleMs`), by an atomic rename; their unacknowledged lines are copied into the live spool,
 * then deleted; a torn last line (a crash mid-write) is skipped. A pid that looks dead on this host is only a
 * hint (it may live in another PID namespace sharing the hostname): it never skips the lock, it only says when
 * to look again (`nextOrphanCheckAt`, when that lock goes stale). `lockedSpools()` lists the spools still
 * locked, with when each lock goes stale and whether its process looks dead (its pid is not running here, or
 * its lock is overdue for a refresh): a flush waits for those to be claimable before its deadline.
 * Plugin-safe: node:fs only (Bun implements it).
 */
import { randomUUID } from "node:crypto"
import {
  appendFile,
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from "node:fs/promises"
import { hostname } from "node:os"
import { join } from "node:path"
import lockfile from "proper-lockfile"
import { UsageHubError } from "../errors.js"

export interface SpoolLogger {
  info?(message: string): void
  warn(message: string): void
  error(message: string): void
}

export interface SpoolOptions {
  dir: string
  /** fdatasync each group of appends (durable across power loss, not only process crashes). Default true. */
  fsync?: boolean
  /** A lock not refreshed for this long belongs to a dead process (proper-lockfile; at least 2000). Default 10000. */
  staleMs?: number
  /** How long appends are grouped before one write. Default 2 ms. */
  appendDelayMs?: number
  /** Rewrite the file once an acknowledged prefix this large is at least half of it. Default 4 MiB. */
  compactBytes?: number
  /** Cap on unacknowledged bytes; appends beyond it are refused (the adapter logs and counts them). */
  maxBytes?: number
  /** Told, synchronously, of each append refused because the cap is reached. */
  onRefused?: (error: SpoolFullError) => void
  logger: SpoolLogger
  /**
   * Called, in order, after each group of lines is on disk, with each line's logical end offset and where the
   * lines came from (`append`, or `takeover` of a dead process's spool).
   */
  onWritten?: (lines: readonly string[], ends: readonly number[], origin: "append" | "takeover") => void
  /** Tests: wraps the handle appends go through (e.g. to make a write or a datasync fail). */
  wrapAppendHandle?: (handle: FileHandle) => FileHandle
}

export interface SpoolLines {
  lines: string[]
  /** Logical end offset of each line (the offset to acknowledge once it is delivered). */
  ends: number[]
}

const NAME = /^spool\.([A-Za-z0-9_-]+)\.(\d+)\.([0-9a-z]+)\.ndjson$/
const READ_CHUNK = 1024 * 1024
/** Paths of spools held by adapters of this process (several adapters may run in one process). */
const HELD = new Set<string>()

export const DEAD_LETTER_FILE = "dead-letter.ndjson"

function hostTag(): string {
  return (
    hostname()
      .replace(/[^A-Za-z0-9_-]/g, "_")
      .slice(0, 64) || "host"
  )
}

function newSpoolName(): string {
  return `spool.${hostTag()}.${process.pid}.${randomUUID().replace(/-/g, "").slice(0, 10)}.ndjson`
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

async function readAck(path: string): Promise<number> {
  try {
    const n = Number((await readFile(`${path}.ack`, "utf8")).trim())
    return Number.isSafeInteger(n) && n >= 0 ? n : 0
  } catch {
    return 0
  }
}

async function writeAck(path: string, offset: number): Promise<void> {
  const tmp = `${path}.ack.tmp`
  await writeFile(tmp, String(offset))
  await rename(tmp, `${path}.ack`)
}

/**
 * Reads complete lines of `handle` from physical offset `from` up to `to`, at most `maxLines`. A last line
 * without its newline (torn by a crash) is not returned. `ends` are physical end offsets.
 */
async function readCompleteLines(handle: FileHandle, from: number, to: number, maxLines: number): Promise<SpoolLines> {
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

/** A spool of another process whose lock is held (not stale yet), as `lockedSpools()` finds it. */
export interface LockedSpool {
  path: string
  /** The lock's mtime: a live holder refreshes it every staleMs / 2 (a change means the holder lives). */
  lockMtimeMs: number
  /** When the lock goes stale (and the spool can be taken over) if nobody refreshes it. */
  staleAt: number
  /**
   * Its process looks dead: a pid of this host that is not running, or a lock not refreshed for more than
   * staleMs / 2 + OVERDUE_MS. Only a hint (the pid may live in another PID namespace): the lock decides.
   */
  looksDead: boolean
}

/** Slack past a lock's refresh interval (staleMs / 2) before its holder looks dead (a busy event loop). */
const OVERDUE_MS = 1000

/** A spool file of a process that is gone, found in the spool directory, and locked by us. */
interface Orphan {
  path: string
  /** Release of the lock we took on it. */
  release: () => Promise<void>
}

export class Spool {
  readonly dir: string
  readonly path: string
  private readonly fsync: boolean
  private readonly staleMs: number
  private readonly appendDelayMs: number
  private readonly compactBytes: number
  private readonly maxBytes: number
  private readonly logger: SpoolLogger
  private readonly onWritten?: SpoolOptions["onWritten"]
  private readonly onRefused?: SpoolOptions["onRefused"]
  private readonly wrapAppendHandle: (handle: FileHandle) => FileHandle

  private appendHandle!: FileHandle
  private readHandle!: FileHandle
  private releaseLock?: () => Promise<void>
  /** Logical offset of physical byte 0. */
  private base = 0
  /** Bytes written (and synced) in the physical file. */
  private physicalSize = 0
  /** Logical offset up to which everything is acknowledged. */
  private ackLogical = 0
  private chain: Promise<unknown> = Promise.resolve()
  private buffer: string[] = []
  private bufferBytes = 0
  /** The promise shared by the lines of the group being buffered (one per group, not per line). */
  private group?: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void }
  private timer?: ReturnType<typeof setTimeout>
  private closed = false
  private compromised = false
  /** Set when a failed write could not be cut off the file: appends are refused from then on. */
  private broken?: string
  /** Spools whose pid looks dead but whose lock was fresh, already given a look-again time (once each). */
  private readonly hinted = new Set<string>()
  /**
   * When a spool of this host whose pid looks dead, but whose lock was fresh at the last look, will have a
   * stale lock: call `takeOverOrphans()` again then (each such spool is hinted once; afterwards it is taken as
   * a live process's, left to the periodic look).
   */
  nextOrphanCheckAt?: number

  private constructor(options: SpoolOptions, path: string) {
    this.dir = options.dir
    this.path = path
    this.fsync = options.fsync ?? true
    this.staleMs = Math.max(2000, options.staleMs ?? 10_000)
    this.appendDelayMs = options.appendDelayMs ?? 2
    this.compactBytes = options.compactBytes ?? 4 * 1024 * 1024
    this.maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY
    this.logger = options.logger
    this.onWritten = options.onWritten
    this.onRefused = options.onRefused
    this.wrapAppendHandle = options.wrapAppendHandle ?? ((handle) => handle)
  }

  /** Creates and locks this process's spool file in `dir`. Call `takeOverOrphans()` to replay dead spools. */
  static async open(options: SpoolOptions): Promise<Spool> {
    try {
      await mkdir(options.dir, { recursive: true })
    } catch (error) {
      throw new UsageHubError("FILE_ERROR", `cannot create spool directory ${options.dir}: ${(error as Error).message}`)
    }
    const spool = new Spool(options, join(options.dir, newSpoolName()))
    await spool.openFiles(true)
    return spool
  }

  private async openFiles(lock: boolean): Promise<void> {
    if (lock) {
      this.releaseLock = await lockfile.lock(this.path, {
        stale: this.staleMs,
        realpath: false,
        retries: 0,
        onCompromised: (error) => this.onCompromised(error),
      })
      HELD.add(this.path)
    }
    this.appendHandle = this.wrapAppendHandle(await open(this.path, "a"))
    this.readHandle = await open(this.path, "r")
  }

  private onCompromised(error: Error): void {
    if (this.closed || this.compromised) return
    this.compromised = true
    this.logger.error(
      `usage-hub: the lock of spool ${this.path} was lost (${error.message}); another process may take it over and deliver its records`,
    )
  }

  /** Logical offset of the end of what is on disk. */
  get size(): number {
    return this.base + this.physicalSize
  }

  get acknowledged(): number {
    return this.ackLogical
  }

  /** Bytes waiting for acknowledgement (on disk or about to be). */
  get pendingBytes(): number {
    return this.size - this.ackLogical + this.bufferBytes
  }

  private run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn)
    this.chain = next.catch(() => undefined)
    return next
  }

  /**
   * Appends one record line (JSON, no newline); resolves once it is written (and synced) together with the
   * other lines of its group. Rejects when the spool is closed or its size cap is reached.
   */
  append(line: string): Promise<void> {
    if (this.closed) return Promise.reject(new UsageHubError("FILE_ERROR", `spool ${this.path} is closed`))
    if (this.broken) return Promise.reject(new UsageHubError("FILE_ERROR", this.broken))
    const bytes = Buffer.byteLength(line) + 1
    if (this.pendingBytes + bytes > this.maxBytes) {
      const error = new SpoolFullError(this.path, this.maxBytes)
      this.onRefused?.(error)
      return Promise.reject(error)
    }
    this.buffer.push(line)
    this.bufferBytes += bytes
    if (!this.group) {
      let resolve!: () => void
      let reject!: (error: Error) => void
      const promise = new Promise<void>((res, rej) => {
        resolve = res
        reject = rej
      })
      this.group = { promise, resolve, reject }
    }
    const done = this.group.promise
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        void this.writeGroup()
      }, this.appendDelayMs)
    }
    return done
  }

  /** Writes the buffered lines now (close, flush). */
  flushAppends(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    return this.writeGroup()
  }

  private writeGroup(): Promise<void> {
    return this.run(async () => {
      if (this.buffer.length === 0) return
      const lines = this.buffer
      const group = this.group!
      this.buffer = []
      this.group = undefined
      this.bufferBytes = 0
      try {
        await this.writeLines(lines, "append")
        group.resolve()
      } catch (error) {
        const failure = new UsageHubError("FILE_ERROR", `cannot write spool ${this.path}: ${(error as Error).message}`)
        this.logger.error(`usage-hub: ${failure.message}; ${lines.length} records not accepted`)
        group.reject(failure)
      }
    })
  }

  /**
   * Inside the chain: one write (and sync) of lines, then `onWritten`. A write that fails (torn by ENOSPC, or
   * a failed datasync) is cut off the file again before the error goes on: its lines were not accepted, and
   * bytes left past `physicalSize` would shift every later offset and glue the next lines to a torn one.
   */
  private async writeLines(lines: readonly string[], origin: "append" | "takeover"): Promise<void> {
    const data = `${lines.join("\n")}\n`
    try {
      await this.appendHandle.write(data)
      if (this.fsync) await this.appendHandle.datasync()
    } catch (error) {
      await this.cutFailedWrite(error as Error)
      throw error
    }
    const ends: number[] = []
    let at = this.size
    for (const line of lines) {
      at += Buffer.byteLength(line) + 1
      ends.push(at)
    }
    this.physicalSize += Buffer.byteLength(data)
    this.onWritten?.(lines, ends, origin)
  }

  /** Inside the chain: truncates the file back to what was counted; if even that fails, refuses appends. */
  private async cutFailedWrite(cause: Error): Promise<void> {
    try {
      await this.appendHandle.truncate(this.physicalSize)
    } catch (error) {
      this.broken =
        `spool ${this.path} is unusable: a failed write (${cause.message}) could not be cut off ` +
        `(${(error as Error).message}); what it holds goes to the next process`
      this.logger.error(`usage-hub: ${this.broken}`)
    }
  }

  /** Reads up to `maxLines` complete lines from logical offset `from` (what is on disk). */
  read(from: number, maxLines: number): Promise<SpoolLines> {
    return this.run(async () => {
      const start = Math.max(0, from - this.base)
      const { lines, ends } = await readCompleteLines(this.readHandle, start, this.physicalSize, maxLines)
      return { lines, ends: ends.map((e) => e + this.base) }
    })
  }

  /** Marks everything up to logical `offset` acknowledged; compacts the file when worthwhile. */
  acknowledge(offset: number): Promise<void> {
    return this.run(async () => {
      if (offset <= this.ackLogical) return
      this.ackLogical = Math.min(offset, this.size)
      const physicalAck = this.ackLogical - this.base
      // The ack offset goes to 0 BEFORE the file changes: a crash in between resends acknowledged records
      // (the service counts them as duplicates) instead of skipping unacknowledged ones.
      if (physicalAck === this.physicalSize) {
        await writeAck(this.path, 0)
        await this.appendHandle.truncate(0)
        this.base += this.physicalSize
        this.physicalSize = 0
      } else if (physicalAck >= this.compactBytes && physicalAck * 2 >= this.physicalSize) {
        await this.rewriteTail(physicalAck)
      } else {
        await writeAck(this.path, physicalAck)
      }
    })
  }

  /** Inside the chain: replaces the file by its unacknowledged tail (atomic rename). */
  private async rewriteTail(physicalAck: number): Promise<void> {
    const tmp = `${this.path}.compact`
    const out = await open(tmp, "w")
    try {
      let position = physicalAck
      const chunk = Buffer.allocUnsafe(READ_CHUNK)
      while (position < this.physicalSize) {
        const { bytesRead } = await this.readHandle.read(
          chunk,
          0,
          Math.min(READ_CHUNK, this.physicalSize - position),
          position,
        )
        if (bytesRead === 0) break
        await out.write(chunk.subarray(0, bytesRead))
        position += bytesRead
      }
      await out.datasync()
    } finally {
      await out.close()
    }
    await writeAck(this.path, 0)
    await rename(tmp, this.path)
    await this.appendHandle.close()
    await this.readHandle.close()
    await this.openFiles(false)
    this.base += physicalAck
    this.physicalSize -= physicalAck
  }

  /**
   * Finds spools of dead processes in the directory, claims each (atomic rename), copies its unacknowledged
   * complete lines into this spool (durably; `onWritten` sees them), then deletes it. Returns the number of
   * lines taken over.
   */
  async takeOverOrphans(): Promise<number> {
    if (this.closed) return 0
    let taken = 0
    for (const orphan of await this.findOrphans()) {
      try {
        taken += await this.takeOver(orphan)
      } catch (error) {
        this.logger.warn(`usage-hub: could not take over spool ${orphan.path}: ${(error as Error).message}`)
      } finally {
        await orphan.release().catch(() => undefined)
      }
    }
    return taken
  }

  private async findOrphans(): Promise<Orphan[]> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch {
      return []
    }
    const host = hostTag()
    const orphans: Orphan[] = []
    let checkAt: number | undefined
    for (const name of names) {
      const match = NAME.exec(name)
      const path = join(this.dir, name)
      if (!match || path === this.path || HELD.has(path)) continue
      // Always under its lock: a pid that is not alive here may be alive in another PID namespace.
      try {
        const release = await lockfile.lock(path, {
          stale: this.staleMs,
          realpath: false,
          retries: 0,
          onCompromised: () => {},
        })
        orphans.push({ path, release })
        this.hinted.delete(path)
      } catch {
        // Locked by a live process, or by a dead one whose lock is not stale yet.
        const pid = Number(match[2])
        const looksDead = match[1] === host && (pid === process.pid || !isAlive(pid))
        if (!looksDead || this.hinted.has(path)) continue
        const at = await this.lockStaleAt(path)
        if (at === undefined) continue
        this.hinted.add(path)
        checkAt = checkAt === undefined ? at : Math.min(checkAt, at)
      }
    }
    this.nextOrphanCheckAt = checkAt
    return orphans
  }

  /**
   * The spools of other processes in the directory whose lock is held and not stale (a spool whose lock is
   * released or stale is not listed: `takeOverOrphans()` takes it at once).
   */
  async lockedSpools(): Promise<LockedSpool[]> {
    let names: string[]
    try {
      names = await readdir(this.dir)
    } catch {
      return []
    }
    const host = hostTag()
    const now = Date.now()
    const out: LockedSpool[] = []
    for (const name of names) {
      const match = NAME.exec(name)
      const path = join(this.dir, name)
      if (!match || path === this.path || HELD.has(path)) continue
      let lockMtimeMs: number
      try {
        lockMtimeMs = (await stat(`${path}.lock`)).mtimeMs
      } catch {
        continue // no lock: claimable now
      }
      const staleAt = Math.ceil(lockMtimeMs) + this.staleMs + 50
      if (staleAt <= now) continue // stale: claimable now
      const pid = Number(match[2])
      // Our own pid on a spool this process does not hold: an earlier process of that pid (a container's pid 1).
      const deadPid = match[1] === host && (pid === process.pid || !isAlive(pid))
      const overdue = now - lockMtimeMs > this.staleMs / 2 + OVERDUE_MS
      out.push({ path, lockMtimeMs, staleAt, looksDead: deadPid || overdue })
    }
    return out
  }

  /** When the lock of `path` goes stale if nobody refreshes it (undefined: no lock to read). */
  private async lockStaleAt(path: string): Promise<number | undefined> {
    try {
      const { mtimeMs } = await stat(`${path}.lock`)
      return Math.ceil(mtimeMs) + this.staleMs + 50
    } catch {
      return undefined
    }
  }

  private async takeOver(orphan: Orphan): Promise<number> {
    const claim = join(this.dir, newSpoolName())
    const releaseClaim = await lockfile.lock(claim, {
      stale: this.staleMs,
      realpath: false,
      retries: 0,
      onCompromised: () => {},
    })
    HELD.add(claim)
    try {
      try {
        await rename(orphan.path, claim)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0 // another process claimed it first
        throw error
      }
      await rename(`${orphan.path}.ack`, `${claim}.ack`).catch(() => undefined)
      await rm(`${orphan.path}.compact`, { force: true })
      const ack = await readAck(claim)
      const handle = await open(claim, "r")
      let taken = 0
      let torn = false
      try {
        const { size } = await handle.stat()
        let from = ack > size ? 0 : ack
        for (;;) {
          const { lines, ends } = await readCompleteLines(handle, from, size, 10_000)
          if (lines.length === 0) {
            torn = from < size
            break
          }
          await this.run(() => this.writeLines(lines, "takeover"))
          taken += lines.length
          from = ends[ends.length - 1]
        }
      } finally {
        await handle.close()
      }
      if (torn) this.logger.warn(`usage-hub: skipped a torn last line in spool ${orphan.path} (a crash mid-write)`)
      if (taken > 0) this.logger.info?.(`usage-hub: took over ${taken} undelivered records from ${orphan.path}`)
      await unlink(claim)
      await unlink(`${claim}.ack`).catch(() => undefined)
      return taken
    } finally {
      HELD.delete(claim)
      await releaseClaim().catch(() => undefined)
    }
  }

  /**
   * Writes what is buffered and releases the lock. The file stays (for the next process) unless everything in
   * it was acknowledged.
   */
  async close(): Promise<void> {
    if (this.closed) return
    await this.flushAppends()
    this.closed = true
    await this.run(async () => {
      const empty = this.ackLogical >= this.size
      await this.appendHandle.close()
      await this.readHandle.close()
      if (empty) {
        await unlink(this.path).catch(() => undefined)
        await unlink(`${this.path}.ack`).catch(() => undefined)
      }
    })
    HELD.delete(this.path)
    await this.releaseLock?.().catch(() => undefined)
  }
}

export class SpoolFullError extends UsageHubError {
  constructor(path: string, maxBytes: number) {
    super("FILE_ERROR", `spool ${path} is full (${maxBytes} bytes waiting for the service); record dropped`)
  }
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
  await appendFile(join(dir, DEAD_LETTER_FILE), `${text}\n`)
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
    if (!NAME.test(name)) continue
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
