/**
 * The batch-ingestion comparison shared by SQLite and PostgreSQL: `reps` repetitions (after one warm-up),
 * each inserting fresh records twice, once through the service over HTTP (5 senders, 1000-record batches,
 * keep-alive) and once through the raw reference (`reference.insertAll(rows)`: transactions of 1000),
 * alternating which goes first. Returns { target, reference, rss, cpu } (rates in records per second; cpu:
 * CPU µs per record of the service process and of the reference, robust to a busy machine where wall-clock
 * rates are not). `referenceCpu`: "own" (the reference runs in this process) or a pid to read from /proc.
 */
import { log } from "./fixtures.js"
import { buildBatches, JSON_HEADERS } from "./ingest-data.js"
import { closedLoop, createPool } from "./load.js"
import { cpuTimeOf, ownCpuMs, sampleRss } from "./proc.js"

export async function compareIngestion({
  service,
  reference,
  reps,
  batchesPerSender,
  senders = 5,
  tag = "",
  referenceCpu = "own",
}) {
  const pool = createPool(service.url, senders)
  const rss = sampleRss(service.pid, 100)
  const target = []
  const refRates = []
  const cpu = { service: [], reference: [] }
  const refCpuNow = () => (referenceCpu === "own" ? ownCpuMs() : cpuTimeOf(referenceCpu))
  const problems = []
  try {
    for (let rep = -1; rep < reps; rep++) {
      const warmup = rep < 0
      const batches = buildBatches({ rep: rep + 1, senders, batchesPerSender: warmup ? 2 : batchesPerSender, tag })
      const records = batches.reduce((n, b) => n + b.records, 0)
      const runRaw = async () => {
        const rows = batches.flatMap((b) => b.rows)
        const c0 = refCpuNow()
        const { inserted, ms } = await reference.insertAll(rows)
        if (!warmup) cpu.reference.push(((refCpuNow() - c0) * 1000) / records)
        if (inserted !== records) problems.push(`reference inserted ${inserted} of ${records}`)
        return (records / ms) * 1000
      }
      const runHttp = async () => {
        const c0 = cpuTimeOf(service.pid)
        const result = await closedLoop({
          pool,
          concurrency: senders,
          maxRequests: batches.length,
          checkAccepted: true,
          request: (i) => ({
            path: "/ingest/usage",
            headers: JSON_HEADERS,
            body: batches[i].body,
            records: batches[i].records,
          }),
        })
        if (!warmup) cpu.service.push(((cpuTimeOf(service.pid) - c0) * 1000) / records)
        if (result.errors > 0 || result.mismatches > 0) {
          problems.push(`HTTP: ${result.errors} errors, ${result.mismatches} mismatches (${result.firstError ?? ""})`)
        }
        return result.recordsPerSecond
      }
      let r
      let h
      if (rep % 2 === 0) {
        r = await runRaw()
        h = await runHttp()
      } else {
        h = await runHttp()
        r = await runRaw()
      }
      if (!warmup) {
        refRates.push(r)
        target.push(h)
        log(`rep ${rep + 1}: ${records} records, HTTP ${h.toFixed(0)} rec/s, reference ${r.toFixed(0)} rec/s`)
      }
    }
  } finally {
    await pool.close()
  }
  const memory = rss.stop()
  if (problems.length > 0) throw new Error(problems.slice(0, 3).join("; "))
  return { target, reference: refRates, rss: memory, cpu }
}
