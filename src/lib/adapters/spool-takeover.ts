/**
 * The spool's takeover seam: locks (one `lockSpool()`, proper-lockfile), and the spools of other processes in a
 * spool directory: those that can be claimed now (`findOrphans`: released or stale locks, always taken under
 * their lock), those still locked (`lockedSpools`: when each lock goes stale, whether its process looks dead),
 * and the claim itself (`claimOrphan`: an atomic rename, then its unacknowledged complete lines are handed to
 * the live spool and the file deleted). A pid that looks dead on this host is only a hint (it may live in
 * another PID namespace sharing the hostname): it never skips the lock. Plugin-safe: node:fs only.
 */
import { randomUUID } from "node:crypto"
import { open, readdir, rename, rm, stat, unlink } from "node:fs/promises"
import { hostname } from "node:os"
import { join } from "node:path"
import lockfile from "proper-lockfile"
import { readAck, readCompleteLines, SPOOL_NAME } from "../delivery/spool-dir.js"

export interface TakeoverLogger {
  info?(message: string): void
  warn(message: string): void
}

/** Paths of spools held by adapters of this process (several adapters may run in one process). */
export const HELD = new Set<string>()

/** Slack past a lock's refresh interval (staleMs / 2) before its holder looks dead (a busy event loop). */
const OVERDUE_MS = 1000

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

/** A spool file of a process that is gone, found in the spool directory, and locked by us. */
export interface Orphan {
  path: string
  /** Release of the lock we took on it. */
  release: () => Promise<void>
}

function hostTag(): string {
  return (
    hostname()
      .replace(/[^A-Za-z0-9_-]/g, "_")
      .slice(0, 64) || "host"
  )
}

export function newSpoolName(): string {
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

/**
 * Locks a spool file (no retries: a held lock rejects at once). A lock not refreshed for `staleMs` is stale
 * (its holder is dead) and may be taken. `onCompromised`: the lock was lost while held (default: ignored).
 */
export function lockSpool(
  path: string,
  staleMs: number,
  onCompromised: (error: Error) => void = () => {},
): Promise<() => Promise<void>> {
  return lockfile.lock(path, { stale: staleMs, realpath: false, retries: 0, onCompromised })
}

/** Whether spool `name` (of `dir`) belongs to another process and is not held by this one. */
function otherSpool(dir: string, ownPath: string, name: string): { path: string; match: RegExpExecArray } | undefined {
  const match = SPOOL_NAME.exec(name)
  const path = join(dir, name)
  if (!match || path === ownPath || HELD.has(path)) return undefined
  return { path, match }
}

/** Our pid on a spool this process does not hold: an earlier process of that pid (a container's pid 1). */
function pidLooksDead(match: RegExpExecArray): boolean {
  const pid = Number(match[2])
  return match[1] === hostTag() && (pid === process.pid || !isAlive(pid))
}

/**
 * Locks the spools of `dir` that can be claimed now. `hinted`: spools whose pid looks dead but whose lock was
 * fresh, already given a look-again time (once each); `checkAt` is when the first such new one goes stale.
 */
export async function findOrphans(
  dir: string,
  ownPath: string,
  staleMs: number,
  hinted: Set<string>,
): Promise<{ orphans: Orphan[]; checkAt?: number }> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return { orphans: [] }
  }
  const orphans: Orphan[] = []
  let checkAt: number | undefined
  for (const name of names) {
    const other = otherSpool(dir, ownPath, name)
    if (!other) continue
    const { path, match } = other
    // Always under its lock: a pid that is not alive here may be alive in another PID namespace.
    try {
      const release = await lockSpool(path, staleMs)
      orphans.push({ path, release })
      hinted.delete(path)
    } catch {
      // Locked by a live process, or by a dead one whose lock is not stale yet.
      if (!pidLooksDead(match) || hinted.has(path)) continue
      const at = await lockStaleAt(path, staleMs)
      if (at === undefined) continue
      hinted.add(path)
      checkAt = checkAt === undefined ? at : Math.min(checkAt, at)
    }
  }
  return { orphans, checkAt }
}

/**
 * The spools of other processes in `dir` whose lock is held and not stale (a spool whose lock is released or
 * stale is not listed: `findOrphans` takes it at once).
 */
export async function lockedSpools(dir: string, ownPath: string, staleMs: number): Promise<LockedSpool[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return []
  }
  const now = Date.now()
  const out: LockedSpool[] = []
  for (const name of names) {
    const other = otherSpool(dir, ownPath, name)
    if (!other) continue
    let lockMtimeMs: number
    try {
      lockMtimeMs = (await stat(`${other.path}.lock`)).mtimeMs
    } catch {
      continue // no lock: claimable now
    }
    const staleAt = Math.ceil(lockMtimeMs) + staleMs + 50
    if (staleAt <= now) continue // stale: claimable now
    const overdue = now - lockMtimeMs > staleMs / 2 + OVERDUE_MS
    out.push({ path: other.path, lockMtimeMs, staleAt, looksDead: pidLooksDead(other.match) || overdue })
  }
  return out
}

/** When the lock of `path` goes stale if nobody refreshes it (undefined: no lock to read). */
async function lockStaleAt(path: string, staleMs: number): Promise<number | undefined> {
  try {
    const { mtimeMs } = await stat(`${path}.lock`)
    return Math.ceil(mtimeMs) + staleMs + 50
  } catch {
    return undefined
  }
}

export interface ClaimOptions {
  dir: string
  staleMs: number
  logger: TakeoverLogger
  /** Writes lines into the live spool, durably (in order; each call completes before the next). */
  write: (lines: string[]) => Promise<void>
}

/**
 * Claims a locked orphan (atomic rename to a name of ours, under our lock), hands its unacknowledged complete
 * lines to `write`, then deletes it. Returns the number of lines taken over (0: another process claimed it).
 */
export async function claimOrphan(orphan: Orphan, options: ClaimOptions): Promise<number> {
  const claim = join(options.dir, newSpoolName())
  const releaseClaim = await lockSpool(claim, options.staleMs)
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
    // An ack write the dead process never renamed: the old ack stands, the temporary file goes.
    await rm(`${orphan.path}.ack.tmp`, { force: true })
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
        await options.write(lines)
        taken += lines.length
        from = ends[ends.length - 1]
      }
    } finally {
      await handle.close()
    }
    if (torn) options.logger.warn(`usage-hub: skipped a torn last line in spool ${orphan.path} (a crash mid-write)`)
    if (taken > 0) options.logger.info?.(`usage-hub: took over ${taken} undelivered records from ${orphan.path}`)
    await unlink(claim)
    await unlink(`${claim}.ack`).catch(() => undefined)
    return taken
  } finally {
    HELD.delete(claim)
    await releaseClaim().catch(() => undefined)
  }
}
