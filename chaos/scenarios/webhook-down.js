/**
 * webhook-down: budget alerts reach a webhook receiver that was down while they were raised. The built service
 * runs with `--config` holding several budgets (day, week, month and billing periods; provider, model and node
 * filters; warnAt [0.5, 0.8, 1.0]) and one webhook to a loopback receiver (node:http) whose port is closed.
 * Node processes send records through HttpIngestAdapter until every threshold is crossed, the service is
 * SIGKILLed once meanwhile and restarted, and the receiver stays down for 60 s (short: 3 s) after the last
 * record is stored. Then it listens, checks each POST's X-Usage-Signature (HMAC-SHA256 of the raw body) and
 * records its Idempotency-Key, until every expected alert arrived (bounded).
 * Guarantees checked: each threshold crossing arrives, under one idempotency key (distinct alerts = expected,
 * none missing, none extra), every signature is good; a key received twice is a redelivery (the contract is
 * at least once with a key), reported apart. The records themselves: none lost, none stored twice.
 * Recovery: from the receiver up to the last expected alert received.
 */
import { createHmac, timingSafeEqual } from "node:crypto"
import { mkdirSync, writeFileSync } from "node:fs"
import { createServer } from "node:http"
import { join } from "node:path"
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

const SECRET = "chaos-webhook-secret"
const WARN_AT = [0.5, 0.8, 1.0]
const MODEL = "claude-sonnet-4-5"

/** The cost and provider node-process.js gives its record number `i`. */
const recordCost = (i) => 0.001 * ((i % 7) + 1)
const recordProvider = (i) => (i % 3 === 0 ? "openai" : "anthropic")

/**
 * The budgets, each with its amount set from the spend the run will reach (`share`: final spend / amount), so
 * which thresholds are crossed is known beforehand: 1.25 crosses all three, 0.6 only the first, 0.1 none.
 */
function budgets(nodes, count) {
  const spend = (match) => {
    let usd = 0
    for (let n = 0; n < nodes; n++) for (let i = 0; i < count; i++) if (match(n, i)) usd += recordCost(i)
    return usd
  }
  const defs = [
    { name: "cluster-day", period: "day", share: 1.25, match: () => true },
    { name: "anthropic-week", period: "week", provider: "anthropic", share: 1.25, match: (_, i) => recordProvider(i) === "anthropic" },
    { name: "anthropic-billing", period: "billing", provider: "anthropic", share: 1.25, match: (_, i) => recordProvider(i) === "anthropic" },
    { name: "sonnet-month", period: "month", model: MODEL, share: 1.25, match: () => true },
    { name: "openai-day", period: "day", provider: "openai", share: 1.25, match: (_, i) => recordProvider(i) === "openai" },
    { name: "node0-week", period: "week", node: "chaos-node-0", share: 1.25, match: (n) => n === 0 },
    { name: "openai-week-half", period: "week", provider: "openai", share: 0.6, match: (_, i) => recordProvider(i) === "openai" },
    { name: "cluster-month-far", period: "month", share: 0.1, match: () => true },
  ]
  return defs.map(({ share, match, ...budget }) => {
    const spent = spend(match)
    const amount = Math.round((spent / share) * 1e6) / 1e6
    const expected = WARN_AT.filter((t) => spent >= t * amount)
    return { config: { ...budget, amount, warnAt: WARN_AT }, spent, expected }
  })
}

/** The loopback receiver: closed until `up()`; checks each POST's signature and records its key. */
function receiver(port) {
  const received = []
  let server
  return {
    received,
    url: `http://127.0.0.1:${port}/hook`,
    up: () =>
      new Promise((resolve, reject) => {
        server = createServer((req, res) => {
          const chunks = []
          req.on("data", (c) => chunks.push(c))
          req.on("end", () => {
            const raw = Buffer.concat(chunks)
            const expected = Buffer.from(`sha256=${createHmac("sha256", SECRET).update(raw).digest("hex")}`)
            const given = Buffer.from(String(req.headers["x-usage-signature"] ?? ""))
            const signed = given.length === expected.length && timingSafeEqual(given, expected)
            let body
            try {
              body = JSON.parse(raw.toString("utf8"))
            } catch {
              body = undefined
            }
            received.push({ at: Date.now(), key: req.headers["idempotency-key"], signed, body })
            res.writeHead(signed ? 204 : 401).end()
          })
        })
        server.once("error", reject)
        server.listen(port, "127.0.0.1", resolve)
      }),
    down: () =>
      new Promise((resolve) => {
        if (!server) return resolve()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** Distinct alerts by key, checked against the expected `budget|threshold` pairs. */
function tally(received, expectedPairs) {
  const byKey = new Map()
  let redelivered = 0
  for (const r of received) {
    if (!r.signed) continue
    if (byKey.has(r.key)) redelivered += 1
    else byKey.set(r.key, r)
  }
  const pairs = new Map()
  let extra = 0
  let keyMismatch = 0
  for (const [key, r] of byKey) {
    const pair = `${r.body?.budget}|${r.body?.threshold}`
    if (r.body?.idempotencyKey !== key) keyMismatch += 1
    if (!expectedPairs.has(pair) || pairs.has(pair)) extra += 1
    else pairs.set(pair, r)
  }
  const missing = [...expectedPairs].filter((p) => !pairs.has(p))
  return {
    delivered: received.filter((r) => r.signed).length,
    distinct: byKey.size,
    matched: pairs.size,
    redelivered,
    extra,
    keyMismatch,
    missing,
    badSignatures: received.filter((r) => !r.signed).length,
    last: Math.max(0, ...[...pairs.values()].map((r) => r.at)),
  }
}

/** Keys of the alerts the service logged a failed delivery of (connection refused while the receiver was down). */
function failedKeys(outputs) {
  const keys = new Set()
  let attempts = 0
  for (const out of outputs)
    for (const m of out.matchAll(/budget alert (budget-[0-9a-f]+) to \S+: [^"]*?; retry/g)) {
      keys.add(m[1])
      attempts += 1
    }
  return { keys, attempts }
}

export async function webhookDown({ short }) {
  const nodes = 3
  const count = short ? 120 : 400
  const downMs = short ? 3000 : 60_000
  const plan = budgets(nodes, count)
  const expectedPairs = new Set(plan.flatMap((b) => b.expected.map((t) => `${b.config.name}|${t}`)))
  const tmp = tempDir("webhook-down")
  const db = join(tmp.dir, "usage.db")
  const config = join(tmp.dir, "config.json")
  const [port, hookPort] = [await freePort(), await freePort()]
  const hook = receiver(hookPort)
  writeFileSync(
    config,
    JSON.stringify({
      service: { budgets: plan.map((b) => b.config), alerts: { webhooks: [{ url: hook.url, secret: SECRET }] } },
    }),
  )
  const serve = () => startServe({ db, port, extraArgs: ["--config", config, "--tz", "UTC"] })
  const endpoint = `http://127.0.0.1:${port}`
  const acked = new Set()
  const total = nodes * count
  // Records of today (UTC, the service's --tz), 10 ms apart: every budget's current period holds them all.
  const now = Date.now()
  const timestamp = Math.max(now - (now % 86_400_000), now - 30_000)
  const outputs = []
  let service = await serve()
  const live = []
  try {
    const started = Date.now()
    for (let i = 0; i < nodes; i++) {
      const spoolDir = join(tmp.dir, `spool-${i}`)
      mkdirSync(spoolDir, { recursive: true })
      live[i] = startNode({
        endpoint,
        spoolDir,
        nodeId: `chaos-node-${i}`,
        prefix: `n${i}`,
        acked,
        count,
        intervalMs: short ? 10 : 20,
        env: { TIMESTAMP_MS: String(timestamp) },
      })
    }
    // The service dies once mid-ingest, after the first thresholds (0.5 of a 1.25 share: 40% of the records)
    // and before the last ones (1.0: 80%), and comes back on the same database.
    const until = (cond, ms) => {
      const end = Date.now() + ms
      return (async () => {
        while (!cond()) {
          if (Date.now() > end) return false
          await sleep(20)
        }
        return true
      })()
    }
    await until(() => acked.size >= total * 0.55, 60_000)
    const killedAt = acked.size
    await service.kill("SIGKILL")
    outputs.push(service.output())
    await sleep(500)
    service = await serve()
    // Every record saved, delivered and stored: every threshold is crossed (the receiver is still down).
    const allSaved = await until(() => acked.size >= total, 120_000)
    const stats = await Promise.all(live.map((n) => n.drain()))
    const held = await timeToHold(endpoint, acked, { timeoutMs: 30_000 })
    const storedAt = Date.now()
    const figures = await fetch(`${endpoint}/api/usage/budgets`, { signal: AbortSignal.timeout(30_000) })
      .then((r) => r.json())
      .catch(() => ({ budgets: [] }))
    const spentMismatch = plan.filter((b) => {
      const got = figures.budgets.find((f) => f.name === b.config.name)
      return !got || Math.abs(got.spent - b.spent) > 1e-6
    })
    // The receiver stays down `downMs` past the last record stored (the alerts wait in the outbox).
    await sleep(Math.max(0, storedAt + downMs - Date.now()))
    const beforeKill = failedKeys(outputs)
    const before = failedKeys([...outputs, service.output()])
    await hook.up()
    const upAt = Date.now()
    const downS = (upAt - started) / 1000
    // Every expected alert within the backoff's cap (30 s) and the poll, with room for a loaded machine.
    const waitMs = short ? 45_000 : 90_000
    await until(() => tally(hook.received, expectedPairs).missing.length === 0, waitMs)
    // A little longer: an extra or a redelivery would show now.
    await sleep(short ? 1000 : 3000)
    const t = tally(hook.received, expectedPairs)
    await hook.down()
    const stopped = await service.stop()
    const result = compare(acked, await exportKeys(db))
    const recoveryMs = t.missing.length === 0 ? t.last - upAt : undefined
    const failures = live.flatMap((n) => n.saveFailures)
    const drained = stats.every((s) => s && s.pending === 0)
    const line = figureLine({
      name: "webhook-down",
      acknowledged: acked.size,
      lost: result.lost,
      duplicated: result.duplicated,
      recoveryMs,
      detail:
        `${plan.length} budgets (day/week/month/billing; provider, model, node filters; warnAt 0.5/0.8/1.0), ` +
        `${nodes} nodes, service SIGKILLed once at ${killedAt}/${total} records; receiver down ${downS.toFixed(0)} s ` +
        `(${(downMs / 1000).toFixed(0)} s after the last record stored), ${before.attempts} refused attempts of ${before.keys.size} alerts meanwhile ` +
        `(${beforeKill.keys.size} of them queued before the SIGKILL); ` +
        `alerts expected=${expectedPairs.size} delivered=${t.delivered} distinct=${t.distinct} redelivered=${t.redelivered} ` +
        `missing=${t.missing.length} extra=${t.extra} bad-signatures=${t.badSignatures}; ` +
        `last alert ${recoveryMs === undefined ? "-" : (recoveryMs / 1000).toFixed(1)} s after the receiver came up` +
        (t.missing.length ? `; missing e.g. ${t.missing.slice(0, 3).join(", ")}` : "") +
        (t.keyMismatch ? `; ${t.keyMismatch} bodies whose idempotencyKey differs from the header` : "") +
        (spentMismatch.length ? `; spent differs from the plan for ${spentMismatch.map((b) => b.config.name).join(", ")}` : "") +
        (allSaved && drained && held !== undefined ? "" : "; the nodes did not deliver every record in time") +
        (stopped.code === 0 ? "" : `; the service stopped with ${stopped.code ?? stopped.signal}`) +
        failureDetail(failures, result),
    })
    const ok =
      result.lost === 0 &&
      result.duplicated === 0 &&
      t.missing.length === 0 &&
      t.extra === 0 &&
      t.badSignatures === 0 &&
      t.keyMismatch === 0 &&
      spentMismatch.length === 0 &&
      allSaved &&
      drained &&
      held !== undefined &&
      failures.length === 0
    return { line, ok }
  } finally {
    for (const n of live) await n?.kill()
    await hook.down()
    await service.kill("SIGKILL")
    tmp.cleanup()
  }
}
