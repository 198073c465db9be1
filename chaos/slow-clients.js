/**
 * Chaos probe, issue 12 item 2: slow clients and connection floods. Against the built service (ingest token
 * set, request and headers timeouts at 5 s), it opens
 *   - 2000 connections without a token that promise a 10 MB body and send a byte a second: each must get its
 *     401 and be closed at once (the service does not wait for a body it refused);
 *   - 500 connections with the token that dribble their body, and 500 that never finish their headers: each
 *     must be cut by the request / headers timeout;
 * while /healthz is asked every 100 ms and a node ingests (two clients). Bounded: 3000 connections, about 15 s.
 * Prints one line, and the chaos suite's figure line (every acknowledged record stored).
 *   node chaos/slow-clients.js
 */
import { connect } from "node:net"
import { performance } from "node:perf_hooks"
import { ingestFor, ms, percentile, probeHealth, startChaosService, suiteFigure } from "./common.js"

const TOKEN = "chaos-ingest-token-0123456789"
const UNAUTHENTICATED = 2000
const SLOW_BODIES = 500
const SLOW_HEADERS = 500
const TIMEOUT_S = 5

/** One raw connection: writes `head`, then a byte every `everyMs`; resolves { ms, answer } when the server closes it. */
function slowClient(port, head, everyMs = 1000) {
  return new Promise((resolve) => {
    const t0 = performance.now()
    let answer = ""
    let timer
    const socket = connect({ host: "127.0.0.1", port })
    socket.on("connect", () => {
      socket.write(head)
      timer = setInterval(() => socket.write(" "), everyMs)
    })
    socket.on("data", (d) => {
      if (answer.length < 64) answer += d.toString("latin1")
    })
    socket.on("error", () => {})
    socket.on("close", () => {
      clearInterval(timer)
      resolve({ ms: performance.now() - t0, answer: answer.slice(0, 12) })
    })
    // Bound: whatever happens, no connection outlives 30 s.
    setTimeout(() => socket.destroy(), 30_000).unref()
  })
}

/** Opens `n` clients in waves of 200 (the listen backlog is 511). */
async function openMany(n, port, head) {
  const closed = []
  for (let i = 0; i < n; i += 200) {
    for (let j = i; j < Math.min(n, i + 200); j++) closed.push(slowClient(port, head))
    await new Promise((r) => setTimeout(r, 20))
  }
  return Promise.all(closed)
}

// 10 MB: under the 16 MiB body limit, so an authenticated one is read (slowly) rather than refused with 413.
const post = (auth) =>
  `POST /ingest/usage HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n${auth ? `Authorization: Bearer ${TOKEN}\r\n` : ""}\r\n[`

const service = await startChaosService([
  "--ingest-token",
  TOKEN,
  "--request-timeout",
  String(TIMEOUT_S),
  "--headers-timeout",
  String(TIMEOUT_S),
])
try {
  const port = Number(new URL(service.url).port)
  let done = false
  const health = probeHealth(service.url, { until: () => done })
  // A node's ingestion goes on meanwhile (two clients, 1 s slices): nothing it was told is stored may be lost.
  const ingest = (async () => {
    const slices = []
    do
      slices.push(
        await ingestFor(service.url, {
          durationMs: 1000,
          concurrency: 2,
          headers: { authorization: `Bearer ${TOKEN}` },
        }),
      )
    while (!done)
    return slices
  })()
  const unauthenticated = await openMany(UNAUTHENTICATED, port, post(false))
  const [bodies, headers] = await Promise.all([
    openMany(SLOW_BODIES, port, post(true)),
    openMany(SLOW_HEADERS, port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "),
  ])
  done = true
  const { latencies, failures } = await health
  const slices = await ingest
  const ingestErrors = slices.reduce((n, s) => n + s.errors, 0)
  const batches = slices.reduce((n, s) => n + s.batches, 0)
  const got401 = unauthenticated.filter((c) => c.answer.startsWith("HTTP/1.1 401")).length
  const cut = [...bodies, ...headers].map((c) => c.ms)
  const line =
    `slow-clients: ${got401}/${UNAUTHENTICATED} unauthenticated slow posts got 401 and were closed (p50 ${ms(
      percentile(
        unauthenticated.map((c) => c.ms),
        50,
      ),
    )}, max ${ms(Math.max(...unauthenticated.map((c) => c.ms)))}); ` +
    `${SLOW_BODIES} slow bodies + ${SLOW_HEADERS} slow headers cut after ${(Math.min(...cut) / 1000).toFixed(1)}–${(Math.max(...cut) / 1000).toFixed(1)} s (timeouts ${TIMEOUT_S} s); ` +
    `/healthz during the flood: ${latencies.length} answers, p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, ${failures} failed; ` +
    `ingest meanwhile: ${batches} batches, ${ingestErrors} errors`
  console.log(line)
  console.log(await suiteFigure("slow-clients", service.url, line.replace(/^slow-clients: /, "")))
  const slow = got401 !== UNAUTHENTICATED || failures > 0 || Math.max(...cut) > TIMEOUT_S * 1000 * 1.5
  if (slow || ingestErrors > 0) process.exitCode = 1
} finally {
  await service.stop()
}
