/**
 * Chaos probe, issue 12 item 4: many dashboards during ingestion. Measures ingestion of 10-record batches
 * (8 clients, 200 providers) with 200 SSE streams of distinct queries open (100 filtered to one provider each,
 * 100 unfiltered in different zones and breakdowns, which every commit changes) against ingestion with none.
 *
 * Measured honestly on one service: the store is preloaded (PRELOAD records, default 300,000) so that what the
 * phases add is small beside it, a first phase warms the service up (not counted), then the phases alternate:
 * none, with, none, control, none, control, none, with, none (ROUNDS blocks of ABBA / BAAB, default 1), each
 * PHASE_MS (default 3000) after the same settling pause. Each "with" phase is compared with the mean of the two
 * "none" phases around it, so that a store that grows or a machine whose load drifts does not count for or
 * against the streams (with the streams always second, no stream at all measured 0.76-0.90 of the first phase).
 * A "control" phase goes through the same steps as a "with" phase but opens no stream: its ratio to the "none"
 * phases around it is the probe's own noise, printed beside the figure. Beside the rates, the same comparison by
 * the service's CPU time per batch (from /proc, when the service's pid is given): less swayed by what else runs
 * on the machine than a rate is.
 * Bounded: 200 streams, about a minute per round. Prints one line: the ratio (target >= 0.8), the control, the
 * rate of every phase.
 *   node chaos/sse-streams.js   (PRELOAD=…, PHASE_MS=…, ROUNDS=… change the sizes)
 */
import { readFileSync } from "node:fs"
import { setTimeout as sleep } from "node:timers/promises"
import { pathToFileURL } from "node:url"
import { ingestFor, load, records, startChaosService, suiteFigure } from "./common.js"

const STREAMS = 200
const PROVIDERS = Array.from({ length: 200 }, (_, i) => `provider-${i}`)
const ZONES = [
  "UTC",
  ...Array.from({ length: 12 }, (_, i) => `Etc/GMT+${i + 1}`),
  ...Array.from({ length: 12 }, (_, i) => `Etc/GMT-${i + 1}`),
]
const BYS = [undefined, "model", "node", "taskType", "provider"]
const LOAD_BATCH = 10_000
const SETTLE_MS = 500

/**
 * The phases in order: `rounds` blocks of with, control, control, with (ABBA; every other block BAAB), each
 * phase between two "none".
 */
function plan(rounds) {
  const phases = ["none"]
  for (let r = 0; r < rounds; r++) {
    const block = r % 2 === 0 ? ["with", "control", "control", "with"] : ["control", "with", "with", "control"]
    for (const kind of block) phases.push(kind, "none")
  }
  return phases
}

/** The i-th stream's distinct query string. */
function streamQuery(i) {
  if (i % 2 === 0) return `provider=${PROVIDERS[i / 2]}`
  const k = (i - 1) / 2
  const by = BYS[k % BYS.length]
  return `tz=${encodeURIComponent(ZONES[Math.floor(k / BYS.length) % ZONES.length])}${by ? `&by=${by}` : ""}`
}

/**
 * Opens STREAMS streams of distinct queries and resolves once each has received its first summary:
 * { events(), close() } (events: the summary events received so far, over all streams).
 */
export async function openStreams(url) {
  const controllers = []
  let events = 0
  const firsts = []
  for (let i = 0; i < STREAMS; i++) {
    const controller = new AbortController()
    controllers.push(controller)
    const res = fetch(`${url}/api/usage/stream?${streamQuery(i)}`, { signal: controller.signal })
    firsts.push(
      res.then(
        (r) =>
          new Promise((resolve, reject) => {
            if (r.status !== 200) return reject(new Error(`stream ${streamQuery(i)}: HTTP ${r.status}`))
            ;(async () => {
              const decoder = new TextDecoder()
              try {
                for await (const chunk of r.body) {
                  const n = decoder.decode(chunk).split("event: summary").length - 1
                  events += n
                  if (n > 0) resolve()
                }
              } catch {
                // aborted at the end
              }
              resolve()
            })()
          }),
      ),
    )
  }
  const close = () => {
    for (const c of controllers) c.abort()
  }
  try {
    await Promise.all(firsts)
  } catch (error) {
    close()
    throw error
  }
  return { events: () => events, close }
}

const mean = (values) => values.reduce((a, b) => a + b, 0) / values.length

/** CPU time (user + system) process `pid` has used in ms (Linux /proc, clock ticks of 10 ms), or NaN. */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return Number.NaN
  }
}

/**
 * Preloads the service at `url`, then measures ingestion in the phases of `plan(rounds)`: { ratio, controlRatio,
 * cpuRatio, controlCpuRatio, with, control, errors, events, distinct, line }. `with` and `control` list, per
 * phase of that kind, its rate and the mean rate of the "none" phases around it ({ perSecond, around, ratio }),
 * and, given the service's `pid`, its CPU ms per batch and theirs ({ cpuPerBatch, cpuAround, cpuRatio: around /
 * phase, so that it reads like the rate ratio }). The ratios are the means of their phases' ratios. Also used by
 * the benchmark suite (bench/benchmarks/availability.js).
 */
export async function measureSseStreams(
  url,
  {
    preload = Number(process.env.PRELOAD ?? 300_000),
    phaseMs = Number(process.env.PHASE_MS ?? 3000),
    rounds = Number(process.env.ROUNDS ?? 1),
    pid,
    onPhase,
  } = {},
) {
  for (let loaded = 0; loaded < preload; loaded += LOAD_BATCH) {
    const batch = records(Math.min(LOAD_BATCH, preload - loaded), { providers: PROVIDERS, at: Date.now() - 3_600_000 })
    await load(url, batch)
  }
  // A first phase warms the service up (its rate is not counted: on a fresh process it is the fastest of all).
  const warmup = await ingestFor(url, { durationMs: phaseMs, providers: PROVIDERS })
  const phases = []
  let errors = warmup.errors
  let events = 0
  await sleep(SETTLE_MS)
  for (const kind of plan(rounds)) {
    const streams = kind === "with" ? await openStreams(url) : undefined
    await sleep(SETTLE_MS)
    const before = streams?.events() ?? 0
    const cpu0 = cpuMs(pid)
    let result
    try {
      result = await ingestFor(url, { durationMs: phaseMs, providers: PROVIDERS })
    } finally {
      if (streams) {
        events += streams.events() - before
        streams.close()
      }
    }
    errors += result.errors
    phases.push({ kind, perSecond: result.perSecond, cpuPerBatch: (cpuMs(pid) - cpu0) / result.batches })
    onPhase?.(kind, result.perSecond)
    await sleep(SETTLE_MS)
  }
  const bracketed = (kind) =>
    phases.flatMap((p, i) => {
      if (p.kind !== kind) return []
      const around = mean([phases[i - 1].perSecond, phases[i + 1].perSecond])
      const cpuAround = mean([phases[i - 1].cpuPerBatch, phases[i + 1].cpuPerBatch])
      const ratio = p.perSecond / around
      return [{ perSecond: p.perSecond, around, ratio, cpuPerBatch: p.cpuPerBatch, cpuAround, cpuRatio: cpuAround / p.cpuPerBatch }]
    })
  const withPhases = bracketed("with")
  const controlPhases = bracketed("control")
  const ratio = mean(withPhases.map((p) => p.ratio))
  const controlRatio = mean(controlPhases.map((p) => p.ratio))
  const cpuRatio = mean(withPhases.map((p) => p.cpuRatio))
  const controlCpuRatio = mean(controlPhases.map((p) => p.cpuRatio))
  const cpu = Number.isFinite(cpuRatio)
    ? `; by the service's CPU time per batch, ${cpuRatio.toFixed(2)} (control ${controlCpuRatio.toFixed(2)})`
    : ""
  const distinct = new Set(Array.from({ length: STREAMS }, (_, i) => streamQuery(i))).size
  const rates = phases.map((p) => `${p.kind[0]}${p.perSecond.toFixed(0)}`).join(" ")
  return {
    ratio,
    controlRatio,
    cpuRatio,
    controlCpuRatio,
    with: withPhases,
    control: controlPhases,
    errors,
    events,
    distinct,
    line: `ingest with ${STREAMS} open streams (${distinct} distinct queries) ran at ${ratio.toFixed(2)} of ingest with none around it (control, no stream: ${controlRatio.toFixed(2)}${cpu}; phases of ${phaseMs / 1000} s in batches/s: ${rates}; ${preload.toLocaleString("en-US")} records preloaded; ${errors} errors); the streams got ${events} summary events in the ${withPhases.length} phases with them`,
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const service = await startChaosService()
  try {
    const { line, errors } = await measureSseStreams(service.url, { pid: service.pid })
    console.log(`sse-streams: ${line}`)
    console.log(await suiteFigure("sse-streams", service.url, line))
    if (errors > 0) process.exitCode = 1
  } finally {
    await service.stop()
  }
}
