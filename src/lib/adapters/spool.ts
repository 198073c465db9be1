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
 * Locks, the spools of other processes and their claim are in spool-takeover.ts; the directory's layout (names,
 * ack sidecars, line reads, the dead-letter file) in delivery/spool-dir.ts. Plugin-safe: node:fs only.
 */
import { type FileHandle, mkdir, open, rename, unlink } from "node:fs/promises"
import { join } from "node:path"
import { readCompleteLines, type SpoolLines, writeAck } from "../delivery/spool-dir.js"
import { UsageHubError } from "../errors.js"
import {
  claimOrphan,
  findOrphans,
  HELD,
  type LockedSpool,
  lockedSpools,
  lockSpool,
  newSpoolName,
} from "./spool-takeover.js"

export type { SpoolLines } from "../delivery/spool-dir.js"
export type { LockedSpool } from "./spool-takeover.js"

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

const COPY_CHUNK = 1024 * 1024

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
      this.releaseLock = await lockSpool(this.path, this.staleMs, (error) => this.onCompromised(error))
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
      const chunk = Buffer.allocUnsafe(COPY_CHUNK)
      while (position < this.physicalSize) {
        const { bytesRead } = await this.readHandle.read(
          chunk,
          0,
          Math.min(COPY_CHUNK, this.physicalSize - position),
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
    const { orphans, checkAt } = await findOrphans(this.dir, this.path, this.staleMs, this.hinted)
    this.nextOrphanCheckAt = checkAt
    let taken = 0
    for (const orphan of orphans) {
      try {
        taken += await claimOrphan(orphan, {
          dir: this.dir,
          staleMs: this.staleMs,
          logger: this.logger,
          write: (lines) => this.run(() => this.writeLines(lines, "takeover")),
        })
      } catch (error) {
        this.logger.warn(`usage-hub: could not take over spool ${orphan.path}: ${(error as Error).message}`)
      } finally {
        await orphan.release().catch(() => undefined)
      }
    }
    return taken
  }

  /**
   * The spools of other processes in the directory whose lock is held and not stale (a spool whose lock is
   * released or stale is not listed: `takeOverOrphans()` takes it at once).
   */
  lockedSpools(): Promise<LockedSpool[]> {
    return lockedSpools(this.dir, this.path, this.staleMs)
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

export { appendDeadLetters, DEAD_LETTER_FILE, readSpoolDirLines } from "../delivery/spool-dir.js"
