/**
 * pg-terminate: the service on PostgreSQL (a schema of its own, dropped afterwards; `application_name` set in
 * the URL so its backends can be found) while node processes send, and its backends are terminated several
 * times (`pg_terminate_backend`, what a failover or a database restart does to connections). The service must
 * stay up (no crash), answer the batches in flight with a 5xx that the nodes retry, reconnect by itself and
 * lose nothing acknowledged. The PostgreSQL server itself is never restarted (CI shares it). Skipped, with a
 * message, when PostgreSQL does not answer at USAGE_TEST_PG (default postgres://postgres@127.0.0.1:5432/test).
 * Recovery: from the last termination to the first /healthz 200, and to every acknowledged record held.
 */
import { mkdirSync } from "node:fs"
import { join } from "node:path"
import pg from "pg"
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

export const BASE_URL = process.env.USAGE_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test"

export async function admin() {
  const client = new pg.Client({ connectionString: BASE_URL, connectionTimeoutMillis: 3000 })
  client.on("error", () => {})
  await client.connect()
  return client
}

/** Terminates every backend of `app`; resolves how many there were. */
async function terminate(app) {
  const client = await admin()
  try {
    const { rows } = await client.query(
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE application_name = $1",
      [app],
    )
    return rows.length
  } finally {
    await client.end()
  }
}

/** The first /healthz 200 within `timeoutMs`: ms it took, or undefined. */
export async function healthyAfter(url, timeoutMs) {
  const t0 = Date.now()
  while (Date.now() - t0 < timeoutMs) {
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })
      await res.arrayBuffer()
      if (res.status === 200) return Date.now() - t0
    } catch {
      // not yet
    }
    await sleep(50)
  }
  return undefined
}

export async function pgTerminate({ short, seed }) {
  let setup
  try {
    setup = await admin()
  } catch (error) {
    return { line: skippedLine("pg-terminate", `PostgreSQL not reachable at ${BASE_URL}: ${error.message}`), ok: true }
  }
  const rng = seededRandom(seed + 2)
  const schema = `usage_chaos_${process.pid}_${Date.now().toString(36)}`
  const app = schema
  await setup.query(`CREATE SCHEMA ${schema}`)
  const url = new URL(BASE_URL)
  url.searchParams.set("options", `-c search_path=${schema}`)
  url.searchParams.set("application_name", app)
  const db = url.toString()
  const nodes = short ? 3 : 5
  const terminations = short ? 4 : 15
  const tmp = tempDir("pg-terminate")
  const port = await freePort()
  const endpoint = `http://127.0.0.1:${port}`
  const acked = new Set()
  let service
  const live = []
  try {
    service = await startServe({ db, port })
    for (let i = 0; i < nodes; i++) {
      const spoolDir = join(tmp.dir, `spool-${i}`)
      mkdirSync(spoolDir)
      live.push(startNode({ endpoint, spoolDir, nodeId: `pg-node-${i}`, prefix: `g${i}`, acked }))
    }
    // The nodes are up and sending (their start takes a few seconds on a loaded machine) before the first fault.
    for (const until = Date.now() + 15_000; acked.size < 30 * nodes && Date.now() < until; ) await sleep(100)
    let terminated = 0
    let healthMs = 0
    for (let k = 0; k < terminations; k++) {
      await sleep(rng.int(500, 1500))
      terminated += await terminate(app)
      const ms = await healthyAfter(endpoint, 20_000)
      if (ms === undefined || !service.alive) break
      healthMs = Math.max(healthMs, ms)
    }
    const aliveAfter = service.alive
    const { recoveryMs, failures, failedAttempts, stopped, result } = await drainAndCount({
      live,
      endpoint,
      acked,
      service,
      db,
      serviceUp: aliveAfter,
    })
    const line = figureLine({
      name: "pg-terminate",
      acknowledged: acked.size,
      lost: result.lost,
      duplicated: result.duplicated,
      recoveryMs,
      detail:
        `${nodes} nodes, ${terminations} rounds of pg_terminate_backend (${terminated} backends): the service ` +
        `${aliveAfter ? "stayed up" : `DIED (${service.output().slice(-300)})`}, /healthz 200 again within ${healthMs} ms ` +
        `of each; ${failedAttempts} failed attempts retried; ${result.stored} stored; stopped cleanly: ` +
        `${stopped.code === 0 ? "yes" : `no (${stopped.code ?? stopped.signal})`}` +
        failureDetail(failures, result),
    })
    const ok =
      aliveAfter && result.lost === 0 && result.duplicated === 0 && recoveryMs !== undefined && !failures.length
    return { line, ok: ok && terminated > 0 }
  } finally {
    for (const n of live) await n.kill()
    await service?.kill("SIGKILL")
    await setup.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {})
    await setup.end()
    tmp.cleanup()
  }
}
