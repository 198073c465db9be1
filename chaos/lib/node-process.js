/**
 * A node of the chaos scenarios: one process sending records through the library's HttpIngestAdapter (the
 * built one, dist/lib/index.js, as the plugin loads it). It saves a record every INTERVAL_MS and prints
 * `saved <id>` once saveRecord resolved (the record is in the spool on disk: what the node was promised), so
 * the parent knows exactly what was accepted even if this process is killed the next instant (stdout is a
 * pipe, written synchronously on Linux). On the line `drain` on stdin it stops saving, delivers everything
 * (its own spool and the spools of killed processes it takes over), prints `drained <stats json>` and exits.
 * A saveRecord that rejects prints `save-failed <id> <message>`; an init that fails prints `init-failed …`.
 * Env: ENDPOINT, SPOOL_DIR, NODE_ID, PREFIX (id prefix, unique per incarnation), COUNT (most records to
 * save), INTERVAL_MS, BATCH, FLUSH_MS, TIMEOUT_MS, STALE_MS, TIMESTAMP_MS (the first record's time, epoch ms;
 * default a day of January 2026 per prefix; records follow 10 ms apart when it is set, else 1 s).
 */
import { createInterface } from "node:readline"
import { HttpIngestAdapter } from "../../dist/lib/index.js"

const env = process.env
const count = Number(env.COUNT ?? 1000)
const interval = Number(env.INTERVAL_MS ?? 20)
const prefix = env.PREFIX ?? `p${process.pid}`
const staleMs = Number(env.STALE_MS ?? 2000)
const startedAt = Date.now()
const say = (line) => process.stdout.write(`${line}\n`)

const adapter = new HttpIngestAdapter({
  endpoint: env.ENDPOINT,
  nodeId: env.NODE_ID,
  spoolDir: env.SPOOL_DIR,
  batchSize: Number(env.BATCH ?? 25),
  flushIntervalMs: Number(env.FLUSH_MS ?? 50),
  timeoutMs: Number(env.TIMEOUT_MS ?? 2000),
  retryAttempts: 2,
  retryBaseMs: 50,
  maxRetryDelayMs: 500,
  staleMs,
  takeoverIntervalMs: 500,
  logger: {
    info: () => {},
    warn: (m) => process.stderr.write(`${m}\n`),
    error: (m) => process.stderr.write(`${m}\n`),
  },
})

let initFailed = false
try {
  await adapter.init()
} catch (error) {
  initFailed = true
  say(`init-failed ${error.message}`)
}

let draining = false
const base = env.TIMESTAMP_MS
  ? Number(env.TIMESTAMP_MS)
  : Date.UTC(2026, 0, 1) + (Number.parseInt(prefix.replace(/\D/g, "").slice(-6) || "0", 10) % 1000) * 86_400
const step = env.TIMESTAMP_MS ? 10 : 1000
const saves = []

async function generate() {
  for (let i = 0; i < count && !draining; i++) {
    const id = `usage_${prefix}_${i}`
    saves.push(
      adapter
        .saveRecord({
          id,
          timestamp: new Date(base + i * step),
          provider: i % 3 === 0 ? "openai" : "anthropic",
          model: "claude-sonnet-4-5",
          inputTokens: 100 + (i % 900),
          outputTokens: 10 + (i % 50),
          estimatedCost: 0.001 * ((i % 7) + 1),
          taskType: "primary",
        })
        .then(
          () => say(`saved ${id}`),
          (error) => say(`save-failed ${id} ${error.message}`),
        ),
    )
    if (interval > 0) await new Promise((r) => setTimeout(r, interval))
  }
}

async function drain() {
  draining = true
  await Promise.all(saves)
  if (initFailed) {
    say(`drained ${JSON.stringify({ pending: 0, initFailed: true })}`)
    process.exit(0)
  }
  // Spools of killed processes are taken over once their lock is stale: keep flushing until this process
  // has lived past that (and its takeover look ran), and nothing is pending.
  const deadline = Date.now() + Number(env.DRAIN_MS ?? 60_000)
  for (;;) {
    await adapter.flush({ timeoutMs: 2000 })
    const done = adapter.stats().pending === 0 && Date.now() - startedAt > staleMs * 1.5 + 1000
    if (done || Date.now() > deadline) break
    await new Promise((r) => setTimeout(r, 200))
  }
  say(`drained ${JSON.stringify(adapter.stats())}`)
  await adapter.close()
  process.exit(0)
}

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line.trim() === "drain" && !draining) void drain()
})
void generate()
