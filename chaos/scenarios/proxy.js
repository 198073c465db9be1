/**
 * proxy: node processes send through a faulty TCP proxy (lib/proxy.js) that drops connections, stalls them past
 * the nodes' timeout, and cuts responses after the service committed, so nodes send again what is already
 * stored. Then the proxy heals. Every accepted record must be stored once: the redeliveries the service reports
 * as duplicates are the cut answers, counted once by identity. Recovery: from the heal to the moment the
 * service holds every acknowledged record.
 */
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import {
  compare,
  exportKeys,
  figureLine,
  freePort,
  seededRandom,
  sleep,
  startNode,
  startServe,
  tempDir,
  timeToHold,
} from "../lib/harness.js"
import { startProxy } from "../lib/proxy.js"

export async function proxy({ short, seed }) {
  const rng = seededRandom(seed + 1)
  const nodes = short ? 3 : 5
  const durationMs = short ? 8000 : 60_000
  const tmp = tempDir("proxy")
  const db = join(tmp.dir, "usage.db")
  const port = await freePort()
  const direct = `http://127.0.0.1:${port}`
  const acked = new Set()
  const service = await startServe({ db, port })
  const faulty = await startProxy({
    target: { host: "127.0.0.1", port },
    rng,
    faults: { drop: 0.05, cut: 0.15, stall: 0.1, stallMs: [100, 3000] },
  })
  const live = []
  try {
    for (let i = 0; i < nodes; i++) {
      const spoolDir = join(tmp.dir, `spool-${i}`)
      mkdirSync(spoolDir)
      live.push(startNode({ endpoint: faulty.url, spoolDir, nodeId: `proxy-node-${i}`, prefix: `x${i}`, acked }))
    }
    await sleep(durationMs)
    faulty.heal()
    const t0 = Date.now()
    const stats = await Promise.all(live.map((n) => n.drain()))
    const drainedAll = stats.every((s) => s && s.pending === 0)
    const held = await timeToHold(direct, acked, { timeoutMs: 30_000 })
    const recoveryMs = drainedAll && held !== undefined ? Date.now() - t0 : undefined
    const failures = live.flatMap((n) => n.saveFailures)
    await service.stop()
    const result = compare(acked, await exportKeys(db))
    const redelivered = stats.reduce((n, s) => n + (s?.duplicates ?? 0), 0)
    const failedAttempts = stats.reduce((n, s) => n + (s?.failedAttempts ?? 0), 0)
    const { connections, drops, stalls, cuts } = faulty.counts
    const line = figureLine({
      name: "proxy",
      acknowledged: acked.size,
      lost: result.lost,
      duplicated: result.duplicated,
      recoveryMs,
      detail:
        `${nodes} nodes through a proxy for ${durationMs / 1000} s: ${connections} connections, ${drops} dropped, ` +
        `${stalls} stalled, ${cuts} answers cut after the commit; ${failedAttempts} failed attempts retried, ` +
        `${redelivered} records redelivered and counted once; ${result.stored} stored` +
        (failures.length ? `; ${failures.length} saveRecord failures: ${failures[0]}` : "") +
        (result.lost ? `; lost e.g. ${result.lostKeys.join(", ")}` : ""),
    })
    const ok = result.lost === 0 && result.duplicated === 0 && recoveryMs !== undefined && failures.length === 0
    return { line, ok: ok && cuts > 0 && redelivered > 0 }
  } finally {
    for (const n of live) await n.kill()
    await faulty.close()
    await service.kill("SIGKILL")
    tmp.cleanup()
  }
}
