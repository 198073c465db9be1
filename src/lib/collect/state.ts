/**
 * The collector's state: one JSON file per target (named by a hash of the target's location) in
 * `$XDG_STATE_HOME/usage-hub/collect/` (`--state-dir` to override), holding a cursor per source path and the first
 * timestamp seen of each call id (DESIGN's identity of agent logs: a copy of a call read later keeps the first
 * instant). Written atomically (a temporary file, then a rename), so a crash leaves the old state or the new one.
 * A lock (proper-lockfile, like the spool's) keeps two collectors of one target on one node from sending the same
 * calls at once; the holder's pid is written beside the lock, so the second one can say who holds it.
 */
import { createHash } from "node:crypto"
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import lockfile from "proper-lockfile"
import { z } from "zod"
import { UsageHubError } from "../errors.js"
import { type Env, xdgStateHome } from "../paths.js"
import type { SourceCursor } from "./reader.js"

/** `$XDG_STATE_HOME/usage-hub/collect` (or `~/.local/state/usage-hub/collect`). */
export function defaultStateDir(env: Env = process.env): string {
  return join(xdgStateHome(env), "usage-hub", "collect")
}

const cursorSchema = z.object({
  size: z.number(),
  mtimeMs: z.number(),
  offset: z.number().optional(),
  updatedAt: z.number().optional(),
})

/**
 * The state's shape. `firstSeen` (one entry per call ever collected: hundreds of thousands) is checked as an object
 * only; each value is checked when it is read (`firstSeen()`), so a large state loads without a schema pass per id.
 */
const stateSchema = z.object({
  version: z.literal(1),
  /** The target, for people reading the folder (no secrets). */
  target: z.string(),
  /** Cursor per source path. */
  sources: z.record(z.string(), cursorSchema),
  /** First timestamp (epoch ms) seen of each call id. */
  firstSeen: z.custom<Record<string, number>>(
    (v) => typeof v === "object" && v !== null && !Array.isArray(v),
    "must be an object of call ids",
  ),
})

export type CollectStateData = z.output<typeof stateSchema>

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

export class CollectState {
  private data: CollectStateData
  private release?: () => Promise<void>
  /** Changed since it was read or saved (a round with nothing new writes nothing). */
  private dirty = false
  /** The file as it was when read or written. */
  private stamp: string | undefined

  private constructor(
    readonly path: string,
    target: string,
    data: CollectStateData | undefined,
  ) {
    this.data = data ?? { version: 1, target, sources: {}, firstSeen: {} }
  }

  /**
   * Reads the state of a target (a missing or unreadable state is an empty one: identity makes collecting again
   * add nothing). Does not lock: `lock()` takes the lock and reads the state again (another collector may have
   * moved it on meanwhile).
   */
  static load(path: string, target: string): CollectState {
    const stamp = fileStamp(path)
    const state = new CollectState(path, target, readState(path))
    state.stamp = stamp
    return state
  }

  cursor(source: string): SourceCursor | undefined {
    return this.data.sources[source]
  }

  firstSeen(id: string): number | undefined {
    if (!Object.hasOwn(this.data.firstSeen, id)) return undefined
    const ms = this.data.firstSeen[id]
    return typeof ms === "number" && Number.isFinite(ms) ? ms : undefined
  }

  /** Records what a delivered round read: its cursors and the first timestamps of its new ids. */
  advance(cursors: ReadonlyMap<string, SourceCursor>, firstSeen: ReadonlyMap<string, number>): void {
    for (const [path, cursor] of cursors) {
      if (sameCursor(this.data.sources[path], cursor)) continue
      this.data.sources[path] = cursor
      this.dirty = true
    }
    for (const [id, ms] of firstSeen) {
      if (this.firstSeen(id) !== undefined) continue
      this.data.firstSeen[id] = ms
      this.dirty = true
    }
  }

  /** Writes the state atomically (temporary file in the same folder, then a rename), when it changed. */
  save(): void {
    if (!this.dirty) return
    const tmp = `${this.path}.${process.pid}.tmp`
    try {
      mkdirSync(join(this.path, ".."), { recursive: true })
      writeFileSync(tmp, JSON.stringify(this.data))
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
      this.release = await lockfile.lock(this.path, { stale: STALE_MS, realpath: false, retries: 0 })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ELOCKED") {
        throw new UsageHubError("FILE_ERROR", `cannot lock the collect state ${this.path}: ${(error as Error).message}`)
      }
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
      this.data = readState(this.path) ?? this.data
      this.stamp = stamp
    }
    return { ok: true }
  }

  /** Takes the lock, or fails with one line naming the holder. */
  async lock(): Promise<void> {
    const got = await this.tryLock()
    if (!got.ok) throw busy(got.heldBy)
  }

  async unlock(): Promise<void> {
    if (!this.release) return
    rmSync(this.pidPath, { force: true })
    const release = this.release
    this.release = undefined
    await release().catch(() => undefined)
  }
}

function readState(path: string): CollectStateData | undefined {
  try {
    const parsed = stateSchema.safeParse(JSON.parse(readFileSync(path, "utf8")))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

export function busy(pid: number | undefined): UsageHubError {
  return new UsageHubError("FILE_ERROR", `another usage collect is running (pid ${pid ?? "unknown"})`)
}
