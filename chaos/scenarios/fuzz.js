/**
 * fuzz: for a bounded time, POST /ingest/usage with seeded hostile input: valid batches with mutated records
 * (wrong types, missing or extra fields, out-of-range numbers and instants, odd text), byte-mutated JSON and
 * NDJSON, random bytes, mutated gzip (flipped, truncated, a decompression bomb), wrong or missing content types
 * and encodings, odd node headers, deep nesting. The service must never crash, never answer a 5xx (bad input
 * is the client's: 4xx, or a 200 with `rejected`), and store nothing invalid: afterwards every stored record
 * re-validates with parseRecord (dist/lib/record.js), and the store holds exactly what the 200s accepted.
 * Recovery: the service is up (/healthz 200) right after the run, in the ms it takes to answer.
 */
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { parseRecord } from "../../dist/lib/record.js"
import { exportKeys, figureLine, freePort, seededRandom, startServe, tempDir } from "../lib/harness.js"

const KEYS = ["id", "timestamp", "provider", "model", "inputTokens", "outputTokens", "estimatedCost", "taskType"]
const OPTIONAL = ["node", "sessionID", "cacheReadTokens", "cacheWriteTokens", "reasoningTokens", "unpriced"]
const WEIRD = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 63,
  1e13,
  "",
  " ",
  "\u0000",
  "\ud800",
  "\u202e",
  "x".repeat(300),
  "🙂".repeat(40),
  "1e3",
  "NaN",
  [],
  {},
  [1, 2],
  { a: { b: [] } },
  "1999-12-31T23:59:59.999Z",
  "2100-01-01T00:00:00.000Z",
  "2026-02-30T00:00:00Z",
  "2026-01-01T00:00:00+25:00",
  -62135596800000,
  8.64e15,
]
const CONTENT_TYPES = [
  "application/json",
  "application/x-ndjson",
  "text/plain",
  "application/xml",
  "multipart/form-data; boundary=x",
  "application/x-www-form-urlencoded",
  "application/json; charset=utf-16",
  "application/json; charset=latin1",
  "",
]

export async function fuzz({ short, seed }) {
  const rng = seededRandom(seed + 5)
  const durationMs = short ? 10_000 : 120_000
  const tmp = tempDir("fuzz")
  const db = join(tmp.dir, "usage.db")
  const port = await freePort()
  const endpoint = `http://127.0.0.1:${port}`
  const service = await startServe({ db, port })
  let serial = 0

  const validRecord = () => {
    serial += 1
    return {
      id: `fuzz_${seed}_${serial}`,
      timestamp: new Date(Date.UTC(2026, 0, 1) + serial * 1000).toISOString(),
      provider: rng.pick(["anthropic", "openai", "..", "a/b", "é"]),
      model: "claude-sonnet-4-5",
      inputTokens: rng.int(0, 10_000),
      outputTokens: rng.int(0, 1000),
      estimatedCost: rng.next() * 0.01,
      taskType: "primary",
    }
  }
  const mutateRecord = (r) => {
    const n = rng.int(1, 3)
    for (let i = 0; i < n; i++) {
      const kind = rng.int(0, 3)
      if (kind === 0) delete r[rng.pick(KEYS)]
      else if (kind === 1) r[rng.pick(KEYS)] = rng.pick(WEIRD)
      else if (kind === 2) r[rng.pick(OPTIONAL)] = rng.pick(WEIRD)
      else r[`extra${rng.int(0, 9)}`] = rng.pick(WEIRD)
    }
    return r
  }
  const batch = () =>
    Array.from({ length: rng.int(1, 20) }, () => (rng.next() < 0.3 ? mutateRecord(validRecord()) : validRecord()))
  const mutateBytes = (buf) => {
    const out = Buffer.from(buf)
    const n = rng.int(1, 8)
    for (let i = 0; i < n && out.length > 0; i++) out[rng.int(0, out.length - 1)] = rng.int(0, 255)
    return rng.next() < 0.3 ? out.subarray(0, rng.int(0, out.length)) : out
  }
  const randomBytes = (n) => Buffer.from(Array.from({ length: n }, () => rng.int(0, 255)))

  /** The next hostile request: { body, headers, kind }. */
  const nextRequest = () => {
    const json = { "content-type": "application/json" }
    switch (rng.int(0, 9)) {
      case 0:
      case 1:
        return { kind: "mutated records", body: JSON.stringify(batch()), headers: json }
      case 2: {
        const body = { node: rng.pick(["fuzz-node", "", " ", "n".repeat(129), 7, null]), records: batch() }
        return { kind: "{node, records}", body: JSON.stringify(body), headers: json }
      }
      case 3:
        return { kind: "mutated JSON bytes", body: mutateBytes(Buffer.from(JSON.stringify(batch()))), headers: json }
      case 4: {
        const lines = batch().map((r) => (rng.next() < 0.2 ? "{not json" : JSON.stringify(r)))
        const text = lines.join(rng.pick(["\n", "\r\n", "\n\n"]))
        const body = rng.next() < 0.5 ? Buffer.from(text) : mutateBytes(Buffer.from(text))
        return { kind: "NDJSON", body, headers: { "content-type": "application/x-ndjson" } }
      }
      case 5:
        return {
          kind: "random bytes",
          body: randomBytes(rng.int(0, 4096)),
          headers: { "content-type": rng.pick(CONTENT_TYPES) },
        }
      case 6: {
        const zipped = gzipSync(JSON.stringify(batch()))
        const body = rng.next() < 0.2 ? zipped : mutateBytes(zipped)
        return { kind: "mutated gzip", body, headers: { ...json, "content-encoding": "gzip" } }
      }
      case 7: {
        if (rng.next() < 0.1) {
          // A bomb: 40 MB of zeros in about 40 KB, past the 16 MiB limit once decompressed.
          return {
            kind: "gzip bomb",
            body: gzipSync(Buffer.alloc(40 * 1024 * 1024)),
            headers: { ...json, "content-encoding": "gzip" },
          }
        }
        const encoding = rng.pick(["br", "deflate", "gzip, gzip", "identity", "x-gzip", "compress"])
        return {
          kind: "odd encoding",
          body: gzipSync(JSON.stringify(batch())),
          headers: { ...json, "content-encoding": encoding },
        }
      }
      case 8:
        return {
          kind: "wrong content type",
          body: JSON.stringify(batch()),
          headers: { "content-type": rng.pick(CONTENT_TYPES) },
        }
      default: {
        if (rng.next() < 0.5) {
          const depth = rng.int(1000, 200_000)
          return { kind: "deep nesting", body: `${"[".repeat(depth)}${"]".repeat(depth)}`, headers: json }
        }
        const node = rng.pick(["", " ", "n".repeat(200), "%ff", "\t", "node\u00e9"])
        return { kind: "odd X-Usage-Node", body: JSON.stringify(batch()), headers: { ...json, "x-usage-node": node } }
      }
    }
  }

  const statuses = {}
  const serverErrors = []
  let requests = 0
  let networkErrors = 0
  let accepted = 0
  let rejected = 0
  try {
    const end = Date.now() + durationMs
    const worker = async () => {
      while (Date.now() < end) {
        const { body, headers, kind } = nextRequest()
        requests += 1
        try {
          const res = await fetch(`${endpoint}/ingest/usage`, {
            method: "POST",
            headers,
            body,
            signal: AbortSignal.timeout(15_000),
          })
          const text = await res.text()
          statuses[res.status] = (statuses[res.status] ?? 0) + 1
          if (res.status >= 500 && serverErrors.length < 5)
            serverErrors.push(`${kind}: ${res.status} ${text.slice(0, 200)}`)
          if (res.status === 200) {
            const answer = JSON.parse(text)
            accepted += answer.accepted
            rejected += answer.rejected?.length ?? 0
          }
        } catch (error) {
          networkErrors += 1
          if (serverErrors.length < 5) serverErrors.push(`${kind}: ${error.cause?.code ?? error.message}`)
        }
      }
    }
    await Promise.all(Array.from({ length: 4 }, worker))
    const t0 = Date.now()
    const health = await fetch(`${endpoint}/healthz`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined)
    const up = service.alive && health?.status === 200
    const recoveryMs = up ? Date.now() - t0 : undefined
    await service.stop()
    const stored = await exportKeys(db)
    const invalid = stored.filter((r) => !parseRecord(r).ok)
    const keys = new Set(stored.map((r) => `${r.node}|${r.id}|${r.timestamp}`))
    const fiveXX = Object.entries(statuses)
      .filter(([s]) => Number(s) >= 500)
      .reduce((n, [, c]) => n + c, 0)
    const lost = Math.max(0, accepted - keys.size)
    const line = figureLine({
      name: "fuzz",
      acknowledged: accepted,
      lost,
      duplicated: stored.length - keys.size,
      recoveryMs,
      detail:
        `${requests} hostile posts in ${durationMs / 1000} s (statuses ${JSON.stringify(statuses)}, ${networkErrors} network errors): ` +
        `${fiveXX} 5xx, service ${up ? "up" : "DOWN"}; ${rejected} records rejected in 200s; ${stored.length} stored, ` +
        `${invalid.length} invalid on re-validation, ${keys.size - accepted} stored beyond the accepted` +
        (serverErrors.length ? `; e.g. ${serverErrors.join(" | ")}` : ""),
    })
    const ok = up && fiveXX === 0 && networkErrors === 0 && invalid.length === 0 && lost === 0 && keys.size === accepted
    return { line, ok: ok && stored.length === keys.size }
  } finally {
    await service.kill("SIGKILL")
    tmp.cleanup()
  }
}
