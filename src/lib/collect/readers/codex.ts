/**
 * Codex's own logs: `sessions/YYYY/MM/DD/rollout-*.jsonl` and `archived_sessions/rollout-*.jsonl` under
 * CODEX_HOME (a file in both: the active copy is read). A call is an `event_msg` whose payload is a
 * `token_count` with usage: its per-turn delta (`last_token_usage`, else the difference of the cumulative
 * `total_token_usage`), the model from the latest `turn_context` (`gpt-5` assumed when none was logged yet, as
 * ccusage does, and counted in the notes), the session and project from the first `session_meta`.
 * Codex logs no id for a call, so the id is `codex:` + FNV-1a 64 (./hash.ts) of the event's timestamp, model
 * and per-turn counts (input, cached input, output, reasoning, total): a forked session's copy of its parent's
 * events gets the parent's ids and counts once, as ccusage counts it. docs/collectors.md.
 */
import { basename, join } from "node:path"
import type { AgentReader, CollectedCall, ReadResult, SkipCounts, SourceCursor, SourceRef } from "../reader.js"
import { fnv1a64 } from "./hash.js"
import { count, findFiles, isDirectory, parseObject, readNewLines } from "./jsonl.js"

type Json = Record<string, unknown>

/** One turn's token counts as Codex logs them: input includes the cached part, output includes reasoning. */
interface RawUsage {
  input: number
  cached: number
  output: number
  reasoning: number
  total: number
}

/** The model ccusage assumes for a session that logged none (the first Codex sessions did not). */
export const CODEX_FALLBACK_MODEL = "gpt-5"
const ROLLOUT = (name: string) => name.startsWith("rollout-") && name.endsWith(".jsonl")
/** The lines that matter to the state machine; any other line is only checked for shape. */
const RELEVANT = /"(?:token_count|turn_context|session_meta)"/

async function sources(dir: string): Promise<SourceRef[]> {
  const active = join(dir, "sessions")
  const archived = join(dir, "archived_sessions")
  const hasActive = await isDirectory(active)
  const hasArchived = await isDirectory(archived)
  let files: string[]
  if (!hasActive && !hasArchived) {
    // pointed at sessions/ or archived_sessions/ itself
    const name = basename(dir)
    files =
      (name === "sessions" || name === "archived_sessions") && (await isDirectory(dir))
        ? await findFiles(dir, ROLLOUT)
        : []
  } else {
    const live = hasActive ? await findFiles(active, ROLLOUT) : []
    const names = new Set(live.map((path) => basename(path)))
    const old = hasArchived ? (await findFiles(archived, ROLLOUT)).filter((path) => !names.has(basename(path))) : []
    files = [...live, ...old]
  }
  return files.map((path) => ({ agent: "codex" as const, path, kind: "jsonl" as const }))
}

function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Json) : undefined
}

function countField(value: unknown): number | undefined {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0 ? value : undefined
}

/** A usage object in any of the spellings ccusage accepts; undefined when it is not an object. */
function rawUsage(value: unknown): RawUsage | undefined {
  const usage = asObject(value)
  if (!usage) return undefined
  const input = countField(usage.input_tokens) ?? countField(usage.prompt_tokens) ?? countField(usage.input) ?? 0
  const cached =
    countField(usage.cached_input_tokens) ??
    countField(usage.cache_read_input_tokens) ??
    countField(usage.cached_tokens) ??
    0
  const output = countField(usage.output_tokens) ?? countField(usage.completion_tokens) ?? countField(usage.output) ?? 0
  const reasoning = countField(usage.reasoning_output_tokens) ?? countField(usage.reasoning_tokens) ?? 0
  const logged = countField(usage.total_tokens)
  const total =
    logged !== undefined && (logged > 0 || input + output + reasoning === 0) ? logged : input + output + reasoning
  return { input, cached, output, reasoning, total }
}

function minus(current: RawUsage, previous: RawUsage | undefined): RawUsage {
  const sub = (a: number, b: number | undefined) => Math.max(0, a - (b ?? 0))
  return {
    input: sub(current.input, previous?.input),
    cached: sub(current.cached, previous?.cached),
    output: sub(current.output, previous?.output),
    reasoning: sub(current.reasoning, previous?.reasoning),
    total: sub(current.total, previous?.total),
  }
}

function text(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined
  const trimmed = value.trim()
  return trimmed.length > 0 ? trimmed : undefined
}

/** The model a payload (or its `info`) names: `model`, `model_name` or `metadata.model`. */
function modelOf(value: Json | undefined): string | undefined {
  if (!value) return undefined
  return text(value.model) ?? text(value.model_name) ?? text(asObject(value.metadata)?.model)
}

/** A `token_count` event's usage: the timestamp it was logged at, its delta and cumulative counts. */
function tokenCount(line: Json): { timestamp: string; payload: Json; last?: RawUsage; total?: RawUsage } | undefined {
  if (line.type !== "event_msg") return undefined
  const payload = asObject(line.payload)
  if (payload?.type !== "token_count") return undefined
  const timestamp = text(line.timestamp)
  if (!timestamp) return undefined
  const info = asObject(payload.info)
  return { timestamp, payload, last: rawUsage(info?.last_token_usage), total: rawUsage(info?.total_token_usage) }
}

/**
 * A subagent session (`thread_spawn`) starts by replaying its parent's token history, every event stamped with
 * the second it was spawned: ccusage passes over the leading events of that second when the first two share it.
 */
function replaySecond(lines: Json[]): string | undefined {
  const seconds: string[] = []
  for (const line of lines) {
    const event = tokenCount(line)
    if (!event || (!event.last && !event.total)) continue
    seconds.push(event.timestamp.slice(0, 19))
    if (seconds.length === 2) break
  }
  return seconds.length === 2 && seconds[0] === seconds[1] && seconds[0].length === 19 ? seconds[0] : undefined
}

async function read(source: SourceRef, cursor: SourceCursor | undefined): Promise<ReadResult> {
  const { lines, cursor: next, start, prefix } = await readNewLines(source.path, cursor)
  const skipped: SkipCounts = {}
  const warnings: string[] = []
  const notes: SkipCounts = {}
  if (lines.length === 0) return { calls: [], cursor: next, skipped, warnings }

  // the state (session, model, cumulative totals) comes from the whole file: parse what an earlier read consumed
  const parsed: { line: Json; fresh: boolean }[] = []
  let badLines = 0
  let firstBad = 0
  const all = [...(start > 0 ? await prefix() : []), ...lines.map((line) => line.text)]
  const freshFrom = all.length - lines.length
  all.forEach((lineText, index) => {
    const fresh = index >= freshFrom
    if (lineText.trim().length === 0) return
    if (!RELEVANT.test(lineText)) {
      const trimmed = lineText.trim()
      if (trimmed.startsWith("{") && trimmed.endsWith("}")) return
    }
    const line = parseObject(lineText)
    if (!line) {
      if (fresh) {
        badLines++
        if (firstBad === 0) firstBad = index + 1
      }
      return
    }
    parsed.push({ line, fresh })
  })
  if (badLines > 0) {
    count(skipped, "not JSON", badLines)
    warnings.push(`${source.path}: ${badLines} line(s) not JSON, skipped (first at line ${firstBad})`)
  }

  // ccusage looks for the spawn in the file's first 16 KiB
  const spawned = headOf(all, 16 * 1024).includes("thread_spawn")
  let replay = spawned ? replaySecond(parsed.map((entry) => entry.line)) : undefined
  let sessionID: string | undefined
  let project: string | undefined
  let model: string | undefined
  let modelAssumed = false
  let previous: RawUsage | undefined
  const calls: CollectedCall[] = []
  const ids = new Set<string>()

  for (const { line, fresh } of parsed) {
    if (line.type === "session_meta") {
      const payload = asObject(line.payload)
      if (sessionID === undefined && payload) {
        sessionID = text(payload.id)
        const cwd = text(payload.cwd)
        project = cwd ? basename(cwd) || cwd : undefined
      }
      continue
    }
    if (line.type === "turn_context") {
      const named = modelOf(asObject(line.payload))
      if (named) {
        model = named
        modelAssumed = false
      }
      continue
    }
    const event = tokenCount(line)
    if (!event) continue
    if (replay !== undefined) {
      if (event.timestamp.slice(0, 19) === replay) {
        if (event.total) previous = event.total
        if (fresh && (event.last || event.total)) count(skipped, "subagent replay of the parent's history")
        continue
      }
      replay = undefined
    }
    const usage = event.last ?? (event.total ? minus(event.total, previous) : undefined)
    if (event.total) previous = event.total
    if (!usage) continue
    if (usage.input === 0 && usage.cached === 0 && usage.output === 0 && usage.reasoning === 0) continue

    const named = modelOf(event.payload) ?? modelOf(asObject(event.payload.info))
    if (named) {
      model = named
      modelAssumed = false
    } else if (model === undefined) {
      model = CODEX_FALLBACK_MODEL
      modelAssumed = true
    }
    if (!fresh) continue
    const time = Date.parse(event.timestamp)
    if (!Number.isFinite(time)) {
      count(skipped, "invalid entry")
      continue
    }
    const cached = Math.min(usage.cached, usage.input)
    const id = `codex:${fnv1a64([event.timestamp, model, usage.input, cached, usage.output, usage.reasoning, usage.total].join("\n"))}`
    if (ids.has(id)) continue
    ids.add(id)
    if (modelAssumed) count(notes, `model assumed ${CODEX_FALLBACK_MODEL}`)
    calls.push({
      id,
      timestamp: new Date(time),
      provider: "openai",
      model: model as string,
      inputTokens: usage.input - cached,
      outputTokens: usage.output,
      cacheReadTokens: cached,
      cacheWriteTokens: 0,
      reasoningTokens: usage.reasoning,
      reasoningInOutput: true,
      sessionID: sessionID ?? basename(source.path, ".jsonl"),
      project,
      taskType: "primary",
    })
  }

  const result: ReadResult = { calls, cursor: next, skipped, warnings }
  if (Object.keys(notes).length > 0) result.notes = notes
  return result
}

/** The first `bytes` characters of the file the lines make up. */
function headOf(lines: string[], bytes: number): string {
  let head = ""
  for (const text of lines) {
    if (head.length >= bytes) break
    head += `${text}\n`
  }
  return head.slice(0, bytes)
}

export const codexReader: AgentReader = { agent: "codex", sources, read }
