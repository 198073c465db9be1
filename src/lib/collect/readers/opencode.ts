/**
 * OpenCode's own log reader: the assistant messages of its SQLite database (`opencode.db`, `opencode-<channel>.db`,
 * or the file `OPENCODE_DB` names; table `message`, JSON column `data`) and of the older
 * `storage/message/<session>/<message>.json` files, the database winning for a message in both. A message counts
 * once complete (`time.completed` set). The database is only ever read: opened read-only where SQLite needs no
 * file of its own beside it (the running OpenCode's `-shm` exists), else read from a copy in a temporary folder,
 * so nothing is created in OpenCode's folder and no lock holds OpenCode up. better-sqlite3 is loaded only when a
 * database is read (this module loads no native addon on import). docs/collectors.md says the rules.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs"
import { open, readdir, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { basename, dirname, isAbsolute, join } from "node:path"
import type BetterSqlite3 from "better-sqlite3"
import type { AgentReader, CollectedCall, ReadResult, SkipCounts, SourceCursor, SourceRef } from "../reader.js"
import type { OpenCodeMessage } from "./opencode-schema.js"

/** Rows updated this long before the newest `time_updated` seen are read again (a late commit is not lost). */
export const REREAD_MS = 1000

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v)
/** Absent, or of the type (a number as zod's: finite). */
const optional = (v: unknown, type: "string" | "number") =>
  v === undefined || (typeof v === type && (type === "string" || Number.isFinite(v)))
/** `count` of the schema (opencode-schema.ts), idempotent: a count the schema gave stays as it is. */
const counted = (v: number | undefined): number =>
  v === undefined ? 0 : Number.isFinite(v) && v > 0 ? Math.trunc(v) : 0

/**
 * True when `OpenCodeMessage` (opencode-schema.ts) takes `raw` and every field the reader uses has the expected
 * type: the reader then reads `raw` itself, without zod and without a copy (100,000 messages per collect); anything
 * else goes through the schema (the one source of its rules). `messageCall` gives the same call for `raw` as for
 * the schema's output; tested against the schema.
 */
export function isMessageFast(raw: unknown): raw is OpenCodeMessage {
  if (!isObject(raw) || typeof raw.role !== "string") return false
  const { id, sessionID, providerID, modelID, mode, agent, cost, time, path, tokens } = raw
  if (
    !optional(id, "string") ||
    !optional(sessionID, "string") ||
    !optional(providerID, "string") ||
    !optional(modelID, "string") ||
    !optional(mode, "string") ||
    !optional(agent, "string") ||
    !optional(cost, "number")
  ) {
    return false
  }
  if (time !== undefined) {
    if (!isObject(time) || !optional(time.created, "number")) return false
    if (time.completed !== null && !optional(time.completed, "number")) return false
  }
  if (path !== undefined && (!isObject(path) || !optional(path.cwd, "string") || !optional(path.root, "string"))) {
    return false
  }
  if (tokens !== undefined) {
    if (!isObject(tokens)) return false
    const { input, output, reasoning, cache } = tokens
    if (!optional(input, "number") || !optional(output, "number") || !optional(reasoning, "number")) return false
    if (
      cache !== undefined &&
      (!isObject(cache) || !optional(cache.read, "number") || !optional(cache.write, "number"))
    )
      return false
  }
  return true
}

/** A database file name OpenCode writes: `opencode.db` or `opencode-<channel>.db`. */
const DB_NAME = /^opencode(-[A-Za-z0-9._-]+)?\.db$/

function bump(skipped: SkipCounts, reason: string): void {
  skipped[reason] = (skipped[reason] ?? 0) + 1
}

function projectOf(message: OpenCodeMessage): string | undefined {
  for (const dir of [message.path?.root, message.path?.cwd]) {
    const name = dir ? basename(dir) : ""
    if (name) return name
  }
  return undefined
}

type Outcome = { call: CollectedCall } | { skip: string } | undefined

/**
 * The call a message (the schema's output, or a raw message `isMessageFast` takes) stands for, or the reason it is
 * none. `undefined` for what is not a call at all (a user message), which is not counted as skipped.
 */
export function messageCall(message: OpenCodeMessage, ids: { id?: string; sessionID?: string }): Outcome {
  if (message.role !== "assistant") return undefined
  const id = ids.id ?? message.id
  if (!id) return { skip: "no message id" }
  const time = message.time
  if (time?.completed == null) return { skip: "not complete yet" }
  const tokens = message.tokens
  const inputTokens = counted(tokens?.input)
  const outputTokens = counted(tokens?.output)
  const reasoningTokens = counted(tokens?.reasoning)
  const cacheReadTokens = counted(tokens?.cache?.read)
  const cacheWriteTokens = counted(tokens?.cache?.write)
  if (inputTokens + outputTokens + reasoningTokens + cacheReadTokens + cacheWriteTokens === 0) {
    return { skip: "no tokens" }
  }
  if (!message.modelID?.trim() || !message.providerID?.trim()) return { skip: "no model" }
  const created = time.created
  if (created === undefined || !Number.isFinite(created)) return { skip: "no timestamp" }
  const call: CollectedCall = {
    id: `opencode:${id}`,
    timestamp: new Date(created),
    provider: message.providerID,
    model: message.modelID,
    inputTokens,
    outputTokens,
    cacheReadTokens,
    cacheWriteTokens,
    reasoningTokens,
    taskType: message.mode?.trim() || message.agent?.trim() || "primary",
  }
  if (message.cost !== undefined && Number.isFinite(message.cost) && message.cost > 0) call.costUSD = message.cost
  const sessionID = ids.sessionID ?? message.sessionID
  if (sessionID) call.sessionID = sessionID
  const project = projectOf(message)
  if (project) call.project = project
  return { call }
}

/** The call of a message the fast check does not take: through the schema (loaded when first needed). */
async function schemaCall(raw: unknown, ids: { id?: string; sessionID?: string }): Promise<Outcome> {
  const { OpenCodeMessage } = await import("./opencode-schema.js")
  const parsed = OpenCodeMessage.safeParse(raw)
  return parsed.success ? messageCall(parsed.data, ids) : { skip: "not a message" }
}

/** `messageCall` of any message: raw when the fast check takes it, else through the schema. */
function toCall(raw: unknown, ids: { id?: string; sessionID?: string }): Outcome | Promise<Outcome> {
  return isMessageFast(raw) ? messageCall(raw, ids) : schemaCall(raw, ids)
}

// ---------------------------------------------------------------------------------------------------------------
// The database, read without writing beside it

/** The database files of a data folder: `OPENCODE_DB` (absolute, or relative to the folder) and every channel's. */
async function databasesIn(dir: string): Promise<string[]> {
  const found: string[] = []
  const named = process.env.OPENCODE_DB
  if (named && named !== ":memory:") {
    const path = isAbsolute(named) ? named : join(dir, named)
    if (await isFile(path)) found.push(path)
  }
  let names: string[] = []
  try {
    names = await readdir(dir)
  } catch {
    return found
  }
  for (const name of names.sort()) {
    const path = join(dir, name)
    if (DB_NAME.test(name) && !found.includes(path) && (await isFile(path))) found.push(path)
  }
  return found
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile()
  } catch {
    return false
  }
}

/**
 * The database's state for the cursor: its size and mtime with its `-wal` (where every WAL commit lands). An empty
 * `-wal` (SQLite creates one when a connection opens the database, OpenCode's or any other reader's) holds no
 * commit: the main file is then the whole database, and a collect with nothing new does not read it again.
 */
async function databaseStamp(path: string): Promise<{ size: number; mtimeMs: number }> {
  const main = await stat(path)
  let size = main.size
  let mtimeMs = main.mtimeMs
  try {
    const wal = await stat(`${path}-wal`)
    if (wal.size > 0) {
      size += wal.size
      mtimeMs = Math.max(mtimeMs, wal.mtimeMs)
    }
  } catch {
    // no -wal: the main file holds everything
  }
  return { size, mtimeMs }
}

/** The journal mode the file's header says (byte 18: 1 rollback, 2 WAL), or undefined when it is not SQLite. */
async function headerMode(path: string): Promise<"wal" | "rollback" | undefined> {
  const handle = await open(path, "r")
  try {
    const header = Buffer.alloc(100)
    const { bytesRead } = await handle.read(header, 0, 100, 0)
    if (bytesRead < 100 || header.toString("latin1", 0, 16) !== "SQLite format 3\u0000") return undefined
    return header[18] === 2 ? "wal" : "rollback"
  } finally {
    await handle.close()
  }
}

/**
 * Runs `use` on a read-only connection to `path`. SQLite reading a WAL database creates `-shm` (and `-wal`) beside
 * it unless a running OpenCode already has them; a rollback-mode file with a hot `-journal` needs a write to roll
 * it back. In those cases, and when a read-only open fails for want of writing, the database (with its `-wal` or
 * `-journal`) is copied to a temporary folder and the copy is read; the copy is removed afterwards.
 */
async function withDatabase<T>(path: string, use: (db: BetterSqlite3.Database) => T): Promise<T> {
  const { default: Database } = await import("better-sqlite3")
  const mode = await headerMode(path)
  if (mode === undefined) throw new Error("not a SQLite database")
  const needsCopy =
    mode === "wal" ? !(existsSync(`${path}-shm`) && existsSync(`${path}-wal`)) : existsSync(`${path}-journal`)
  if (!needsCopy) {
    let db: BetterSqlite3.Database | undefined
    try {
      db = new Database(path, { readonly: true, fileMustExist: true })
      return use(db)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      if (typeof code !== "string" || !/^SQLITE_(READONLY|CANTOPEN|BUSY)/.test(code)) throw error
    } finally {
      db?.close()
    }
  }
  const copyDir = mkdtempSync(join(tmpdir(), "usage-hub-opencode-"))
  try {
    const copy = join(copyDir, basename(path))
    copyFileSync(path, copy)
    for (const suffix of ["-wal", "-journal"]) {
      if (existsSync(path + suffix)) copyFileSync(path + suffix, copy + suffix)
    }
    const db = new Database(copy, { fileMustExist: true })
    try {
      return use(db)
    } finally {
      db.close()
    }
  } finally {
    rmSync(copyDir, { recursive: true, force: true })
  }
}

/** What the rows of the message table came to. */
interface RowsRead {
  calls: CollectedCall[]
  skipped: SkipCounts
  badRows: number
  updatedAt?: number
  /** Messages the fast check did not take, left to the schema, with where their call goes among `calls`. */
  slow: Array<{ at: number; raw: unknown; ids: { id: string; sessionID?: string } }>
}

function addOutcome(into: { calls: CollectedCall[]; skipped: SkipCounts }, outcome: Outcome): void {
  if (outcome === undefined) return
  if ("skip" in outcome) bump(into.skipped, outcome.skip)
  else into.calls.push(outcome.call)
}

/**
 * The message rows (all, or those updated since `since`), each parsed and turned into its call as it is stepped
 * through (no array of rows: 100,000 rows of JSON text would live on until the last one is read).
 */
function readRows(
  db: BetterSqlite3.Database,
  since: number | undefined,
  updatedAt: number | undefined,
): RowsRead | "no message table" {
  const columns = db.prepare("SELECT name FROM pragma_table_info('message')").all() as { name: string }[]
  if (columns.length === 0) return "no message table"
  const names = new Set(columns.map((c) => c.name))
  const updated = names.has("time_updated") ? "time_updated" : "NULL"
  const session = names.has("session_id") ? "session_id" : "NULL"
  const sql = `SELECT id, ${session} AS session_id, ${updated} AS time_updated, data FROM message`
  const rows = (
    since === undefined || updated === "NULL"
      ? db.prepare(`${sql} ORDER BY rowid`).raw().iterate()
      : db.prepare(`${sql} WHERE time_updated >= ? ORDER BY time_updated, id`).raw().iterate(since)
  ) as IterableIterator<[string, string | null, number | null, string]>
  const out: RowsRead = { calls: [], skipped: {}, badRows: 0, updatedAt, slow: [] }
  for (const [id, sessionID, timeUpdated, data] of rows) {
    if (typeof timeUpdated === "number" && (out.updatedAt === undefined || timeUpdated > out.updatedAt)) {
      out.updatedAt = timeUpdated
    }
    let raw: unknown
    try {
      raw = JSON.parse(data)
    } catch {
      bump(out.skipped, "not JSON")
      out.badRows++
      continue
    }
    const ids = { id, sessionID: sessionID ?? undefined }
    if (isMessageFast(raw)) addOutcome(out, messageCall(raw, ids))
    else out.slow.push({ at: out.calls.length, raw, ids })
  }
  return out
}

/** The calls of `read` with those of its slow messages (through the schema) in their places. */
async function withSlowCalls(read: RowsRead): Promise<CollectedCall[]> {
  if (read.slow.length === 0) return read.calls
  const merged = { calls: [] as CollectedCall[], skipped: read.skipped }
  let next = 0
  for (const { at, raw, ids } of read.slow) {
    while (next < at) merged.calls.push(read.calls[next++])
    addOutcome(merged, await schemaCall(raw, ids))
  }
  while (next < read.calls.length) merged.calls.push(read.calls[next++])
  return merged.calls
}

async function readDatabase(source: SourceRef, cursor: SourceCursor | undefined): Promise<ReadResult> {
  const skipped: SkipCounts = {}
  const warnings: string[] = []
  let stamp: { size: number; mtimeMs: number }
  try {
    stamp = await databaseStamp(source.path)
  } catch {
    return { calls: [], cursor: cursor ?? { size: 0, mtimeMs: 0 }, skipped, warnings: [`${source.path}: missing`] }
  }
  if (cursor && cursor.size === stamp.size && cursor.mtimeMs === stamp.mtimeMs) {
    return { calls: [], cursor, skipped, warnings }
  }
  const since = cursor?.updatedAt === undefined ? undefined : cursor.updatedAt - REREAD_MS
  let read: RowsRead | "no message table"
  try {
    read = await withDatabase(source.path, (db) => readRows(db, since, cursor?.updatedAt))
  } catch (error) {
    bump(skipped, "unreadable database")
    warnings.push(`${source.path}: ${(error as Error).message}`)
    return { calls: [], cursor: cursor ?? { size: 0, mtimeMs: 0 }, skipped, warnings }
  }
  if (read === "no message table") {
    bump(skipped, "no message table")
    warnings.push(`${source.path}: no message table (not an OpenCode database?)`)
    return { calls: [], cursor: { ...stamp, updatedAt: cursor?.updatedAt }, skipped, warnings }
  }
  const calls = await withSlowCalls(read)
  if (read.badRows > 0) warnings.push(`${source.path}: ${read.badRows} message row(s) whose data is not JSON`)
  const next: SourceCursor = { size: stamp.size, mtimeMs: stamp.mtimeMs }
  if (read.updatedAt !== undefined) next.updatedAt = read.updatedAt
  return { calls, cursor: next, skipped: read.skipped, warnings }
}

// ---------------------------------------------------------------------------------------------------------------
// The older storage/message/<session>/<message>.json files

/** Message ids of each database, kept while the database is unchanged (the files check every message against it). */
const databaseIds = new Map<string, { size: number; mtimeMs: number; ids: Set<string> }>()

/**
 * How long the databases' ids are used for the files of a data folder without looking at the databases again.
 * One collect reads thousands of files in a row; a message written to a database meanwhile and found in a file
 * too has the same identity in both, so the collector still counts it once.
 */
const IDS_FRESH_MS = 1000
const idsByDataDir = new Map<string, { checkedAt: number; sets: Set<string>[] }>()

async function idsInDatabases(dataDir: string): Promise<Set<string>[]> {
  const recent = idsByDataDir.get(dataDir)
  if (recent && Date.now() - recent.checkedAt < IDS_FRESH_MS) return recent.sets
  const sets: Set<string>[] = []
  for (const path of await databasesIn(dataDir)) {
    try {
      const stamp = await databaseStamp(path)
      const known = databaseIds.get(path)
      if (known && known.size === stamp.size && known.mtimeMs === stamp.mtimeMs) {
        sets.push(known.ids)
        continue
      }
      const ids = await withDatabase(path, (db) => {
        const rows = db.prepare("SELECT id FROM message").pluck().all() as string[]
        return new Set(rows)
      })
      databaseIds.set(path, { ...stamp, ids })
      sets.push(ids)
    } catch {
      // an unreadable database holds no message the files would lose to (its own read warns)
    }
  }
  idsByDataDir.set(dataDir, { checkedAt: Date.now(), sets })
  return sets
}

async function readMessageFile(source: SourceRef, cursor: SourceCursor | undefined): Promise<ReadResult> {
  const skipped: SkipCounts = {}
  const warnings: string[] = []
  let info: { size: number; mtimeMs: number }
  let text: string
  try {
    // synchronous: one small file each, thousands in a row (the thread pool's round trips cost more than the reads)
    info = statSync(source.path)
    if (cursor && cursor.size === info.size && cursor.mtimeMs === info.mtimeMs) {
      return { calls: [], cursor, skipped, warnings }
    }
    text = readFileSync(source.path, "utf8")
  } catch {
    return { calls: [], cursor: cursor ?? { size: 0, mtimeMs: 0 }, skipped, warnings: [`${source.path}: missing`] }
  }
  const next: SourceCursor = { size: info.size, mtimeMs: info.mtimeMs }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    bump(skipped, "not JSON")
    warnings.push(`${source.path}: not JSON`)
    return { calls: [], cursor: next, skipped, warnings }
  }
  const sessionDir = dirname(source.path)
  const fallback = { id: basename(source.path, ".json"), sessionID: basename(sessionDir) }
  const id = typeof (data as { id?: unknown })?.id === "string" ? (data as { id: string }).id : fallback.id
  const result = await toCall(data, {
    id,
    sessionID: (data as { sessionID?: string })?.sessionID ?? fallback.sessionID,
  })
  if (result === undefined) return { calls: [], cursor: next, skipped, warnings }
  if ("skip" in result) {
    bump(skipped, result.skip)
    return { calls: [], cursor: next, skipped, warnings }
  }
  const dataDir = dirname(dirname(dirname(sessionDir)))
  for (const ids of await idsInDatabases(dataDir)) {
    if (ids.has(id)) {
      bump(skipped, "in the database")
      return { calls: [], cursor: next, skipped, warnings }
    }
  }
  return { calls: [result.call], cursor: next, skipped, warnings }
}

async function messageFiles(dir: string): Promise<string[]> {
  const root = join(dir, "storage", "message")
  let sessions: string[]
  try {
    sessions = await readdir(root)
  } catch {
    return []
  }
  const files: string[] = []
  for (const session of sessions.sort()) {
    let names: string[]
    try {
      names = await readdir(join(root, session))
    } catch {
      continue
    }
    for (const name of names.sort()) if (name.endsWith(".json")) files.push(join(root, session, name))
  }
  return files
}

export const opencodeReader: AgentReader = {
  agent: "opencode",
  /** The databases first (they win over the files for a message in both), then the message files. */
  async sources(dir: string): Promise<SourceRef[]> {
    const databases = (await databasesIn(dir)).map((path): SourceRef => ({ agent: "opencode", path, kind: "sqlite" }))
    const files = (await messageFiles(dir)).map((path): SourceRef => ({ agent: "opencode", path, kind: "json" }))
    return [...databases, ...files]
  },
  read(source: SourceRef, cursor: SourceCursor | undefined): Promise<ReadResult> {
    return source.kind === "sqlite" ? readDatabase(source, cursor) : readMessageFile(source, cursor)
  },
}
