/**
 * A node process for the spool and fault tests: opens an HttpIngestAdapter and saves records, printing one
 * line `saved <id>` per record whose saveRecord resolved (so the parent knows exactly what was accepted).
 * Env: ENDPOINT, SPOOL_DIR, NODE_ID, COUNT (records to save), PREFIX (id prefix), INTERVAL_MS (between saves),
 * MODE: "hold" (stay alive after saving, until killed) or "drain" (flush, print `stats <json>`, close, exit).
 */
import { HttpIngestAdapter } from "../../../src/lib/adapters/http-ingest-adapter.js"

const env = process.env
const count = Number(env.COUNT ?? 10)
const prefix = env.PREFIX ?? `p${process.pid}`
const interval = Number(env.INTERVAL_MS ?? 0)
const adapter = new HttpIngestAdapter({
  endpoint: env.ENDPOINT ?? "http://127.0.0.1:9",
  nodeId: env.NODE_ID ?? "child",
  spoolDir: env.SPOOL_DIR,
  flushIntervalMs: Number(env.FLUSH_MS ?? 20),
  batchSize: Number(env.BATCH ?? 50),
  retryAttempts: 2,
  retryBaseMs: 20,
  maxRetryDelayMs: 200,
  timeoutMs: 2000,
  takeoverIntervalMs: 200,
  staleMs: 2000,
  logger: { info: () => {}, warn: (m) => process.stderr.write(`${m}\n`), error: (m) => process.stderr.write(`${m}\n`) },
})

// Spools of dead processes in SPOOL_DIR are taken over before init() resolves.
await adapter.init()

const base = Date.UTC(2026, 10, 20, 12)
const saves: Promise<void>[] = []
for (let i = 0; i < count; i++) {
  const id = `usage_${prefix}_${i}`
  saves.push(
    adapter
      .saveRecord({
        id,
        timestamp: new Date(base + i * 1000),
        provider: i % 2 ? "openai" : "anthropic",
        model: "claude-sonnet-4-5",
        inputTokens: 100 + i,
        outputTokens: 10,
        estimatedCost: 0.001,
        taskType: "primary",
      })
      .then(() => {
        process.stdout.write(`saved ${id}\n`)
      }),
  )
  if (interval > 0) await new Promise((r) => setTimeout(r, interval))
}
await Promise.all(saves)
process.stdout.write("all-saved\n")
if (env.MODE === "drain") {
  const deadline = Date.now() + Number(env.DRAIN_MS ?? 20_000)
  while (adapter.stats().pending > 0 && !adapter.stats().held && Date.now() < deadline) {
    await adapter.flush({ timeoutMs: 500 })
  }
  process.stdout.write(`stats ${JSON.stringify(adapter.stats())}\n`)
  await adapter.close()
  process.exit(0)
} else {
  setInterval(() => {}, 1 << 30)
}
