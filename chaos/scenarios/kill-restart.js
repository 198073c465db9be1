/**
 * kill-restart: node processes send records through HttpIngestAdapter while the service is killed with SIGKILL
 * and restarted at seeded random moments, and node processes are killed too and restarted on their spools
 * (the next incarnation takes the dead one's spool over). At the end every node delivers what it holds and the
 * store (`usage export --db … --ndjson`) must hold every record a saveRecord accepted, exactly once.
 * Recovery: from the end of the last fault to the moment the service holds every acknowledged record.
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

export async function killRestart({ short, seed }) {
  const rng = seededRandom(seed)
  const nodes = short ? 3 : 5
  // The faults are spread over about this long (plus the restarts' own time).
  const durationMs = short ? 6000 : 60_000
  const rounds = short ? 4 : 30
  const tmp = tempDir("kill-restart")
  const db = join(tmp.dir, "usage.db")
  const port = await freePort()
  const endpoint = `http://127.0.0.1:${port}`
  const acked = new Set()
  let service = await startServe({ db, port })
  let serviceKills = 0
  let nodeKills = 0
  const live = []
  const incarnations = Array(nodes).fill(0)
  const spawnNode = (i) => {
    incarnations[i] += 1
    const spoolDir = join(tmp.dir, `spool-${i}`)
    mkdirSync(spoolDir, { recursive: true })
    live[i] = startNode({
      endpoint,
      spoolDir,
      nodeId: `chaos-node-${i}`,
      prefix: `n${i}i${incarnations[i]}`,
      acked,
      intervalMs: short ? 15 : 10,
    })
  }
  try {
    for (let i = 0; i < nodes; i++) spawnNode(i)
    // A fixed number of faults (not "as many as fit in the time"), so a seed replays the same run on any machine.
    const started = Date.now()
    for (let round = 0; round < rounds; round++) {
      await sleep(rng.int(300, (2 * durationMs) / rounds - 300))
      // Short: service and node kills alternate (both kinds in every run); long: 60% service kills.
      if (short ? round % 2 === 0 : rng.next() < 0.6) {
        // The service dies mid-ingest (no shutdown, no commit of what is in flight) and comes back.
        await service.kill("SIGKILL")
        serviceKills += 1
        await sleep(rng.int(0, 1500))
        service = await startServe({ db, port })
      } else {
        const i = rng.int(0, nodes - 1)
        await live[i].kill()
        nodeKills += 1
        await sleep(rng.int(0, 1000))
        spawnNode(i)
      }
    }
    // Last fault over: every node delivers what it holds (its own spool, and the spools of its dead
    // incarnations, taken over once their locks are stale).
    const end = await drainAndCount({ live, endpoint, acked, service, db })
    const { t0, recoveryMs, failures, result, redelivered } = end
    const line = figureLine({
      name: "kill-restart",
      acknowledged: acked.size,
      lost: result.lost,
      duplicated: result.duplicated,
      recoveryMs,
      detail:
        `${nodes} nodes, ${serviceKills} service SIGKILLs, ${nodeKills} node SIGKILLs in ${Math.round((t0 - started) / 1000)} s; ` +
        `${result.stored} stored (${result.extra} saved by a node killed before it could report them); ` +
        `the last nodes saw ${redelivered} redeliveries counted once` +
        failureDetail(failures, result),
    })
    return { line, ok: result.lost === 0 && result.duplicated === 0 && recoveryMs !== undefined && !failures.length }
  } finally {
    for (const n of live) await n?.kill()
    await service.kill("SIGKILL")
    tmp.cleanup()
  }
}
