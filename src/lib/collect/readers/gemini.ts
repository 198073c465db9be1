/**
 * Gemini CLI's own log reader: the chat files its ChatRecordingService writes under `~/.gemini/tmp/<project>/chats/`
 * (subagents' in a folder per parent session below it): `.jsonl` session files (a metadata line, then each message
 * appended again whenever it changes, `$set` metadata updates and `$rewindTo` markers) read from the last complete
 * line on, and older whole-file `.json` conversation records read again when they change. A message of type
 * `gemini` with tokens is one call, the last record of its id winning. `tokens.input` includes `cached`: input is
 * input − cached + tool, cached is cache read, `thoughts` are reasoning tokens (output excludes them). docs/collectors.md
 * says the rules.
 */
import { createHash } from "node:crypto"
import { open, readdir, readFile, stat } from "node:fs/promises"
import { basename, dirname, join, sep } from "node:path"
import type { AgentReader, CollectedCall, ReadResult, SkipCounts, SourceCursor, SourceRef } from "../reader.js"
import type * as GeminiSchemas from "./gemini-schema.js"
import type { GeminiMessage, SessionInfo } from "./gemini-schema.js"

/** The schemas (zod), loaded by the first read with something to read: a round with nothing new loads none. */
type Schemas = typeof GeminiSchemas
function loadSchemas(): Promise<Schemas> {
  return import("./gemini-schema.js")
}

function bump(skipped: SkipCounts, reason: string): void {
  skipped[reason] = (skipped[reason] ?? 0) + 1
}

// ---------------------------------------------------------------------------------------------------------------
// Project names

const HASH_FOLDER = /^[0-9a-f]{64}$/

/**
 * The project of a folder under tmp/: the path in its `.project_root` marker, else the path whose SHA-256 is the
 * session's `projectHash` or the folder's name in `~/.gemini/projects.json`, else the folder's name (a slug of the
 * project's name in current Gemini CLI versions). Kept per folder for the run.
 */
const projectCache = new Map<string, string>()

async function projectOf(tmpDir: string, folder: string, projectHash: string | undefined): Promise<string> {
  const key = `${tmpDir}\u0000${folder}\u0000${projectHash ?? ""}`
  const known = projectCache.get(key)
  if (known !== undefined) return known
  let name = folder
  try {
    const root = (await readFile(join(tmpDir, folder, ".project_root"), "utf8")).trim()
    if (basename(root)) name = basename(root)
  } catch {
    const hashes = [projectHash, HASH_FOLDER.test(folder) ? folder : undefined].filter(Boolean)
    if (hashes.length > 0) {
      try {
        const registry = JSON.parse(await readFile(join(dirname(tmpDir), "projects.json"), "utf8")) as {
          projects?: Record<string, string>
        }
        for (const path of Object.keys(registry.projects ?? {})) {
          if (hashes.includes(createHash("sha256").update(path).digest("hex")) && basename(path)) {
            name = basename(path)
            break
          }
        }
      } catch {
        // no registry: the folder's name
      }
    }
  }
  projectCache.set(key, name)
  return name
}

// ---------------------------------------------------------------------------------------------------------------
// Messages to calls

/** Where a source sits: its tmp/ folder and its project folder under it. */
function placeOf(path: string): { tmpDir: string; folder: string } {
  const parts = path.split(sep)
  const chats = parts.lastIndexOf("chats")
  return { tmpDir: parts.slice(0, chats - 1).join(sep), folder: parts[chats - 1] ?? "" }
}

class Calls {
  /** The last record of each message id, in the order ids first appear. */
  readonly messages = new Map<string, { message: GeminiMessage; sessionID: string; taskType: string }>()
  readonly skipped: SkipCounts = {}
  sessionID: string
  projectHash: string | undefined
  /** "subagent" for a subagent's session (`kind`), else "primary". */
  taskType = "primary"

  constructor(
    fallbackSession: string,
    private readonly schemas: Schemas,
  ) {
    this.sessionID = fallbackSession
  }

  session(info: SessionInfo): void {
    if (info.sessionId) this.sessionID = info.sessionId
    if (info.projectHash) this.projectHash = info.projectHash
    if (info.kind) this.taskType = info.kind === "subagent" ? "subagent" : "primary"
  }

  message(raw: unknown): void {
    const parsed = this.schemas.GeminiMessage.safeParse(raw)
    if (!parsed.success) return
    this.messages.delete(parsed.data.id)
    this.messages.set(parsed.data.id, { message: parsed.data, sessionID: this.sessionID, taskType: this.taskType })
  }

  async finish(source: SourceRef): Promise<CollectedCall[]> {
    const { tmpDir, folder } = placeOf(source.path)
    const project = await projectOf(tmpDir, folder, this.projectHash)
    const calls: CollectedCall[] = []
    for (const { message, sessionID, taskType } of this.messages.values()) {
      if (message.type !== "gemini") continue
      const tokens = message.tokens
      if (!tokens || tokens.input + tokens.output + tokens.cached + tokens.thoughts + tokens.tool === 0) {
        bump(this.skipped, "no tokens")
        continue
      }
      const model = message.model?.trim()
      if (!model) {
        bump(this.skipped, "no model")
        continue
      }
      const time = message.timestamp === undefined ? Number.NaN : Date.parse(message.timestamp)
      if (!Number.isFinite(time)) {
        bump(this.skipped, "no timestamp")
        continue
      }
      const cached = inputIncludesCached(tokens) ? Math.min(tokens.cached, tokens.input) : 0
      calls.push({
        id: `gemini-cli:${message.id}`,
        timestamp: new Date(time),
        provider: "google",
        model,
        inputTokens: tokens.input - cached + tokens.tool,
        outputTokens: tokens.output,
        cacheReadTokens: tokens.cached,
        cacheWriteTokens: 0,
        reasoningTokens: tokens.thoughts,
        sessionID,
        project,
        taskType,
      })
    }
    return calls
  }
}

/**
 * Whether `input` includes the cached tokens. Gemini CLI logs the API's `promptTokenCount` (cached included) and
 * a `total` of input + output + thoughts + tool; a `total` that adds the cached tokens on top says the input
 * excluded them (as ccusage reads it). Without a telling total, the API's meaning: included.
 */
function inputIncludesCached(t: {
  input: number
  output: number
  cached: number
  thoughts: number
  tool: number
  total: number
}): boolean {
  if (t.cached === 0) return false
  const inclusive = t.input + t.output + t.thoughts + t.tool
  return !(t.total === inclusive + t.cached && t.total !== inclusive)
}

function sessionFallback(path: string): string {
  return basename(path).replace(/\.jsonl?$/, "")
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the files

async function readJson(source: SourceRef, cursor: SourceCursor | undefined): Promise<ReadResult> {
  const warnings: string[] = []
  let info: { size: number; mtimeMs: number }
  let text: string
  try {
    info = await stat(source.path)
    if (cursor && cursor.size === info.size && cursor.mtimeMs === info.mtimeMs) {
      return { calls: [], cursor, skipped: {}, warnings }
    }
    text = await readFile(source.path, "utf8")
  } catch {
    return { calls: [], cursor: cursor ?? { size: 0, mtimeMs: 0 }, skipped: {}, warnings: [`${source.path}: missing`] }
  }
  const next: SourceCursor = { size: info.size, mtimeMs: info.mtimeMs }
  const schemas = await loadSchemas()
  const calls = new Calls(sessionFallback(source.path), schemas)
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return { calls: [], cursor: next, skipped: { "not JSON": 1 }, warnings: [`${source.path}: not JSON`] }
  }
  const record = schemas.Conversation.safeParse(data)
  if (!record.success) {
    return { calls: [], cursor: next, skipped: { "not a chat": 1 }, warnings: [`${source.path}: not a Gemini chat`] }
  }
  calls.session(record.data)
  for (const message of record.data.messages) calls.message(message)
  return { calls: await calls.finish(source), cursor: next, skipped: calls.skipped, warnings }
}

/** The first line of a file (the session's metadata), read without the rest. */
async function firstLine(path: string): Promise<string> {
  const handle = await open(path, "r")
  try {
    const chunks: Buffer[] = []
    const buffer = Buffer.alloc(64 * 1024)
    for (let position = 0; ; ) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position)
      if (bytesRead === 0) break
      const end = buffer.subarray(0, bytesRead).indexOf(0x0a)
      chunks.push(Buffer.from(buffer.subarray(0, end === -1 ? bytesRead : end)))
      if (end !== -1) break
      position += bytesRead
    }
    return Buffer.concat(chunks).toString("utf8")
  } finally {
    await handle.close()
  }
}

async function readJsonl(source: SourceRef, cursor: SourceCursor | undefined): Promise<ReadResult> {
  const warnings: string[] = []
  let info: { size: number; mtimeMs: number }
  try {
    info = await stat(source.path)
  } catch {
    return { calls: [], cursor: cursor ?? { size: 0, mtimeMs: 0 }, skipped: {}, warnings: [`${source.path}: missing`] }
  }
  if (cursor && cursor.size === info.size && cursor.mtimeMs === info.mtimeMs) {
    return { calls: [], cursor, skipped: {}, warnings }
  }
  // a file shorter than what was read was replaced or truncated: read it from the start
  const start = cursor?.offset !== undefined && cursor.offset <= info.size ? cursor.offset : 0
  const handle = await open(source.path, "r")
  let bytes: Buffer
  try {
    bytes = Buffer.alloc(info.size - start)
    let filled = 0
    while (filled < bytes.length) {
      const { bytesRead } = await handle.read(bytes, filled, bytes.length - filled, start + filled)
      if (bytesRead === 0) break
      filled += bytesRead
    }
    bytes = bytes.subarray(0, filled)
  } finally {
    await handle.close()
  }
  // only complete lines: a last line still being written is read next time
  const complete = bytes.lastIndexOf(0x0a) + 1
  const schemas = await loadSchemas()
  const calls = new Calls(sessionFallback(source.path), schemas)
  if (start > 0) {
    try {
      calls.session(schemas.SessionInfo.parse(JSON.parse(await firstLine(source.path))))
    } catch {
      // a first line that does not parse was counted when it was read
    }
  }
  let notJson = 0
  for (const line of bytes.subarray(0, complete).toString("utf8").split("\n")) {
    if (!line.trim()) continue
    let record: unknown
    try {
      record = JSON.parse(line)
    } catch {
      notJson++
      continue
    }
    if (record === null || typeof record !== "object" || Array.isArray(record)) {
      notJson++
      continue
    }
    const fields = record as Record<string, unknown>
    if (typeof fields.id === "string") calls.message(record)
    else if (fields.$set !== null && typeof fields.$set === "object") {
      const update = schemas.SessionInfo.safeParse(fields.$set)
      if (update.success) calls.session(update.data)
    } else if (typeof fields.sessionId === "string") {
      const header = schemas.SessionInfo.safeParse(record)
      if (header.success) calls.session(header.data)
    }
    // `$rewindTo` hides messages from the conversation, but their calls were made: they stay counted
  }
  if (notJson > 0) {
    calls.skipped["not JSON"] = notJson
    warnings.push(`${source.path}: ${notJson} line(s) that are not JSON`)
  }
  return {
    calls: await calls.finish(source),
    cursor: { size: info.size, mtimeMs: info.mtimeMs, offset: start + complete },
    skipped: calls.skipped,
    warnings,
  }
}

async function chatFiles(chatsDir: string): Promise<string[]> {
  let entries: { name: string; isFile(): boolean; isDirectory(): boolean }[]
  try {
    entries = await readdir(chatsDir, { withFileTypes: true })
  } catch {
    return []
  }
  const files: string[] = []
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const path = join(chatsDir, entry.name)
    if (entry.isDirectory()) files.push(...(await chatFiles(path)))
    else if (entry.isFile() && /\.jsonl?$/.test(entry.name)) files.push(path)
  }
  return files
}

export const geminiReader: AgentReader = {
  agent: "gemini",
  /** `<dir>/<project>/chats/**` `.json` and `.jsonl` files; `dir` is Gemini CLI's tmp/ folder. */
  async sources(dir: string): Promise<SourceRef[]> {
    let projects: string[]
    try {
      projects = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name)
    } catch {
      return []
    }
    const sources: SourceRef[] = []
    for (const project of projects.sort()) {
      for (const path of await chatFiles(join(dir, project, "chats"))) {
        sources.push({ agent: "gemini", path, kind: path.endsWith(".jsonl") ? "jsonl" : "json" })
      }
    }
    return sources
  },
  read(source: SourceRef, cursor: SourceCursor | undefined): Promise<ReadResult> {
    return source.kind === "jsonl" ? readJsonl(source, cursor) : readJson(source, cursor)
  },
}
