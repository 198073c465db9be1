/**
 * disk-full: the service's SQLite database fills up (lib/serve-with-faults.js: SQLite's own SQLITE_FULL while a
 * flag file exists) while node processes send, then space comes back. While full, ingest must answer 503
 * STORE_UNAVAILABLE "the store cannot write: disk full; retry later" (nodes keep their records spooled and
 * retry), /healthz keeps answering, and afterwards every acknowledged record is stored once without anyone
 * restarting anything. Also a node whose spool directory cannot be created (its path is a file: root ignores
 * chmod, so a read-only directory proves nothing here) must say so loudly: init fails, every saveRecord rejects,
 * the adapter logs the spool's path. Recovery: from the moment space returns to every acknowledged record held.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import {
  compare,
  exportKeys,
  failureDetail,
  figureLine,
  freePort,
  sleep,
  startNode,
  startServe,
  tempDir,
  timeToHold,
} from "../lib/harness.js"

const ENTRY = fileURLToPath(new URL("../lib/serve-with-faults.js", import.meta.url))

/**
 * A batch of 300 records posted straight to the service (more than the free room inside the database's pages,
 * so while it is full the batch needs a page it cannot get): its status and JSON body.
 */
async function postOne(endpoint, id) {
  const res = await fetch(`${endpoint}/ingest/usage`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-usage-node": "disk-full-probe" },
    body: JSON.stringify(
      Array.from({ length: 300 }, (_, j) => ({
        id: `${id}_${j}`,
        timestamp: new Date(Date.UTC(2026, 0, 1) + j * 1000).toISOString(),
        provider: "anthropic",
        model: "m".repeat(100),
        inputTokens: 1,
        outputTokens: 1,
        estimatedCost: 0.001,
        taskType: "primary",
      })),
    ),
    signal: AbortSignal.timeout(10_000),
  })
  return { status: res.status, body: await res.json() }
}

export async function diskFull({ short }) {
  const nodes = short ? 3 : 5
  const fullMs = short ? 3000 : 20_000
  const tmp = tempDir("disk-full")
  const db = join(tmp.dir, "usage.db")
  const flag = join(tmp.dir, "full")
  const port = await freePort()
  const endpoint = `http://127.0.0.1:${port}`
  const acked = new Set()
  const service = await startServe({ db, port, entry: ENTRY, env: { FULL_FLAG: flag } })
  const live = []
  try {
    for (let i = 0; i < nodes; i++) {
      const spoolDir = join(tmp.dir, `spool-${i}`)
      mkdirSync(spoolDir)
      live.push(startNode({ endpoint, spoolDir, nodeId: `full-node-${i}`, prefix: `f${i}`, acked }))
    }
    // A node whose spool path is a file: its directory can never be created.
    const blocked = join(tmp.dir, "not-a-directory")
    writeFileSync(blocked, "")
    const unwritable = startNode({
      endpoint,
      spoolDir: join(blocked, "spool"),
      nodeId: "no-spool",
      prefix: "u",
      acked,
      count: 5,
    })
    await sleep(1500)

    writeFileSync(flag, "")
    await sleep(300)
    const answers = []
    const healthz = []
    const fullUntil = Date.now() + fullMs
    let k = 0
    while (Date.now() < fullUntil) {
      answers.push(await postOne(endpoint, `probe_${k++}`))
      const h = await fetch(`${endpoint}/healthz`).catch(() => undefined)
      healthz.push(h?.status ?? 0)
      await h?.arrayBuffer()
      await sleep(250)
    }
    rmSync(flag)
    const t0 = Date.now()
    const held = await timeToHold(endpoint, acked, { timeoutMs: 30_000, everyMs: 100 })
    const recoveryMs = held === undefined ? undefined : Date.now() - t0
    const after = await postOne(endpoint, `probe_after`)
    const stats = await Promise.all(live.map((n) => n.drain()))
    const failedAttempts = stats.reduce((n, s) => n + (s?.failedAttempts ?? 0), 0)
    await unwritable.drain()
    const failures = live.flatMap((n) => n.saveFailures)
    await service.stop()
    const result = compare(acked, await exportKeys(db))

    const refused = answers.filter(
      (a) =>
        a.status === 503 &&
        a.body?.error?.code === "STORE_UNAVAILABLE" &&
        a.body.error.message === "the store cannot write: disk full; retry later",
    ).length
    // A write that still fits in the database's free pages succeeds while "full" (as on a real disk): 200 or
    // this 503, never anything else.
    const other = answers.filter((a) => a.status !== 200 && a.status !== 503).map((a) => a.status)
    const fitted = answers.filter((a) => a.status === 200).length
    const healthy = healthz.filter((s) => s === 200).length
    const loud =
      unwritable.initFailure !== undefined &&
      unwritable.saveFailures.length === 5 &&
      unwritable.stderr.includes("cannot open the spool")
    const line = figureLine({
      name: "disk-full",
      acknowledged: acked.size,
      lost: result.lost,
      duplicated: result.duplicated,
      recoveryMs,
      detail:
        `${nodes} nodes; database full for ${fullMs / 1000} s: ${refused}/${answers.length} probe posts answered 503 ` +
        `STORE_UNAVAILABLE "disk full" (${fitted} fitted in free pages: 200${other.length ? `; OTHER ANSWERS ${other.join(",")}` : ""}), /healthz 200 ${healthy}/${healthz.length}, nodes retried ${failedAttempts} ` +
        `failed attempts; after: ${after.status}; ${result.stored} stored; a node whose spool path is a file: ` +
        (loud
          ? `init failed and ${unwritable.saveFailures.length}/5 saveRecord rejected, logged "${unwritable.stderr.split("\n")[0].slice(0, 90)}…"`
          : `NOT LOUD (init ${unwritable.initFailure ?? "ok"}, ${unwritable.saveFailures.length} rejections)`) +
        failureDetail(failures, result),
    })
    const ok =
      result.lost === 0 &&
      result.duplicated === 0 &&
      recoveryMs !== undefined &&
      failures.length === 0 &&
      answers.length > 0 &&
      refused > 0 &&
      refused + fitted === answers.length &&
      healthy === healthz.length &&
      after.status === 200 &&
      loud
    return { line, ok }
  } finally {
    for (const n of live) await n.kill()
    await service.kill("SIGKILL")
    tmp.cleanup()
  }
}
