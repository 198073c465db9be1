/**
 * Reference of the collect benchmark, the floor of collecting agent logs: a plain script that reads and
 * JSON-parses the same logs and inserts one row per call with better-sqlite3 into a simple table (id primary
 * key, ON CONFLICT DO NOTHING) of a fresh database, in transactions of 5000 (the collector's batch), with the
 * store's pragmas (WAL, synchronous FULL). No validation, no identity state, no pricing, no cursors.
 * Run as a child process: `node bench/lib/collect-reference.js claude|opencode DIR DB`; prints
 * `{"read":…,"inserted":…}`.
 *   claude:   every `*.jsonl` under DIR/projects (readFileSync, split on newlines, JSON.parse each line);
 *             a call is an assistant line with message.usage.
 *   opencode: DIR/opencode.db, `SELECT id, session_id, data FROM message` (read-only), JSON.parse each row's
 *             data; a call is a complete assistant message.
 */
import { readdirSync, readFileSync } from "node:fs"
import { basename, join } from "node:path"
import Database from "better-sqlite3"

const [kind, dir, dbPath] = process.argv.slice(2)
const BATCH = 5000

const db = new Database(dbPath)
db.pragma("journal_mode = WAL")
db.pragma("synchronous = FULL")
db.exec(`CREATE TABLE IF NOT EXISTS calls (
  id TEXT PRIMARY KEY, ts INTEGER NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL,
  input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cache_read_tokens INTEGER,
  cache_write_tokens INTEGER, reasoning_tokens INTEGER, cost REAL, session_id TEXT, project TEXT)`)
const insert = db.prepare("INSERT INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
const insertMany = db.transaction((rows) => {
  let n = 0
  for (const row of rows) n += insert.run(row).changes
  return n
})

let read = 0
let inserted = 0
let batch = []
const add = (row) => {
  batch.push(row)
  if (batch.length === BATCH) {
    inserted += insertMany(batch)
    batch = []
  }
}

if (kind === "claude") {
  const projects = join(dir, "projects")
  const files = readdirSync(projects, { recursive: true })
    .filter((name) => name.endsWith(".jsonl"))
    .sort()
  for (const name of files) {
    for (const line of readFileSync(join(projects, name), "utf8").split("\n")) {
      if (line === "") continue
      read += 1
      let entry
      try {
        entry = JSON.parse(line)
      } catch {
        continue
      }
      const usage = entry.message?.usage
      if (entry.type !== "assistant" || !usage) continue
      add([
        `${entry.message.id}:${entry.requestId}`,
        Date.parse(entry.timestamp),
        "anthropic",
        entry.message.model,
        usage.input_tokens ?? 0,
        usage.output_tokens ?? 0,
        usage.cache_read_input_tokens ?? 0,
        usage.cache_creation_input_tokens ?? 0,
        0,
        entry.costUSD ?? null,
        entry.sessionId ?? null,
        entry.cwd ? basename(entry.cwd) : null,
      ])
    }
  }
} else if (kind === "opencode") {
  const source = new Database(join(dir, "opencode.db"), { readonly: true })
  for (const [id, session, data] of source.prepare("SELECT id, session_id, data FROM message").raw().iterate()) {
    read += 1
    let m
    try {
      m = JSON.parse(data)
    } catch {
      continue
    }
    if (m.role !== "assistant" || m.time?.completed == null) continue
    const t = m.tokens ?? {}
    add([
      id,
      m.time.created,
      m.providerID,
      m.modelID,
      t.input ?? 0,
      t.output ?? 0,
      t.cache?.read ?? 0,
      t.cache?.write ?? 0,
      t.reasoning ?? 0,
      m.cost ?? null,
      session,
      m.path?.root ? basename(m.path.root) : null,
    ])
  }
  source.close()
} else {
  process.stderr.write("usage: collect-reference.js claude|opencode DIR DB\n")
  process.exit(2)
}
if (batch.length > 0) inserted += insertMany(batch)
db.close()
process.stdout.write(`${JSON.stringify({ read, inserted })}\n`)
