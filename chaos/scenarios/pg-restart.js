/**
 * pg-restart (long suite only, never in CI, which shares the machine's PostgreSQL): two `usage serve` replicas on
 * one PostgreSQL schema, node processes split between them, and the PostgreSQL server itself restarted under them
 * (`pg_ctlcluster --skip-systemctl-redirect <version> main restart`, what a database upgrade or a crash of the
 * database host does). Both replicas must stay up, answer 5xx while the database is away (the nodes retry),
 * reconnect by themselves and lose nothing acknowledged. Skipped, with a message, under CI=true, without
 * pg_ctlcluster, or when PostgreSQL does not answer at USAGE_TEST_PG.
 */
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readdirSync } from "node:fs"
import { join } from "node:path"
import {
  drainAndCount,
  failureDetail,
  figureLine,
  freePort,
  seededRandom,
  skippedLine,
  sleep,
  startNode,
  startServe,
  tempDir,
} from "../lib/harness.js"
import { admin, BASE_URL, healthyAfter } from "./pg-terminate.js"

/** Restarts the machine's PostgreSQL cluster; resolves how long the command took. */
function restartPostgres() {
  const version = readdirSync("/etc/postgresql").sort().at(-1)
  const t0 = Date.now()
  execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "restart"], { stdio: "ignore" })
  return Date.now() - t0
}

export async function pgRestart({ seed }) {
  if (process.env.CI) return { line: skippedLine("pg-restart", "never under CI (it restarts the shared server)"), ok: true }
  if (!existsSync("/etc/postgresql")) return { line: skippedLine("pg-restart", "no local PostgreSQL cluster"), ok: true }
  let setup
  try {
    setup = await admin()
  } catch (error) {
    return { line: skippedLine("pg-restart", `PostgreSQL not reachable at ${BASE_URL}: ${error.message}`), ok: true }
  }
  const rng = seededRandom(seed + 7)
  const schema = `usage_chaos_restart_${process.pid}_${Date.now().toString(36)}`
  await setup.query(`CREATE SCHEMA ${schema}`)
  await setup.end()
  const url = new URL(BASE_URL)
  url.searchParams.set("options", `-c search_path=${schema}`)
  const db = url.toString()
  const tmp = tempDir("pg-restart")
  const acked = new Set()
  const replicas = []
  const live = []
  try {
    for (let r = 0; r < 2; r++) {
      const port = await freePort()
      replicas.push({ port, endpoint: `http://127.0.0.1:${port}`, service: await startServe({ db, port }) })
    }
    for (let i = 0; i < 4; i++) {
      const spoolDir = join(tmp.dir, `spool-${i}`)
      mkdirSync(spoolDir)
      const { endpoint } = replicas[i % 2]
      live.push(startNode({ endpoint, spoolDir, nodeId: `restart-node-${i}`, prefix: `r${i}`, acked }))
    }
    for (const until = Date.now() + 15_000; acked.size < 120 && Date.now() < until; ) await sleep(100)
    const restarts = 2
    let downMs = 0
    let healthMs = 0
    for (let k = 0; k < restarts; k++) {
      await sleep(rng.int(1000, 3000))
      downMs = Math.max(downMs, restartPostgres())
      for (const { endpoint } of replicas) healthMs = Math.max(healthMs, (await healthyAfter(endpoint, 30_000)) ?? 1e9)
    }
    const alive = replicas.every((r) => r.service.alive)
    // Every node drains to its own replica; the first replica is stopped and the store counted.
    const { recoveryMs, failures, result } = await drainAndCount({
      live,
      endpoint: replicas[0].endpoint,
      acked,
      service: replicas[0].service,
      db,
      serviceUp: alive,
    })
    await replicas[1].service.stop()
    const line = figureLine({
      name: "pg-restart",
      acknowledged: acked.size,
      lost: result.lost,
      duplicated: result.duplicated,
      recoveryMs,
      detail:
        `2 replicas, 4 nodes, PostgreSQL restarted ${restarts} times (longest restart ${downMs} ms): the replicas ` +
        `${alive ? "stayed up" : "DIED"}, /healthz 200 again within ${healthMs} ms; ${result.stored} stored` +
        failureDetail(failures, result),
    })
    const ok = alive && result.lost === 0 && result.duplicated === 0 && recoveryMs !== undefined && !failures.length
    return { line, ok }
  } finally {
    for (const n of live) await n.kill()
    for (const r of replicas) await r.service.kill("SIGKILL")
    const cleanup = await admin().catch(() => undefined)
    await cleanup?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {})
    await cleanup?.end()
    tmp.cleanup()
  }
}
