// The agent plugin's view of usage-hub: `import … from "usage-hub"` from a project whose node_modules holds
// the package, run under Node or Bun. Records through the FileAdapter (the legacy file) and through the
// HttpIngestAdapter (the central service), then prints one JSON line: what it found, did and loaded.
// Env: LEGACY_FILE, ENDPOINT, SPOOL_DIR, NODE_ID, COUNT.
import { createRequire } from "node:module"
import * as root from "usage-hub"

const out = {
  runtime: typeof Bun !== "undefined" ? `bun ${Bun.version}` : `node ${process.version}`,
  missing: [],
}
for (const name of [
  "UsageTracker",
  "FileAdapter",
  "HttpIngestAdapter",
  "createStorageAdapter",
  "createUsageClient",
  "usageConfigSchema",
]) {
  if (!(name in root)) out.missing.push(name)
}

const input = (i) => ({
  provider: i % 2 ? "openai" : "anthropic",
  model: i % 2 ? "gpt-5.2" : "claude-sonnet-4-5",
  inputTokens: 1000 + i,
  outputTokens: 100,
  taskType: "primary",
  sessionID: "ses_plugin",
})

// The FileAdapter half: the tracker as today's plugin builds it.
const fileTracker = new root.UsageTracker({ enabled: true, persist: true, storagePath: process.env.LEGACY_FILE })
out.fileIds = [fileTracker.recordUsage(input(0)).id, fileTracker.recordUsage(input(1)).id]
await fileTracker.shutdown()

// The HttpIngestAdapter half.
if (root.HttpIngestAdapter) {
  const adapter = new root.HttpIngestAdapter({
    endpoint: process.env.ENDPOINT,
    nodeId: process.env.NODE_ID,
    spoolDir: process.env.SPOOL_DIR,
    flushIntervalMs: 20,
  })
  const tracker = new root.UsageTracker({ adapter })
  out.httpIds = []
  const started = performance.now()
  for (let i = 0; i < Number(process.env.COUNT ?? 20); i++) out.httpIds.push(tracker.recordUsage(input(i)).id)
  out.recordUsageMs = performance.now() - started
  await tracker.flush()
  out.stats = adapter.stats()
  const summaries = await adapter.getAllSummaries()
  out.summaryCalls = Object.values(summaries).reduce((n, s) => n + s.callCount, 0)
  out.periodStartIsDate = Object.values(summaries).every((s) => s.periodStart instanceof Date)
  if (root.createUsageClient) {
    const client = root.createUsageClient({ backend: "http", http: { endpoint: process.env.ENDPOINT } })
    out.clientSource = (await client.getAllSummaries()).source
  }
  await tracker.shutdown()
}

// What the package root loaded: none of the Node-only drivers.
const cache = createRequire(import.meta.url).cache ?? {}
out.loaded = Object.keys(cache).filter((p) => /node_modules\/(undici|better-sqlite3|pg|fastify)\//.test(p))
out.cacheSize = Object.keys(cache).length
process.stdout.write(`${JSON.stringify(out)}\n`)
