/**
 * Child process of the adapter benchmark (run with --expose-gc): `tracker.recordUsage` through an
 * HttpIngestAdapter whose service is down (nothing listens on the endpoint's port). Prints one JSON line:
 * per-call cost of the synchronous recordUsage in chunks of 1000 calls, the time until every record is in the
 * spool (fsync'ed), the adapter's in-memory queue, and heap/RSS after a full GC.
 * Args: N LOCAL_BUFFER_SIZE MODE (adapter | none) SPOOL_DIR
 */
import { createServer } from "node:net"
import { performance } from "node:perf_hooks"

const [n, localBufferSize, mode, spoolDir] = [
  Number(process.argv[2]),
  Number(process.argv[3]),
  process.argv[4],
  process.argv[5],
]
const dist = new URL("../../dist/lib/", import.meta.url)
const root = await import(new URL("index.js", dist).href)
const HttpIngestAdapter =
  root.HttpIngestAdapter ?? (await import(new URL("adapters/http-ingest-adapter.js", dist).href)).HttpIngestAdapter

/** A loopback port with nothing listening on it. */
async function closedPort() {
  const server = createServer()
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

const quiet = { info() {}, warn() {}, error() {} }
let adapter
if (mode === "adapter") {
  adapter = new HttpIngestAdapter({
    endpoint: `http://127.0.0.1:${await closedPort()}`,
    spoolDir,
    localBufferSize,
    nodeId: "bench-node",
    logger: quiet,
    retryBaseMs: 200,
  })
  await adapter.init()
}
const tracker = adapter ? new root.UsageTracker({ adapter }) : new root.UsageTracker({ persist: false })

const PROVIDERS = ["anthropic", "openai", "google", "opencode"]
const MODELS = ["claude-sonnet-4-5", "gpt-5.2", "gemini-3-flash", "big-pickle"]
const input = (i) => ({
  provider: PROVIDERS[i % 4],
  model: MODELS[i % 4],
  inputTokens: 1000 + (i % 5000),
  outputTokens: 100 + (i % 700),
  taskType: i % 3 === 0 ? "subagent" : "primary",
  sessionID: `ses_bench_${Math.floor(i / 40)}`,
})

// Warm-up (JIT), not counted.
for (let i = 0; i < 2000; i++) tracker.recordUsage(input(i))
const perCallUs = []
const t0 = performance.now()
for (let c = 0; c < n; c += 1000) {
  const s = performance.now()
  for (let i = c; i < c + 1000 && i < n; i++) tracker.recordUsage(input(i))
  perCallUs.push(((performance.now() - s) * 1000) / Math.min(1000, n - c))
  // Let the event loop run between bursts, as a plugin's calls are spread out.
  await new Promise((resolve) => setImmediate(resolve))
}
const syncMs = performance.now() - t0
let spooledMs = syncMs
let stats
if (adapter) {
  const total = n + 2000
  for (;;) {
    stats = adapter.stats()
    if (stats.spooled + stats.dropped >= total) break
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
  spooledMs = performance.now() - t0
}
globalThis.gc?.()
globalThis.gc?.()
const memory = process.memoryUsage()
process.stdout.write(
  `${JSON.stringify({ n, mode, localBufferSize, perCallUs, syncMs, spooledMs, stats, heapUsed: memory.heapUsed, rss: memory.rss })}\n`,
)
if (adapter) await adapter.close()
process.exit(0)
