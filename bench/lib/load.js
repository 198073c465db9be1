/**
 * A closed-loop HTTP load generator on undici (an autocannon-like loop, no extra package): `concurrency`
 * workers share a keep-alive Pool with one connection each; every worker sends its next request as soon as
 * the previous answer is read. Bounded by time and by count. Counts answers by status and (for ingest)
 * records accepted, and keeps every latency.
 */
import { performance } from "node:perf_hooks"
import { Pool } from "undici"

export function createPool(origin, connections) {
  return new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 120_000 })
}

/**
 * Runs the loop. `request(i)` returns { path, method, headers, body, records } for the i-th request
 * (records: how many records it carries, default 1). With `checkAccepted`, each 200 is parsed and its
 * `accepted + duplicates` must equal `records`.
 * Returns { requests, records, ok, errors, statuses, elapsedMs, rps, recordsPerSecond, latencies }.
 */
export async function closedLoop({
  pool,
  concurrency,
  durationMs = Number.POSITIVE_INFINITY,
  maxRequests = Number.POSITIVE_INFINITY,
  request,
  checkAccepted = false,
}) {
  let next = 0
  let stop = false
  let ok = 0
  let errors = 0
  let records = 0
  let mismatches = 0
  const statuses = {}
  const latencies = []
  let firstError
  const timer = Number.isFinite(durationMs) ? setTimeout(() => (stop = true), durationMs) : undefined
  const start = performance.now()
  const worker = async () => {
    while (!stop) {
      const i = next++
      if (i >= maxRequests) break
      const spec = request(i)
      const t0 = performance.now()
      try {
        const res = await pool.request({
          path: spec.path,
          method: spec.method ?? "POST",
          headers: spec.headers,
          body: spec.body,
        })
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1
        if (res.statusCode === 200 && checkAccepted) {
          const answer = await res.body.json()
          if (answer.accepted + answer.duplicates !== (spec.records ?? 1)) mismatches += 1
        } else if (res.statusCode !== 200) {
          const text = await res.body.text()
          firstError ??= `HTTP ${res.statusCode}: ${text.slice(0, 300)}`
        } else await res.body.dump()
        latencies.push(performance.now() - t0)
        if (res.statusCode === 200) {
          ok += 1
          records += spec.records ?? 1
        } else errors += 1
      } catch (error) {
        errors += 1
        firstError ??= error.message
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsedMs = performance.now() - start
  if (timer) clearTimeout(timer)
  return {
    requests: ok + errors,
    ok,
    errors,
    mismatches,
    firstError,
    statuses,
    records,
    elapsedMs,
    rps: (ok / elapsedMs) * 1000,
    recordsPerSecond: (records / elapsedMs) * 1000,
    latencies,
  }
}

/** Sequential GETs (one at a time): latencies in ms of `count` requests after `warmup`. */
export async function sequentialGets({ pool, path, count, warmup = 3, headers }) {
  const latencies = []
  for (let i = 0; i < warmup + count; i++) {
    const t0 = performance.now()
    const res = await pool.request({ path, method: "GET", headers })
    const body = await res.body.text()
    const ms = performance.now() - t0
    if (res.statusCode !== 200) throw new Error(`GET ${path}: HTTP ${res.statusCode}: ${body.slice(0, 300)}`)
    if (i >= warmup) latencies.push(ms)
  }
  return latencies
}
