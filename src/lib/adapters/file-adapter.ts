/**
 * FileAdapter: the legacy JSON file as a StorageAdapter, for users who configure nothing. Keeps the legacy
 * format and behaviour (debounced save, pruning of records older than two months, per-period summaries) and
 * fixes what lost data: writes are atomic, an unreadable file is kept aside, and concurrent processes saving
 * one file lose no record (each save re-reads the file and merges by identity under a lock).
 */
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { TZDate } from "@date-fns/tz"
import lockfile from "proper-lockfile"
import { type Clock, systemClock } from "../clock.js"
import {
  getDefaultStoragePath,
  keepAside,
  legacySummaries,
  readLegacyFile,
  serializeStorage,
  type UsageStorage,
  writeFileAtomicSync,
} from "../legacy-storage.js"
import { localTimeZone, type ResetSchedules, startOfDay } from "../periods.js"
import { syncStoreReader } from "../query/store-reader.js"
import { identityKey, type UsageRecord } from "../record.js"
import { MemoryStore } from "../store/memory/store.js"
import type { ProviderUsageSummary, TrendData } from "../summary-types.js"
import type { StorageAdapter } from "./storage-adapter.js"

export interface FileAdapterOptions {
  /** The legacy file; default `~/.config/opencode/oh-my-opencode-usage.json`. */
  storagePath?: string
  clock?: Clock
  /** Save this long after the last change (legacy: 5 s). */
  debounceMs?: number
  /** Zone of period boundaries and pruning (default: local zone). */
  tz?: string
  schedules?: ResetSchedules
  /** Give up waiting for another process's lock after this long (default 30 s). */
  lockTimeoutMs?: number
  /** Where warnings go (default console.warn). */
  warn?: (message: string) => void
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms)
}

/** Records older than the first day of the month two months back (midnight in `tz`) are pruned. */
export function pruneCutoff(now: Date, tz?: string): Date {
  const d = new TZDate(now.getTime(), tz ?? localTimeZone())
  d.setDate(1)
  d.setMonth(d.getMonth() - 2)
  return startOfDay(new Date(d.getTime()), tz)
}

export class FileAdapter implements StorageAdapter {
  readonly storagePath: string
  private readonly clock: Clock
  private readonly debounceMs: number
  private readonly options: FileAdapterOptions
  /** The query plans over the view (and over the merged records when the file is written). */
  private readonly reader: ReturnType<typeof syncStoreReader>
  private view: MemoryStore | undefined
  /** Records of the file that the schema refuses: carried through untouched. */
  private invalid: unknown[] = []
  /** Identities removed here (clearAll/clearProvider): not resurrected by a merge. */
  private readonly removed = new Set<string>()
  private dirty = false
  private timer: ReturnType<typeof setTimeout> | undefined
  private waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = []

  constructor(options: FileAdapterOptions = {}) {
    this.options = options
    this.storagePath = options.storagePath ?? getDefaultStoragePath()
    this.clock = options.clock ?? systemClock
    this.debounceMs = options.debounceMs ?? 5000
    this.reader = syncStoreReader({
      store: () => this.load(),
      clock: this.clock,
      tz: options.tz,
      schedules: options.schedules,
    })
  }

  private warn(message: string): void {
    ;(this.options.warn ?? console.warn)(`[usage-hub] ${message}`)
  }

  /** Reads the file (once): an unreadable file is renamed aside and the adapter starts fresh beside it. */
  load(): MemoryStore {
    if (this.view) return this.view
    const read = readLegacyFile(this.storagePath)
    let records: UsageRecord[] = []
    if (read.status === "ok") {
      records = read.storage.records
      this.invalid = read.invalid
    } else if (read.status === "unreadable") {
      try {
        const aside = keepAside(this.storagePath, this.clock())
        this.warn(`${this.storagePath} could not be read (${read.error}); kept it as ${aside} and started a new file`)
      } catch (error) {
        // Saves re-read the file and refuse to write over content they cannot keep aside.
        this.warn(`${this.storagePath} could not be read (${read.error}) nor set aside (${(error as Error).message})`)
      }
    } else if (read.status === "error") {
      // A passing I/O failure (EMFILE, EACCES…): leave the file alone; the next save reads it again and merges.
      this.warn(`cannot read ${this.storagePath} now (${read.error}); its records will be merged at the next save`)
    }
    const cutoff = pruneCutoff(this.clock(), this.options.tz).getTime()
    const kept = records.filter((r) => r.timestamp.getTime() >= cutoff)
    this.view = new MemoryStore(kept)
    if (kept.length < records.length) this.scheduleSave()
    return this.view
  }

  /** The records this adapter knows (the file's, pruned, plus those saved here). */
  records(): readonly UsageRecord[] {
    return this.load().all()
  }

  /** Adds a record to the view and schedules a save; resolves once a save wrote it. */
  saveRecord(record: UsageRecord): Promise<void> {
    this.load().add(record)
    const written = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }))
    this.scheduleSave()
    return written
  }

  /** Removes matching records from the view and, at the next save, from the file. */
  removeWhere(predicate: (record: UsageRecord) => boolean): void {
    const view = this.load()
    const keep: UsageRecord[] = []
    for (const r of view.all()) {
      if (predicate(r)) this.removed.add(identityKey(r))
      else keep.push(r)
    }
    this.view = new MemoryStore(keep)
    this.scheduleSave()
  }

  private scheduleSave(): void {
    this.dirty = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.timer = undefined
      try {
        this.writeSync()
      } catch (error) {
        this.warn(`failed to save ${this.storagePath}: ${(error as Error).message}`)
      }
    }, this.debounceMs)
  }

  private lock(): () => void {
    const deadline = Date.now() + (this.options.lockTimeoutMs ?? 30_000)
    for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
      try {
        return lockfile.lockSync(this.storagePath, { realpath: false, stale: 10_000 })
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ELOCKED" || Date.now() > deadline) throw error
        sleepSync(delay + Math.random() * delay)
      }
    }
  }

  /**
   * Saves now, synchronously: under the file's lock, re-reads it, merges by identity with this view (minus what
   * was removed here, minus pruned records), writes atomically and adopts the merged records.
   */
  writeSync(): void {
    if (this.timer) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    const waiters = this.waiters
    this.waiters = []
    if (!this.dirty) {
      for (const w of waiters) w.resolve()
      return
    }
    try {
      const view = this.load()
      mkdirSync(dirname(this.storagePath), { recursive: true })
      const release = this.lock()
      try {
        const current = readLegacyFile(this.storagePath)
        if (current.status === "error") {
          throw new Error(`cannot read ${this.storagePath} before saving (${current.error}); will try again`)
        }
        if (current.status === "unreadable") {
          const aside = keepAside(this.storagePath, this.clock())
          this.warn(`${this.storagePath} became unreadable (${current.error}); kept it as ${aside}`)
        }
        const now = this.clock()
        const cutoff = pruneCutoff(now, this.options.tz).getTime()
        const merged = new MemoryStore()
        const fileRecords = current.status === "ok" ? current.storage.records : []
        for (const r of fileRecords) {
          if (r.timestamp.getTime() >= cutoff && !this.removed.has(identityKey(r))) merged.add(r)
        }
        for (const r of view.all()) merged.add(r)
        const invalid = current.status === "ok" ? current.invalid : this.invalid
        const records = [...merged.all()].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime())
        const storage: UsageStorage = {
          version: 1,
          lastUpdated: now,
          records,
          summaries: this.legacySummaries(merged, now),
        }
        writeFileAtomicSync(this.storagePath, serializeStorage(storage, invalid))
        this.view = new MemoryStore(records)
        this.invalid = invalid
        this.dirty = false
      } finally {
        release()
      }
      for (const w of waiters) w.resolve()
    } catch (error) {
      for (const w of waiters) w.reject(error)
      throw error
    }
  }

  private legacySummaries(store: MemoryStore, now: Date): Record<string, ProviderUsageSummary> {
    return legacySummaries(this.reader.summary({}, now, store).summaries)
  }

  async getAllSummaries(): Promise<Record<string, ProviderUsageSummary>> {
    return this.reader.summary().summaries
  }

  async getProviderTrends(provider: string, rangeDays: number): Promise<TrendData> {
    return this.reader.trends({ provider, rangeDays })
  }

  async getAllRecords(): Promise<UsageRecord[]> {
    return [...this.records()]
  }

  async flush(): Promise<void> {
    this.writeSync()
  }

  async close(): Promise<void> {
    this.writeSync()
  }
}
