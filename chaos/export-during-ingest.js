/**
 * Chaos probe, issue 12 item 3: a long export during ingestion. Loads RECORDS records (default 300,000) into the
 * built service (SQLite), measures ingestion of 10-record batches (8 clients) idle for 5 s, then again while a
 * fast reader in another process pulls the whole export as NDJSON, asking /healthz every 100 ms meanwhile.
 * Bounded: the export phase stops at 60 s. Prints one line: ingest under the export as a share of idle, and
 * /healthz latencies (targets: >= 0.5 of idle, /healthz p99 <= 250 ms).
 *   node chaos/export-during-ingest.js   (RECORDS=1000000 for the size)
 */
import { spawn } from "node:child_process"
import { performance } from "node:perf_hooks"
import { pathToFileURL } from "node:url"
import { ingestFor, load, ms, percentile, probeHealth, records, startChaosService, suiteFigure } from "./common.js"

const RECORDS = Number(process.env.RECORDS ?? 300_000)
const LOAD_BATCH = 10_000

/**
 * Loads `count` records into the service at `url`, then measures ingestion idle and during a full NDJSON export to a
 * fast reader: { ratio, idlePerSecond, duringPerSecond, healthP50Ms, healthP99Ms, health, failures, errors, exportMs,
 * bytes, line } (also used by the benchmark suite: bench/benchmarks/availability.js).
 */
export async function measureExportDuringIngest(url, count = RECORDS) {
  for (let loaded = 0; loaded < count; loaded += LOAD_BATCH) {
    await load(url, records(Math.min(LOAD_BATCH, count - loaded), { at: Date.now() - 86_400_000 }))
  }
  const idle = await ingestFor(url, { durationMs: 5000 })

  // The reader drains as fast as it can, in its own process (as `curl … > backup.ndjson` would).
  const t0 = performance.now()
  const reader = spawn(
    process.execPath,
    [
      "-e",
      "fetch(process.argv[1]).then(async (res) => { let n = 0; for await (const b of res.body) n += b.length; console.log(n) })",
      `${url}/api/usage/export?format=ndjson`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  )
  let bytes = ""
  reader.stdout.on("data", (d) => (bytes += d))
  let exporting = true
  const exported = new Promise((resolve) =>
    reader.on("exit", () => {
      exporting = false
      resolve(performance.now() - t0)
    }),
  )
  const bound = setTimeout(() => reader.kill("SIGKILL"), 60_000)
  const health = probeHealth(url, { until: () => !exporting })
  // Ingest in 1 s slices while the export runs (at least one slice).
  const slices = []
  do slices.push(await ingestFor(url, { durationMs: 1000 }))
  while (exporting)
  const exportMs = await exported
  clearTimeout(bound)
  const { latencies, failures } = await health
  const during = slices.reduce((acc, s) => acc + s.perSecond, 0) / slices.length
  const errors = idle.errors + slices.reduce((acc, s) => acc + s.errors, 0)
  const result = {
    ratio: during / idle.perSecond,
    idlePerSecond: idle.perSecond,
    duringPerSecond: during,
    healthP50Ms: percentile(latencies, 50),
    healthP99Ms: percentile(latencies, 99),
    health: latencies,
    failures,
    errors,
    exportMs,
    bytes: Number(bytes),
  }
  result.line = `ingest during a ${count.toLocaleString("en-US")}-record export (${(result.bytes / 1e6).toFixed(0)} MB NDJSON in ${(exportMs / 1000).toFixed(1)} s) ran at ${result.ratio.toFixed(2)} of idle (${during.toFixed(0)} vs ${idle.perSecond.toFixed(0)} batches/s, ${errors} errors); /healthz meanwhile: ${latencies.length} answers, p50 ${ms(result.healthP50Ms)}, p99 ${ms(result.healthP99Ms)}, ${failures} failed`
  return result
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const service = await startChaosService()
  try {
    const { line, errors, failures } = await measureExportDuringIngest(service.url)
    console.log(`export-during-ingest: ${line}`)
    console.log(await suiteFigure("export-during-ingest", service.url, line))
    if (errors > 0 || failures > 0) process.exitCode = 1
  } finally {
    await service.stop()
  }
}
