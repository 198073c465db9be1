/**
 * Claude Code's own logs: `projects/<project>/<session>.jsonl` (and `<session>/subagents/*.jsonl`) under its
 * config folder, one JSON object a line. A call is a line with `message.usage` (or a subagent's call nested in
 * an `agent_progress` line, `data.message.message.usage`), named `claude-code:<message.id>:<requestId>`.
 * Claude Code writes a call several times (one line per content block, a resumed session's copied history,
 * a `/btw` sidechain replaying its parent's messages under new request ids): one read returns each call once,
 * choosing among its lines as ccusage does (the parent's line over a sidechain copy, then the larger token
 * total, then the one with a cost), and the collector counts a call once across reads and files by its id.
 * Token fields as ccusage counts them, so per-day totals agree with `ccusage daily`. docs/collectors.md.
 */
import { basename, dirname, join, sep } from "node:path"
import type { AgentReader, CollectedCall, ReadResult, SkipCounts, SourceCursor, SourceRef } from "../reader.js"
import { count, findFiles, isDirectory, parseObject, readNewLines } from "./jsonl.js"

type Json = Record<string, unknown>

/** A call as read from one line, with what choosing among its copies needs. */
interface ClaudeEntry {
  call: CollectedCall
  messageId?: string
  /** The line says `isSidechain: true` (a sidechain's copy loses to the parent's line). */
  sidechain: boolean
  total: number
}

const SYNTHETIC_MODEL = "<synthetic>"

/** The `projects` folder of a Claude config folder (or the folder itself when it is `projects`). */
async function projectsDir(dir: string): Promise<string | undefined> {
  const nested = join(dir, "projects")
  if (await isDirectory(nested)) return nested
  if (basename(dir) === "projects" && (await isDirectory(dir))) return dir
  return undefined
}

async function sources(dir: string): Promise<SourceRef[]> {
  const projects = await projectsDir(dir)
  if (!projects) return []
  const files = await findFiles(projects, (name) => name.endsWith(".jsonl"))
  return files.map((path) => ({ agent: "claude" as const, path, kind: "jsonl" as const }))
}

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === "string" && value.length > 0 ? value : undefined
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0
}

/** A token field: absent counts 0; present but not a count makes the line invalid (undefined). */
function optionalCount(value: unknown): number | undefined {
  if (value === undefined) return 0
  return isCount(value) ? value : undefined
}

const SEMVER_PREFIX = /^\d+\.\d+\.\d/

const partsCache = { path: "", parts: {} as { projectFolder?: string; session?: string } }

/** The project folder (first folder under `projects/`) and the session a file's path names. */
function pathParts(path: string): { projectFolder?: string; session?: string } {
  if (partsCache.path !== path) partsCache.parts = splitPath(path)
  partsCache.path = path
  return partsCache.parts
}

function splitPath(path: string): { projectFolder?: string; session?: string } {
  const parts = path.split(sep)
  const at = parts.lastIndexOf("projects")
  const relative = at === -1 ? parts.slice(-2) : parts.slice(at + 1)
  const projectFolder = relative.length >= 2 ? relative[0] : undefined
  const file = relative[relative.length - 1]?.replace(/\.jsonl$/, "")
  if (relative.length >= 4 && relative[relative.length - 2] === "subagents") {
    return { projectFolder, session: relative[relative.length - 3] }
  }
  return { projectFolder, session: relative.length === 2 ? file : relative[relative.length - 2] }
}

/**
 * The call a parsed line holds, or the reason it is skipped, or undefined when the line is not a call (a user
 * message, a summary, ...).
 */
function entryOf(line: Json, path: string, lineText: string): ClaudeEntry | string | undefined {
  const outer = line
  let inner = line
  let nested = false
  let message = asObject(line.message)
  if (!asObject(message?.usage)) {
    // an agent_progress line: a subagent's call nested in the parent's log
    const progress = asObject(asObject(asObject(line.data)?.message)?.message)
    if (!asObject(progress?.usage)) return undefined
    inner = asObject(asObject(line.data)?.message) as Json
    message = progress
    nested = true
  }
  const usage = asObject(message?.usage) as Json
  if (message === undefined) return undefined

  // ccusage's validity rules: a line failing them is not counted there either
  if (outer.version !== undefined && !(typeof outer.version === "string" && SEMVER_PREFIX.test(outer.version))) {
    return "invalid entry"
  }
  if (inner.requestId === null || inner.requestId === "") return "invalid entry"
  if (outer.sessionId === null || outer.sessionId === "" || outer.cwd === null) return "invalid entry"
  if (message.id === null || message.id === "" || message.model === null || message.model === "") {
    return "invalid entry"
  }
  if (inner.costUSD === null || usage.speed === null) return "invalid entry"
  const timestampText = inner.timestamp
  const time = typeof timestampText === "string" ? Date.parse(timestampText) : Number.NaN
  if (!Number.isFinite(time)) return "invalid entry"
  const input = usage.input_tokens
  const output = usage.output_tokens
  const cacheRead = optionalCount(usage.cache_read_input_tokens)
  const cacheCreation = asObject(usage.cache_creation)
  const cacheWrite = cacheCreation
    ? sumCounts(cacheCreation.ephemeral_5m_input_tokens, cacheCreation.ephemeral_1h_input_tokens)
    : optionalCount(usage.cache_creation_input_tokens)
  if (!isCount(input) || !isCount(output) || cacheRead === undefined || cacheWrite === undefined) {
    return "invalid entry"
  }

  const model = typeof message.model === "string" ? message.model : undefined
  if (model === SYNTHETIC_MODEL) return "synthetic model"

  const messageId = nonEmptyString(message.id)
  const requestId = nonEmptyString(inner.requestId)
  const { projectFolder, session } = pathParts(path)
  const cwd = nonEmptyString(outer.cwd)
  const sidechain = inner.isSidechain === true
  const cost = inner.costUSD
  const call: CollectedCall = {
    id: callId(messageId, requestId, inner, lineText),
    timestamp: new Date(time),
    provider: "anthropic",
    model: model ?? "unknown",
    inputTokens: input,
    outputTokens: output,
    cacheReadTokens: cacheRead,
    cacheWriteTokens: cacheWrite,
    reasoningTokens: 0,
    ...(cacheCreation && isCount(cacheCreation.ephemeral_1h_input_tokens) && cacheCreation.ephemeral_1h_input_tokens > 0
      ? { cacheWrite1hTokens: cacheCreation.ephemeral_1h_input_tokens }
      : {}),
    sessionID: nonEmptyString(outer.sessionId) ?? session,
    project: cwd ? basename(cwd) || cwd : projectFolder,
    taskType: sidechain || nested ? "subagent" : "primary",
  }
  if (typeof cost === "number" && Number.isFinite(cost) && cost > 0) call.costUSD = cost
  return { call, messageId, sidechain, total: input + output + cacheRead + cacheWrite }
}

function sumCounts(a: unknown, b: unknown): number | undefined {
  const x = optionalCount(a)
  const y = optionalCount(b)
  return x === undefined || y === undefined ? undefined : x + y
}

/** DESIGN's identity; a line without a message id (old logs) is named by its own uuid. */
function callId(messageId: string | undefined, requestId: string | undefined, inner: Json, lineText: string): string {
  if (messageId) return requestId ? `claude-code:${messageId}:${requestId}` : `claude-code:${messageId}`
  const uuid = nonEmptyString(inner.uuid)
  return uuid ? `claude-code:uuid:${uuid}` : `claude-code:line:${lineText.length}:${hashLine(lineText)}`
}

function hashLine(text: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193)
  return (h >>> 0).toString(16)
}

/** ccusage's choice between two lines of one call: keep the parent's, then the larger total, then a cost. */
function replaces(candidate: ClaudeEntry, existing: ClaudeEntry): boolean {
  if (candidate.sidechain !== existing.sidechain) return existing.sidechain
  if (candidate.total !== existing.total) return candidate.total > existing.total
  return (candidate.call.costUSD ?? 0) > (existing.call.costUSD ?? 0)
}

/** The message ids of the non-sidechain calls in `lines` (the parent log a sidechain may replay). */
function parentMessageIds(lines: Iterable<string>, path: string, into: Set<string>): void {
  for (const text of lines) {
    if (!text.includes('"usage"')) continue
    const line = parseObject(text)
    if (!line) continue
    const entry = entryOf(line, path, text)
    if (typeof entry === "object" && !entry.sidechain && entry.messageId) into.add(entry.messageId)
  }
}

/** The log of the session a `subagents/` file belongs to: `<project>/<session>.jsonl`. */
function parentLog(path: string): string | undefined {
  const folder = dirname(path)
  if (basename(folder) !== "subagents") return undefined
  return `${dirname(folder)}.jsonl`
}

async function read(source: SourceRef, cursor: SourceCursor | undefined): Promise<ReadResult> {
  const { lines, cursor: next, start, prefix } = await readNewLines(source.path, cursor)
  const skipped: SkipCounts = {}
  const warnings: string[] = []
  const notes: SkipCounts = {}
  const kept: ClaudeEntry[] = []
  const byId = new Map<string, number>()
  const byMessage = new Map<string, number[]>()
  let badLines = 0
  let firstBadLine = 0
  let lineNumber = 0

  for (const { text } of lines) {
    lineNumber++
    if (text.trim().length === 0) continue
    // a line that cannot hold a call is only checked for shape; a call's line is parsed
    if (!text.includes('"usage"')) {
      const trimmed = text.trim()
      if (trimmed.startsWith("{") && trimmed.endsWith("}")) continue
    }
    const line = parseObject(text)
    if (!line) {
      badLines++
      if (firstBadLine === 0) firstBadLine = lineNumber
      continue
    }
    const entry = entryOf(line, source.path, text)
    if (entry === undefined) continue
    if (typeof entry === "string") {
      count(skipped, entry)
      continue
    }
    if (entry.call.model === "unknown") count(notes, "no model (kept as unknown)")
    const existing = findCopy(entry, byId, byMessage, kept)
    if (existing === undefined) {
      byId.set(entry.call.id, kept.length)
      if (entry.messageId) {
        const same = byMessage.get(entry.messageId)
        if (same) same.push(kept.length)
        else byMessage.set(entry.messageId, [kept.length])
      }
      kept.push(entry)
      continue
    }
    const current = kept[existing]
    const replayDropped = entry.call.id !== current.call.id && (entry.sidechain || current.sidechain)
    if (replayDropped) count(skipped, "sidechain replay")
    if (replaces(entry, current)) {
      entry.call.timestamp = new Date(Math.min(current.call.timestamp.getTime(), entry.call.timestamp.getTime()))
      kept[existing] = entry
      byId.set(entry.call.id, existing)
    }
  }
  if (badLines > 0) {
    count(skipped, "not JSON", badLines)
    const at = firstBadLine + (start === 0 ? 0 : (await prefix()).length)
    warnings.push(`${source.path}: ${badLines} line(s) not JSON, skipped (first at line ${at})`)
  }

  // a sidechain replaying a message its parent already logged (in an earlier read, or in the parent's file)
  let calls = kept
  if (kept.some((entry) => entry.sidechain && entry.messageId)) {
    const parentIds = new Set<string>()
    if (start > 0) parentMessageIds(await prefix(), source.path, parentIds)
    const parent = parentLog(source.path)
    if (parent) {
      try {
        const { lines: parentLines } = await readNewLines(parent, undefined)
        parentMessageIds(
          parentLines.map((line) => line.text),
          parent,
          parentIds,
        )
      } catch {
        // no parent log: nothing to compare with
      }
    }
    calls = kept.filter((entry) => {
      const replay = entry.sidechain && entry.messageId !== undefined && parentIds.has(entry.messageId)
      if (replay) count(skipped, "sidechain replay")
      return !replay
    })
  }

  const result: ReadResult = { calls: calls.map((entry) => entry.call), cursor: next, skipped, warnings }
  if (Object.keys(notes).length > 0) result.notes = notes
  return result
}

/** The kept line of the same call: same id, or (ccusage's sidechain rule) same message id with a sidechain. */
function findCopy(
  entry: ClaudeEntry,
  byId: Map<string, number>,
  byMessage: Map<string, number[]>,
  kept: ClaudeEntry[],
): number | undefined {
  const exact = byId.get(entry.call.id)
  if (exact !== undefined) return exact
  if (!entry.messageId) return undefined
  return byMessage.get(entry.messageId)?.find((index) => entry.sidechain || kept[index].sidechain)
}

export const claudeReader: AgentReader = { agent: "claude", sources, read }
