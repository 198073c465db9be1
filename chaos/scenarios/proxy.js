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
  drainAndCount,
  failureDetail,
  figureLine,
  freePort,
  seededRandom,
  sleep,
  startNode,
  startServe,
  tempDir,
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
    const { recoveryMs, failures, result, redelivered, failedAttempts } = await drainAndCount({
      live,
      endpoint: direct,
      acked,
      service,
      db,
    })
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
        failureDetail(failures, result),
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
