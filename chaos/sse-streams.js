/**
 * Chaos probe, issue 12 item 4: many dashboards during ingestion. Measures ingestion of 10-record batches
 * (8 clients, 200 providers) for 5 s with no stream open, then with 200 SSE streams of distinct queries open
 * (100 filtered to one provider each, 100 unfiltered in different zones and breakdowns, which every commit
 * changes). Bounded: 200 streams, about 15 s. Prints one line: ingest with the streams as a share of ingest
 * without (target >= 0.8), and the summary events the streams received.
 *   node chaos/sse-streams.js
 */
import { pathToFileURL } from "node:url"
import { ingestFor, load, records, startChaosService, suiteFigure } from "./common.js"

const STREAMS = 200
const PROVIDERS = Array.from({ length: 200 }, (_, i) => `provider-${i}`)
const ZONES = [
  "UTC",
  ...Array.from({ length: 12 }, (_, i) => `Etc/GMT+${i + 1}`),
  ...Array.from({ length: 12 }, (_, i) => `Etc/GMT-${i + 1}`),
]
const BYS = [undefined, "model", "node", "taskType", "provider"]

/** The i-th stream's distinct query string. */
function streamQuery(i) {
  if (i % 2 === 0) return `provider=${PROVIDERS[i / 2]}`
  const k = (i - 1) / 2
  const by = BYS[k % BYS.length]
  return `tz=${encodeURIComponent(ZONES[Math.floor(k / BYS.length) % ZONES.length])}${by ? `&by=${by}` : ""}`
}

/**
 * Measures ingestion into the service at `url` with no stream open, then with STREAMS SSE streams of distinct
 * queries open: { ratio, nonePerSecond, withPerSecond, errors, events, distinct, line } (also used by the
 * benchmark suite: bench/benchmarks/availability.js).
 */
export async function measureSseStreams(url) {
  const controllers = []
  try {
    await load(url, records(20_000, { providers: PROVIDERS }))
    const none = await ingestFor(url, { durationMs: 5000, providers: PROVIDERS })

    let events = 0
    const opened = []
    for (let i = 0; i < STREAMS; i++) {
      const controller = new AbortController()
      controllers.push(controller)
      opened.push(
        fetch(`${url}/api/usage/stream?${streamQuery(i)}`, { signal: controller.signal }).then(async (res) => {
          if (res.status !== 200) throw new Error(`stream ${streamQuery(i)}: HTTP ${res.status}`)
          ;(async () => {
            const decoder = new TextDecoder()
            try {
              for await (const chunk of res.body) events += decoder.decode(chunk).split("event: summary").length - 1
            } catch {
              // aborted at the end
            }
          })()
        }),
      )
    }
    await Promise.all(opened)
    const distinct = new Set(Array.from({ length: STREAMS }, (_, i) => streamQuery(i))).size
    await new Promise((r) => setTimeout(r, 500))
    const before = events
    const withStreams = await ingestFor(url, { durationMs: 5000, providers: PROVIDERS })
    const during = events - before
    const ratio = withStreams.perSecond / none.perSecond
    const errors = none.errors + withStreams.errors
    return {
      ratio,
      nonePerSecond: none.perSecond,
      withPerSecond: withStreams.perSecond,
      errors,
      events: during,
      distinct,
      line: `ingest with ${STREAMS} open streams (${distinct} distinct queries) ran at ${ratio.toFixed(2)} of ingest with none (${withStreams.perSecond.toFixed(0)} vs ${none.perSecond.toFixed(0)} batches/s, ${errors} errors); the streams got ${during} summary events in those 5 s`,
    }
  } finally {
    for (const c of controllers) c.abort()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const service = await startChaosService()
  try {
    const { line, errors } = await measureSseStreams(service.url)
    console.log(`sse-streams: ${line}`)
    console.log(await suiteFigure("sse-streams", service.url, line))
    if (errors > 0) process.exitCode = 1
  } finally {
    await service.stop()
  }
}
