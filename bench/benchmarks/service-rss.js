/**
 * The service under sustained ingestion: 5 senders POST 1000-record batches as fast as the service answers
 * for 20 s (fresh SQLite file), with one dashboard client on the SSE stream (a summary after each commit);
 * the service's RSS is sampled every 100 ms from /proc. Bodies are prebuilt and re-stamped with fresh ids per
 * round, so every record is new.
 */
import { log, removeDb, tmpPath } from "../lib/fixtures.js"
import { buildBatches, JSON_HEADERS } from "../lib/ingest-data.js"
import { closedLoop, createPool } from "../lib/load.js"
import { sampleRss } from "../lib/proc.js"
import { makeRow } from "../lib/report.js"
import { startService } from "../lib/service.js"
import { summarize } from "../lib/stats.js"

const MARK = "§"

export default {
  title: "usage serve RSS under 20 s of sustained ingestion (5 senders x 1000-record batches, one SSE client)",
  async run({ quick }) {
    const durationMs = quick ? 5_000 : 20_000
    const db = tmpPath("rss-service.db")
    removeDb(db)
    const templates = buildBatches({ rep: 99, senders: 5, batchesPerSender: 20, tag: MARK }).map((b) => ({
      body: b.body,
      records: b.records,
    }))
    const service = await startService({ db })
    const pool = createPool(service.url, 6)
    const rss = sampleRss(service.pid, 100)
    const baseline = rss.samples.length
    let sse
    let memory
    let result
    try {
      const stream = await pool.request({ path: "/api/usage/stream", method: "GET" })
      sse = { bytes: 0, body: stream.body }
      stream.body.on("data", (d) => (sse.bytes += d.length))
      stream.body.on("error", () => {})
      result = await closedLoop({
        pool,
        concurrency: 5,
        durationMs,
        checkAccepted: true,
        request: (i) => {
          const t = templates[i % templates.length]
          const round = Math.floor(i / templates.length)
          return {
            path: "/ingest/usage",
            headers: JSON_HEADERS,
            body: t.body.replaceAll(MARK, `${round}x`),
            records: t.records,
          }
        },
      })
    } finally {
      memory = rss.stop()
      sse?.body.destroy()
      await pool.close()
      await service.stop()
      removeDb(db)
    }
    if (result.errors > 0 || result.mismatches > 0) throw new Error(`${result.errors} errors: ${result.firstError}`)
    const mib = memory.samples.map((b) => b / 2 ** 20)
    log(
      `${result.records} records in ${(result.elapsedMs / 1000).toFixed(1)} s (${result.recordsPerSecond.toFixed(0)} rec/s); RSS max ${Math.max(...mib).toFixed(0)} MiB, last ${mib[mib.length - 1].toFixed(0)} MiB; SSE ${sse.bytes} bytes`,
    )
    return [
      makeRow({
        id: "service.rss.sustained",
        target: `usage serve peak RSS over ${durationMs / 1000} s of sustained ingestion (${result.records} records, SSE client)`,
        unit: "MiB",
        samples: [Math.max(...mib)],
        goals: [{ on: "value", op: "<", limit: 300 }],
        extra: {
          rss: summarize(mib),
          baselineSamples: baseline,
          lastMiB: mib[mib.length - 1],
          recordsPerSecond: result.recordsPerSecond,
          sseBytes: sse.bytes,
        },
        command: "npm run bench -- service-rss",
      }),
    ]
  },
}
