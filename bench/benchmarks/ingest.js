/**
 * HTTP ingestion into SQLite: 5 concurrent senders POST batches of 1000 records (`{"node", "records"}` JSON,
 * keep-alive) to `usage serve --db <fresh file>`; each answer waits for its commit. Reference (1): raw
 * better-sqlite3 inserts of the same records into the same table (identity key, no rollups, one prepared
 * statement, transactions of 1000), run interleaved with the target in the same process run.
 */
import { tmpPath, removeDb, storeApi, log } from "../lib/fixtures.js"
import { buildBatches, JSON_HEADERS } from "../lib/ingest-data.js"
import { closedLoop, createPool } from "../lib/load.js"
import { sampleRss } from "../lib/proc.js"
import { openRaw } from "../lib/raw-sqlite.js"
import { makeRow } from "../lib/report.js"
import { startService } from "../lib/service.js"

const SENDERS = 5

export default {
  title: "HTTP ingestion into SQLite, batches of 1000 from 5 senders, vs raw better-sqlite3 inserts",
  async run({ quick }) {
    const reps = quick ? 2 : 5
    const batchesPerSender = quick ? 6 : 24
    const { openStore } = await storeApi()
    const serviceDb = tmpPath("ingest-service.db")
    const rawDb = tmpPath("ingest-raw.db")
    removeDb(serviceDb)
    removeDb(rawDb)
    await (await openStore(rawDb)).close()
    const raw = openRaw(rawDb)
    const service = await startService({ db: serviceDb })
    const pool = createPool(service.url, SENDERS)
    const rss = sampleRss(service.pid, 100)
    const target = []
    const reference = []
    const problems = []
    try {
      for (let rep = -1; rep < reps; rep++) {
        const warmup = rep < 0
        const batches = buildBatches({
          rep: rep + 1,
          senders: SENDERS,
          batchesPerSender: warmup ? 2 : batchesPerSender,
        })
        const records = batches.reduce((n, b) => n + b.records, 0)
        const runRaw = () => {
          const rows = batches.flatMap((b) => b.rows)
          const { inserted, ms } = raw.insertAll(rows, 1000)
          if (inserted !== records) problems.push(`raw inserted ${inserted} of ${records}`)
          return (records / ms) * 1000
        }
        const runHttp = async () => {
          const result = await closedLoop({
            pool,
            concurrency: SENDERS,
            maxRequests: batches.length,
            checkAccepted: true,
            request: (i) => ({
              path: "/ingest/usage",
              headers: JSON_HEADERS,
              body: batches[i].body,
              records: batches[i].records,
            }),
          })
          if (result.errors > 0 || result.mismatches > 0) {
            problems.push(`HTTP: ${result.errors} errors, ${result.mismatches} mismatches (${result.firstError ?? ""})`)
          }
          return result.recordsPerSecond
        }
        // Alternate the order so drift in the machine's load hits both sides alike.
        let r
        let h
        if (rep % 2 === 0) {
          r = runRaw()
          h = await runHttp()
        } else {
          h = await runHttp()
          r = runRaw()
        }
        if (!warmup) {
          reference.push(r)
          target.push(h)
          log(`rep ${rep + 1}: ${records} records, HTTP ${h.toFixed(0)} rec/s, raw ${r.toFixed(0)} rec/s`)
        }
      }
    } finally {
      const memory = rss.stop()
      await pool.close()
      await service.stop()
      raw.close()
      removeDb(serviceDb)
      removeDb(rawDb)
      this.serviceRss = memory
    }
    if (problems.length > 0) throw new Error(problems.slice(0, 3).join("; "))
    return [
      makeRow({
        id: "ingest.sqlite.batches",
        target: "HTTP ingestion into SQLite: 1000-record batches, 5 concurrent senders",
        unit: "rec/s",
        samples: target,
        ref: { name: "raw better-sqlite3 (txn of 1000)", samples: reference },
        compare: "ratio",
        goals: [{ on: "compare", op: ">=", limit: 0.5 }],
        extra: { serviceMaxRssMiB: this.serviceRss.max / 2 ** 20 },
        command: "npm run bench -- ingest",
      }),
    ]
  },
}
