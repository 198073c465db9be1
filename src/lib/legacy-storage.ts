/**
 * The legacy usage file (`oh-my-opencode-usage.json`): its format, reading it (version 0 or any other version is
 * read as version 1; an unreadable file is kept aside under a new name, never overwritten) and writing it
 * atomically (temp file + rename). Also the legacy module's `loadUsageStorage` / `saveUsageStorage` exports.
 */
import * as fs from "node:fs"
import { homedir } from "node:os"
import * as path from "node:path"
import { type ParsedRecord, parseRecord, toRecordJson, type UsageRecord } from "./record.js"
import { LEGACY_SUMMARY_KEYS, type ProviderUsageSummary } from "./summary-types.js"

export const STORAGE_FILENAME = "oh-my-opencode-usage.json"
export const CURRENT_VERSION = 1

export interface UsageStorage {
  version: number
  lastUpdated: Date
  records: UsageRecord[]
  summaries: Record<string, ProviderUsageSummary>
}

/** The OpenCode config directory, as the plugin resolves it: $XDG_CONFIG_HOME/opencode, else ~/.config/opencode. */
export function getDefaultStoragePath(): string {
  const env = globalThis.process?.env ?? {}
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || homedir(), ".config")
  return path.join(base, "opencode", STORAGE_FILENAME)
}

export function createEmptyStorage(): UsageStorage {
  return { version: CURRENT_VERSION, lastUpdated: new Date(), records: [], summaries: {} }
}

export type LegacyRead =
  | { status: "missing" }
  | {
      status: "ok"
      storage: UsageStorage /** records the schema refuses, carried through verbatim */
      invalid: unknown[]
    }
  /** The content is not a legacy usage file (corrupt, truncated): it may be kept aside. */
  | { status: "unreadable"; error: string }
  /** The file could not be read (permissions, EMFILE, EIO…): it must be left alone and read again later. */
  | { status: "error"; error: string }

function reviveSummary(value: unknown): ProviderUsageSummary | undefined {
  if (!value || typeof value !== "object") return undefined
  const s = value as Record<string, unknown>
  return {
    ...(s as unknown as ProviderUsageSummary),
    periodStart: new Date(s.periodStart as string),
    nextReset: new Date(s.nextReset as string),
  }
}

/** Summaries cut to the fields the legacy tracker kept (and wrote to its file), in its order. */
export function legacySummaries(summaries: Record<string, ProviderUsageSummary>): Record<string, ProviderUsageSummary> {
  const out: Record<string, ProviderUsageSummary> = {}
  for (const [provider, summary] of Object.entries(summaries)) {
    out[provider] = Object.fromEntries(
      LEGACY_SUMMARY_KEYS.map((k) => [k, summary[k]]),
    ) as unknown as ProviderUsageSummary
  }
  return out
}

/** Parses the text of a legacy file. Throws (with a one-line reason) when it is not a legacy usage file. */
export function parseLegacyText(text: string): { storage: UsageStorage; invalid: unknown[] } {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new Error(`not valid JSON (${(error as Error).message})`)
  }
  if (
    !data ||
    typeof data !== "object" ||
    Array.isArray(data) ||
    !Array.isArray((data as { records?: unknown }).records)
  ) {
    throw new Error('not a legacy usage file (expected {"version", "records": [...]})')
  }
  const raw = data as { lastUpdated?: string; records: unknown[]; summaries?: Record<string, unknown> }
  const records: UsageRecord[] = []
  const invalid: unknown[] = []
  for (const value of raw.records) {
    const parsed: ParsedRecord = parseRecord(value)
    if (parsed.ok) records.push(parsed.record)
    else invalid.push(value)
  }
  const summaries: Record<string, ProviderUsageSummary> = {}
  for (const [key, value] of Object.entries(raw.summaries ?? {})) {
    const summary = reviveSummary(value)
    if (summary) summaries[key] = summary
  }
  const lastUpdated = new Date(raw.lastUpdated ?? 0)
  return {
    // Any other version is read as version 1 and written back as version 1, as the legacy code does.
    storage: {
      version: CURRENT_VERSION,
      lastUpdated: Number.isNaN(lastUpdated.getTime()) ? new Date(0) : lastUpdated,
      records,
      summaries,
    },
    invalid,
  }
}

export function readLegacyFile(filePath: string): LegacyRead {
  let text: string
  try {
    text = fs.readFileSync(filePath, "utf8")
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { status: "missing" }
    return { status: "error", error: (error as Error).message }
  }
  try {
    return { status: "ok", ...parseLegacyText(text) }
  } catch (error) {
    return { status: "unreadable", error: (error as Error).message }
  }
}

/** Renames an unreadable file aside (`<file>.corrupt-<timestamp>`) so nothing overwrites it; returns the new path. */
export function keepAside(filePath: string, now = new Date()): string {
  const aside = `${filePath}.corrupt-${now.toISOString().replace(/[:.]/g, "-")}`
  fs.renameSync(filePath, aside)
  return aside
}

/** The file's JSON text: the legacy layout, pretty-printed with two spaces. */
export function serializeStorage(storage: UsageStorage, invalid: unknown[] = []): string {
  const summaries: Record<string, unknown> = {}
  for (const [key, s] of Object.entries(storage.summaries)) {
    summaries[key] = { ...s, periodStart: s.periodStart.toISOString(), nextReset: s.nextReset.toISOString() }
  }
  return JSON.stringify(
    {
      version: CURRENT_VERSION,
      lastUpdated: storage.lastUpdated.toISOString(),
      records: [...storage.records.map(toRecordJson), ...invalid],
      summaries,
    },
    null,
    2,
  )
}

/** Writes `text` to `filePath` atomically: a temp file in the same directory, fsync, then rename over. */
export function writeFileAtomicSync(filePath: string, text: string): void {
  fs.mkdirSync(path.dirname(filePath), { recursive: true })
  const tmp = `${filePath}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  const fd = fs.openSync(tmp, "w")
  try {
    fs.writeFileSync(fd, text, "utf8")
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  try {
    fs.renameSync(tmp, filePath)
  } catch (error) {
    fs.rmSync(tmp, { force: true })
    throw error
  }
}

/**
 * Legacy export: loads the file; a missing or unreadable file gives empty storage (an unreadable one is kept
 * aside first, a file that cannot be read at all is left where it is).
 */
export function loadUsageStorage(storagePath?: string): UsageStorage {
  const filePath = storagePath ?? getDefaultStoragePath()
  const read = readLegacyFile(filePath)
  if (read.status === "ok") return read.storage
  if (read.status === "unreadable") {
    try {
      keepAside(filePath)
    } catch {
      // Could not rename: leave it where it is; saving will not happen over it through this path either.
    }
  }
  return createEmptyStorage()
}

/** Legacy export: saves the storage (atomically). Errors are logged, not thrown, as before. */
export function saveUsageStorage(storage: UsageStorage, storagePath?: string): void {
  const filePath = storagePath ?? getDefaultStoragePath()
  try {
    storage.lastUpdated = new Date()
    writeFileAtomicSync(filePath, serializeStorage(storage))
  } catch (error) {
    console.error("[usage-tracker] Failed to save usage data:", error)
  }
}
