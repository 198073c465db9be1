/**
 * Agent logs for the collect benchmark, in the agents' own formats (as test/fixtures/agents/claude/generate.mjs
 * and test/fixtures/agents/opencode/make-db.mjs write them), deterministic (seeded PRNG):
 * - a Claude Code config folder: `projects/<project>/<session>.jsonl`, 20 projects, sessions of ~200 lines, each
 *   session a user prompt then assistant calls (one line each, unique message and request ids, text or tool_use
 *   content, cache writes with the 5m/1h split) with a tool_result user line every ~8 lines;
 * - an OpenCode data folder: `opencode.db` in OpenCode's schema (WAL), sessions of ~200 messages, a user message
 *   every ~8 messages, the rest complete assistant messages with tokens, some with a logged cost.
 * Both over the 30 days before FIXTURE_END. `lines` / `messages` count every line / row (the input size); the
 * returned `calls` is how many of them are calls.
 */
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import Database from "better-sqlite3"
import { OPENCODE_SCHEMA } from "../../test/fixtures/agents/opencode/schema.mjs"
import { DAY_MS, FIXTURE_END_MS, hex, prng } from "./data.js"

const PER_SESSION = 200
const PROJECTS = 20
const CLAUDE_MODELS = ["claude-sonnet-4-5-20250929", "claude-opus-4-1-20250805", "claude-haiku-4-5-20251001"]
const OPENCODE_MODELS = [
  ["anthropic", "claude-sonnet-4-5"],
  ["openai", "gpt-5"],
  ["google", "gemini-2.5-pro"],
  ["opencode", "big-pickle"],
]
const WORDS =
  "the tests read the store then the collector settles each call and moves its cursor on once the records are delivered so a second run finds nothing new".split(
    " ",
  )

const uuidOf = (rnd) => {
  const h = hex(rnd, 32)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`
}

function sentence(rnd, words) {
  const out = []
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(rnd() * WORDS.length)])
  return out.join(" ")
}

/** Token counts skewed toward small calls. */
function tokens(rnd) {
  const u = rnd()
  const v = rnd()
  return {
    input: Math.floor(1 + u * u * 3000),
    output: Math.floor(5 + v * v * 2000),
    read: Math.floor(rnd() * 60_000),
    write5m: rnd() < 0.3 ? Math.floor(rnd() * 4000) : 0,
    write1h: rnd() < 0.1 ? Math.floor(rnd() * 2000) : 0,
    reasoning: rnd() < 0.3 ? Math.floor(rnd() * 800) : 0,
  }
}

/** Start of each session, spread over the 30 days before FIXTURE_END_MS. */
function sessionStart(rnd, s, sessions) {
  const span = 30 * DAY_MS - PER_SESSION * 30_000
  return Math.floor(FIXTURE_END_MS - 30 * DAY_MS + ((s + rnd()) * span) / sessions)
}

/** Writes a Claude Code config folder of `lines` JSONL lines under `root`; returns { lines, calls, files }. */
export function writeClaudeLogs(root, lines, seed = 11) {
  const rnd = prng(seed)
  const sessions = Math.ceil(lines / PER_SESSION)
  let written = 0
  let calls = 0
  for (let s = 0; s < sessions; s++) {
    const project = `/home/dev/src/project-${String(s % PROJECTS).padStart(2, "0")}`
    const dir = join(root, "projects", project.replaceAll("/", "-"))
    mkdirSync(dir, { recursive: true })
    const session = uuidOf(rnd)
    const count = Math.min(PER_SESSION, lines - written)
    let t = sessionStart(rnd, s, sessions)
    let parent = null
    const out = []
    for (let i = 0; i < count; i++) {
      t += 1000 + Math.floor(rnd() * 40_000)
      const uuid = uuidOf(rnd)
      const base = {
        parentUuid: parent,
        isSidechain: false,
        userType: "external",
        cwd: project,
        sessionId: session,
        version: "2.0.14",
        gitBranch: "main",
      }
      parent = uuid
      const timestamp = new Date(t).toISOString()
      if (i === 0 || i % 8 === 4) {
        const content =
          i === 0
            ? sentence(rnd, 12)
            : [{ type: "tool_result", tool_use_id: `toolu_${hex(rnd, 24)}`, content: sentence(rnd, 40) }]
        out.push(JSON.stringify({ ...base, type: "user", message: { role: "user", content }, uuid, timestamp }))
        continue
      }
      const k = tokens(rnd)
      const content =
        rnd() < 0.4
          ? [
              {
                type: "tool_use",
                id: `toolu_${hex(rnd, 24)}`,
                name: "Read",
                input: { file_path: `${project}/README.md` },
              },
            ]
          : [{ type: "text", text: sentence(rnd, 10 + Math.floor(rnd() * 50)) }]
      out.push(
        JSON.stringify({
          ...base,
          message: {
            id: `msg_${hex(rnd, 24)}`,
            type: "message",
            role: "assistant",
            model: CLAUDE_MODELS[Math.floor(rnd() * rnd() * CLAUDE_MODELS.length)],
            content,
            stop_reason: null,
            stop_sequence: null,
            usage: {
              input_tokens: k.input,
              cache_creation_input_tokens: k.write5m + k.write1h,
              cache_read_input_tokens: k.read,
              cache_creation: { ephemeral_5m_input_tokens: k.write5m, ephemeral_1h_input_tokens: k.write1h },
              output_tokens: k.output,
              service_tier: "standard",
            },
          },
          requestId: `req_${hex(rnd, 24)}`,
          type: "assistant",
          uuid,
          timestamp,
        }),
      )
      calls += 1
    }
    writeFileSync(join(dir, `${session}.jsonl`), `${out.join("\n")}\n`)
    written += count
  }
  return { lines: written, calls, files: sessions }
}

/** Writes `dir`/opencode.db (OpenCode's schema, WAL) of `messages` message rows; returns { messages, calls }. */
export function writeOpenCodeDb(dir, messages, seed = 13) {
  const rnd = prng(seed)
  mkdirSync(dir, { recursive: true })
  const db = new Database(join(dir, "opencode.db"))
  db.pragma("journal_mode = WAL")
  db.exec(OPENCODE_SCHEMA)
  const start = FIXTURE_END_MS - 31 * DAY_MS
  const project = db.prepare("INSERT INTO project VALUES (?, ?, 'git', NULL, ?, ?)")
  for (let p = 0; p < PROJECTS; p++) project.run(`prj_${p}`, `/home/dev/src/project-${p}`, start, start)
  const session = db.prepare("INSERT INTO session VALUES (?, ?, NULL, ?, ?, ?, '1.2.0', ?, ?)")
  const insert = db.prepare("INSERT INTO message VALUES (?, ?, ?, ?, ?)")
  const sessions = Math.ceil(messages / PER_SESSION)
  let written = 0
  let calls = 0
  const write = db.transaction(() => {
    for (let s = 0; s < sessions; s++) {
      const p = s % PROJECTS
      const root = `/home/dev/src/project-${p}`
      const id = `ses_${hex(rnd, 24)}`
      let t = sessionStart(rnd, s, sessions)
      session.run(id, `prj_${p}`, id, root, `session ${s}`, t, t + PER_SESSION * 30_000)
      const count = Math.min(PER_SESSION, messages - written)
      for (let i = 0; i < count; i++) {
        const created = t + 500
        t += 1000 + Math.floor(rnd() * 40_000)
        const msg = `msg_${hex(rnd, 24)}`
        if (i % 8 === 0) {
          const data = {
            role: "user",
            time: { created },
            agent: "build",
            model: { providerID: "anthropic", modelID: "claude-sonnet-4-5" },
          }
          insert.run(msg, id, created, created, JSON.stringify(data))
          continue
        }
        const [providerID, modelID] = OPENCODE_MODELS[Math.floor(rnd() * rnd() * OPENCODE_MODELS.length)]
        const k = tokens(rnd)
        const data = {
          role: "assistant",
          parentID: `msg_${hex(rnd, 24)}`,
          mode: "build",
          agent: "build",
          path: { cwd: `${root}/src`, root },
          time: { created, completed: t },
          providerID,
          modelID,
          cost: rnd() < 0.5 ? Math.round(k.output * rnd() * 10) / 1e6 : 0,
          tokens: {
            total: k.input + k.output + k.reasoning + k.read + k.write5m,
            input: k.input,
            output: k.output,
            reasoning: k.reasoning,
            cache: { read: k.read, write: k.write5m },
          },
          finish: "stop",
        }
        insert.run(msg, id, created, t, JSON.stringify(data))
        calls += 1
      }
      written += count
    }
  })
  write()
  db.pragma("wal_checkpoint(TRUNCATE)")
  db.close()
  return { messages: written, calls }
}
