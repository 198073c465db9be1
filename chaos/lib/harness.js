/**
 * The chaos scenarios' shared machinery, on real processes over loopback: a seeded random source, a free port,
 * the built service (`node bin/run.js serve`, or a faulty entry) started on a FIXED port so it can be killed
 * and restarted under the nodes, node processes (node-process.js) whose accepted records are tracked, the
 * final count of a store (`usage export --ndjson`), and the one figure line every scenario prints.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { startProcess } from "../../bench/lib/proc.js"
import { childEnv } from "../../bench/lib/service.js"

export const ROOT = fileURLToPath(new URL("../../", import.meta.url))
export const BIN = join(ROOT, "bin/run.js")
const NODE_PROCESS = fileURLToPath(new URL("./node-process.js", import.meta.url))

export { childEnv }

/** mulberry32: a small seeded generator, so a failing run replays with its seed. */
export function seededRandom(seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    /** An integer in [min, max]. */
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** A temporary directory removed by `cleanup()`. */
export function tempDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `usage-hub-chaos-${name}-`))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A port free right now on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/**
 * `usage serve --db <db> --port <port>` (or `entry` with the same arguments, e.g. serve-with-faults.js).
 * Resolves once it listens.
 */
export function startServe({ db, port, extraArgs = [], entry = BIN, env = {} }) {
  const args = entry === BIN ? [BIN, "serve"] : [entry]
  return startProcess(
    process.execPath,
    [...args, "--db", db, "--port", String(port), "--log-level", "warn", ...extraArgs],
    { cwd: ROOT, env: childEnv(env), ready: /listening on http:\/\/\S+/, timeoutMs: 60_000 },
  )
}

/**
 * A node process on `spoolDir`. Every `saved <id>` it prints goes into `acked` (a Set shared by the node's
 * incarnations). Returns { proc, kill(), drain() }: drain() asks it to deliver everything and resolves with
 * its final stats (or undefined if it died or did not finish in time).
 */
export function startNode({ endpoint, spoolDir, nodeId, prefix, acked, count = 100_000, intervalMs = 20, env = {} }) {
  const child = spawn(process.execPath, [NODE_PROCESS], {
    cwd: ROOT,
    env: childEnv({
      ENDPOINT: endpoint,
      SPOOL_DIR: spoolDir,
      NODE_ID: nodeId,
      PREFIX: prefix,
      COUNT: String(count),
      INTERVAL_MS: String(intervalMs),
      ...env,
    }),
    stdio: ["pipe", "pipe", "pipe"],
  })
  const exited = new Promise((res) => child.once("exit", (code, signal) => res({ code, signal })))
  const node = { child, exited, stats: undefined, saveFailures: [], initFailure: undefined, stderr: "" }
  let buffer = ""
  child.stdout.on("data", (d) => {
    buffer += d
    let nl = buffer.indexOf("\n")
    while (nl >= 0) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      if (line.startsWith("saved ")) acked.add(`${nodeId}|${line.slice(6)}`)
      else if (line.startsWith("drained ")) node.stats = JSON.parse(line.slice(8))
      else if (line.startsWith("save-failed ")) node.saveFailures.push(line.slice(12))
      else if (line.startsWith("init-failed ")) node.initFailure = line.slice(12)
      nl = buffer.indexOf("\n")
    }
  })
  child.stderr.on("data", (d) => {
    if (node.stderr.length < 20_000) node.stderr += d
  })
  child.stdin.on("error", () => {})
  node.alive = () => child.exitCode === null && child.signalCode === null
  node.kill = () => {
    if (node.alive()) child.kill("SIGKILL")
    return exited
  }
  node.drain = async (timeoutMs = 90_000) => {
    if (!node.alive()) return undefined
    child.stdin.write("drain\n")
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    await exited
    clearTimeout(timer)
    return node.stats
  }
  return node
}

/** Every record of a store as `node|id` (NDJSON export through the CLI, `usage export --db … --ndjson`). */
export function exportKeys(db) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "export", "--db", db, "--ndjson"], {
      cwd: ROOT,
      env: childEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    })
    const lines = []
    let buffer = ""
    let stderr = ""
    child.stdout.on("data", (d) => {
      buffer += d
      const parts = buffer.split("\n")
      buffer = parts.pop()
      for (const line of parts) if (line.trim()) lines.push(JSON.parse(line))
    })
    child.stderr.on("data", (d) => (stderr += d))
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000)
    child.on("close", (code) => {
      clearTimeout(timer)
      if (buffer.trim()) lines.push(JSON.parse(buffer))
      if (code !== 0) reject(new Error(`usage export --db exited ${code}: ${stderr.trim().slice(0, 500)}`))
      else resolve(lines)
    })
  })
}

/** Every record the service holds, through its API (NDJSON export), as `node|id` keys. */
export async function apiKeys(url) {
  const res = await fetch(`${url}/api/usage/export?format=ndjson`, { signal: AbortSignal.timeout(30_000) })
  if (res.status !== 200) throw new Error(`export: HTTP ${res.status}`)
  const text = await res.text()
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => {
      const r = JSON.parse(l)
      return `${r.node}|${r.id}`
    })
}

/**
 * Polls the service until it holds every key of `acked` (a snapshot taken now); resolves the ms it took, or
 * undefined after `timeoutMs`.
 */
export async function timeToHold(url, acked, { timeoutMs = 60_000, everyMs = 250 } = {}) {
  const wanted = [...acked]
  const t0 = Date.now()
  while (Date.now() - t0 < timeoutMs) {
    try {
      const have = new Set(await apiKeys(url))
      if (wanted.every((k) => have.has(k))) return Date.now() - t0
    } catch {
      // the service may be down or busy: try again
    }
    await sleep(everyMs)
  }
  return undefined
}

/** lost: acknowledged keys the store lacks; duplicated: store rows beyond one per key; extra: stored, never acknowledged. */
export function compare(acked, records) {
  const counts = new Map()
  for (const r of records) {
    const key = typeof r === "string" ? r : `${r.node}|${r.id}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  let lost = 0
  const lostKeys = []
  for (const key of acked) {
    if (!counts.has(key)) {
      lost += 1
      if (lostKeys.length < 5) lostKeys.push(key)
    }
  }
  let duplicated = 0
  let extra = 0
  for (const [key, n] of counts) {
    duplicated += n - 1
    if (!acked.has(key)) extra += 1
  }
  return { stored: counts.size, lost, duplicated, extra, lostKeys }
}

/**
 * The end of a scenario after its last fault: every node delivers what it holds (its own spool and the spools of
 * its dead incarnations), the service must then hold every acknowledged record, and the store is counted once
 * the service stopped. recoveryMs: from the start of the drain to every record held (undefined when a node did
 * not drain, the service did not hold them all in 30 s, or `serviceUp` is false).
 */
export async function drainAndCount({ live, endpoint, acked, service, db, serviceUp = true }) {
  const t0 = Date.now()
  const stats = await Promise.all(live.map((n) => n.drain()))
  const drainedAll = stats.every((s) => s && s.pending === 0)
  const held = serviceUp ? await timeToHold(endpoint, acked, { timeoutMs: 30_000 }) : undefined
  const recoveryMs = serviceUp && drainedAll && held !== undefined ? Date.now() - t0 : undefined
  const failures = live.flatMap((n) => n.saveFailures)
  const stopped = await service.stop()
  const result = compare(acked, await exportKeys(db))
  const sum = (key) => stats.reduce((n, s) => n + (s?.[key] ?? 0), 0)
  const redelivered = sum("duplicates")
  return { t0, recoveryMs, failures, stopped, result, redelivered, failedAttempts: sum("failedAttempts") }
}

/** The end of a figure line's detail: the saveRecord failures and a few lost keys, when there are any. */
export function failureDetail(failures, result) {
  return (
    (failures.length ? `; ${failures.length} saveRecord failures: ${failures[0]}` : "") +
    (result.lost ? `; lost e.g. ${result.lostKeys.join(", ")}` : "")
  )
}

/**
 * The figure line of a scenario: `<name>: acknowledged=N lost=N duplicated=N recovered=yes|no recovery=N ms | detail`.
 * `recoveryMs` undefined means it did not recover in its bound.
 */
export function figureLine({ name, acknowledged, lost, duplicated, recoveryMs, detail = "" }) {
  const recovered = recoveryMs !== undefined && Number.isFinite(recoveryMs)
  return (
    `${name}: acknowledged=${acknowledged} lost=${lost} duplicated=${duplicated} recovered=${recovered ? "yes" : "no"}` +
    ` recovery=${recovered ? `${Math.round(recoveryMs)}ms` : "-"}${detail ? ` | ${detail}` : ""}`
  )
}

/** The figure line of a scenario that could not run here (e.g. no PostgreSQL): not a failure. */
export function skippedLine(name, why) {
  return `${name}: skipped (${why})`
}
