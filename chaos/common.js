/**
 * Shared pieces of the chaos probes: the built service on a temporary SQLite file over loopback (bench/lib's
 * `startService`: `node bin/run.js serve --db <tmp> --port 0`), an ingest loop of small batches, percentiles.
 * Every probe is bounded in time and in connections, and prints its figure line, then the same in the chaos
 * suite's format (`suiteFigure`: acknowledged, lost, duplicated, recovery).
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import { closedLoop, createPool } from "../bench/lib/load.js"
import { startService } from "../bench/lib/service.js"
import { figureLine } from "./lib/harness.js"

export { closedLoop, createPool }

/** Starts `usage serve` on a fresh SQLite file; `stop()` also removes the file. */
export async function startChaosService(extraArgs = []) {
  const dir = mkdtempSync(join(tmpdir(), "usage-hub-chaos-"))
  const service = await startService({ db: join(dir, "usage.db"), extraArgs })
  return {
    ...service,
    async stop() {
      await service.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

let seq = 0

/** `n` valid wire records (unique ids), providers taken from `providers` in turn. */
export function records(n, { providers = ["anthropic"], node = "chaos-node", at = Date.now() } = {}) {
  return Array.from({ length: n }, () => {
    seq += 1
    return {
      id: `usage_chaos_${process.pid}_${seq}`,
      timestamp: new Date(at - (seq % 3600) * 1000).toISOString(),
      provider: providers[seq % providers.length],
      model: "claude-sonnet-4-5",
      inputTokens: 1000 + (seq % 500),
      outputTokens: 100 + (seq % 37),
      estimatedCost: 0.0001 * ((seq % 13) + 1),
      taskType: "primary",
      node,
    }
  })
}

/** Records the service acknowledged (200) in this process: every probe posts unique ids, so the store must hold exactly these. */
export const tally = { acknowledged: 0 }

/** Posts `body` (a JSON array of `count` records) and counts it acknowledged; throws unless 200. */
export async function load(url, batch) {
  const res = await fetch(`${url}/ingest/usage`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(batch),
  })
  if (res.status !== 200) throw new Error(`load: HTTP ${res.status}: ${await res.text()}`)
  await res.arrayBuffer()
  tally.acknowledged += batch.length
}

/**
 * The probe's line in the chaos suite's format (chaos/run.js runs the probes as scenarios): the store's record
 * count (/healthz) against what was acknowledged (lost: fewer; duplicated: more, which unique ids forbid), and
 * how long /healthz took to answer once the stress was over (recovery).
 */
export async function suiteFigure(name, url, detail) {
  const t0 = performance.now()
  let stored = Number.NaN
  let recoveryMs
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(30_000) })
    const body = await res.json()
    stored = body.store?.records
    if (res.status === 200) recoveryMs = performance.now() - t0
  } catch {
    // not recovered: recoveryMs stays undefined
  }
  const lost = Number.isFinite(stored) ? Math.max(0, tally.acknowledged - stored) : tally.acknowledged
  const duplicated = Number.isFinite(stored) ? Math.max(0, stored - tally.acknowledged) : 0
  return figureLine({ name, acknowledged: tally.acknowledged, lost, duplicated, recoveryMs, detail })
}

/** Closed-loop ingest of `batchSize`-record batches for `durationMs`: { batches, records, errors, perSecond }. */
export async function ingestFor(url, { durationMs, concurrency = 8, batchSize = 10, providers, headers = {} }) {
  const pool = createPool(url, concurrency)
  try {
    const result = await closedLoop({
      pool,
      concurrency,
      durationMs,
      checkAccepted: true,
      request: () => ({
        path: "/ingest/usage",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(records(batchSize, { providers })),
        records: batchSize,
      }),
    })
    tally.acknowledged += result.records
    return {
      batches: result.ok,
      records: result.records,
      errors: result.errors + result.mismatches,
      firstError: result.firstError,
      perSecond: (result.ok / result.elapsedMs) * 1000,
    }
  } finally {
    await pool.close()
  }
}

/** GET /healthz every `everyMs` until `until()` is true: latencies in ms and failures. */
export async function probeHealth(url, { everyMs = 100, until }) {
  const latencies = []
  let failures = 0
  while (!until()) {
    const t0 = performance.now()
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) })
      await res.text()
      if (res.status === 200) latencies.push(performance.now() - t0)
      else failures += 1
    } catch {
      failures += 1
      latencies.push(performance.now() - t0)
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
  return { latencies, failures }
}

export function percentile(values, p) {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

export const ms = (v) => `${Math.round(v)} ms`
