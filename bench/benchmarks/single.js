/**
 * Single-record POSTs: 50 concurrent keep-alive connections, each POSTing one record (`application/json`)
 * and sending the next as soon as the answer arrives (closed loop, undici Pool), to `usage serve` on a fresh
 * SQLite file (each answer waits for the group commit holding its record). Reference (2): the same loop
 * against a bare node:http server that parses the JSON body and answers 200. Runs alternate between the two.
 */
import { generateRecords, toWire } from "../lib/data.js"
import { log, removeDb, tmpPath } from "../lib/fixtures.js"
import { JSON_HEADERS } from "../lib/ingest-data.js"
import { closedLoop, createPool } from "../lib/load.js"
import { cpuTimeOf, sampleRss } from "../lib/proc.js"
import { makeRow } from "../lib/report.js"
import { startBareServer, startService } from "../lib/service.js"
import { summarize } from "../lib/stats.js"

const CONCURRENCY = 50

const MARK = "§"

/**
 * Single-record bodies, prebuilt so the client does no JSON work: `count` templates whose id carries a marker,
 * replaced by the round number in `body(i)`, so every request holds a new identity however many are sent.
 */
function singleBodies(count) {
  const now = Date.now()
  const templates = []
  for (const r of generateRecords({ count, startMs: now - 600_000, endMs: now, seed: 500, idPrefix: `s${MARK}-` })) {
    templates.push(JSON.stringify(toWire(r)))
  }
  return (i) => templates[i % count].replace(MARK, String(Math.floor(i / count)))
}

export default {
  title: "Single-record POSTs, keep-alive, 50 concurrent, vs a bare node:http server",
  async run({ quick }) {
    const reps = quick ? 2 : 5
    const durationMs = quick ? 1500 : 3000
    const db = tmpPath("single-service.db")
    removeDb(db)
    const service = await startService({ db })
    const bare = await startBareServer()
    const servicePool = createPool(service.url, CONCURRENCY)
    const barePool = createPool(bare.url, CONCURRENCY)
    const rss = sampleRss(service.pid, 100)
    const target = []
    const reference = []
    const latencies = []
    const cpu = { service: [], bare: [] }
    const problems = []
    const body = singleBodies(20_000)
    try {
      const once = async (pool, offset, ms, pid) => {
        const c0 = cpuTimeOf(pid)
        const result = await closedLoop({
          pool,
          concurrency: CONCURRENCY,
          durationMs: ms,
          request: (i) => ({
            path: "/ingest/usage",
            headers: JSON_HEADERS,
            body: body(offset + i),
          }),
        })
        if (result.errors > 0) problems.push(`${result.errors} errors (${result.firstError})`)
        result.cpuUsPerRequest = ((cpuTimeOf(pid) - c0) * 1000) / result.ok
        return result
      }
      // Warm-up (JIT, connections), then alternate bare / service.
      await once(barePool, 0, 500, bare.pid)
      let offset = (await once(servicePool, 0, 500, service.pid)).requests
      for (let rep = 0; rep < reps; rep++) {
        const order = rep % 2 === 0 ? ["bare", "service"] : ["service", "bare"]
        for (const which of order) {
          if (which === "bare") {
            const result = await once(barePool, 0, durationMs, bare.pid)
            reference.push(result.rps)
            cpu.bare.push(result.cpuUsPerRequest)
          } else {
            // Distinct records each time (a duplicate would commit nothing).
            const result = await once(servicePool, offset, durationMs, service.pid)
            cpu.service.push(result.cpuUsPerRequest)
            offset += result.requests
            target.push(result.rps)
            latencies.push(...result.latencies)
          }
        }
        log(`rep ${rep + 1}: service ${target[rep].toFixed(0)} req/s, bare ${reference[rep].toFixed(0)} req/s`)
      }
    } finally {
      const memory = rss.stop()
      await servicePool.close()
      await barePool.close()
      await service.stop()
      await bare.stop()
      removeDb(db)
      this.memory = memory
    }
    if (problems.length > 0) throw new Error(problems.slice(0, 3).join("; "))
    const lat = summarize(latencies)
    return [
      makeRow({
        id: "ingest.sqlite.single",
        target: "Single-record POSTs, keep-alive, 50 concurrent (SQLite, group commit)",
        unit: "req/s",
        samples: target,
        ref: { name: "bare node:http + JSON.parse", samples: reference },
        compare: "ratio",
        goals: [{ on: "compare", op: ">=", limit: 0.5 }],
        extra: {
          latencyMs: { p50: lat.median, p90: lat.p90, p99: lat.p99 },
          serviceMaxRssMiB: this.memory.max / 2 ** 20,
        },
        command: "npm run bench -- single",
      }),
      makeRow({
        id: "ingest.sqlite.single.cpu",
        target: "the same, as server CPU µs per request: usage serve vs the bare server (robust on a busy machine)",
        unit: "µs/req",
        samples: cpu.service,
        ref: { name: "bare node:http CPU", samples: cpu.bare },
        compare: "speedup",
        command: "npm run bench -- single",
      }),
    ]
  },
}
