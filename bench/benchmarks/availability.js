/**
 * Availability under load (issue 12, items 3 and 4): ingestion of 10-record batches (8 keep-alive clients) into
 * `usage serve` on SQLite, measured idle and then (1) while a fast reader in another process pulls a full NDJSON
 * export of 1M records (target: at least 0.5 of the idle rate, /healthz p99 within 250 ms meanwhile), and (2) with
 * 200 SSE streams of distinct queries open (target: at least 0.8 of the rate with none). The measurements are the
 * chaos probes' (chaos/export-during-ingest.js, chaos/sse-streams.js), so the suite and the probes agree.
 * BENCH_AVAILABILITY=export or =sse runs one of the two parts only.
 */
import { startChaosService } from "../../chaos/common.js"
import { measureExportDuringIngest } from "../../chaos/export-during-ingest.js"
import { measureSseStreams } from "../../chaos/sse-streams.js"
import { log } from "../lib/fixtures.js"
import { makeRow } from "../lib/report.js"

/** Which parts run (both by default). */
const PARTS = new Set((process.env.BENCH_AVAILABILITY ?? "export,sse").split(","))

export default {
  title: "Ingestion during a 1M-record export and with 200 SSE streams open, vs idle ingestion",
  async run({ quick }) {
    const records = quick ? 200_000 : 1_000_000
    const rows = []
    if (PARTS.has("export")) rows.push(...(await exportRows(records)))
    if (PARTS.has("sse")) rows.push(...(await sseRows(quick)))
    return rows
  },
}

async function exportRows(records) {
  const rows = []
  const service = await startChaosService()
  try {
    const exp = await measureExportDuringIngest(service.url, records)
    log(exp.line)
    if (exp.errors > 0 || exp.failures > 0) throw new Error(`export: ${exp.line}`)
    rows.push(
      makeRow({
        id: "ingest.sqlite.during-export",
        target: `Ingestion while a ${records.toLocaleString("en-US")}-record NDJSON export streams to a fast reader`,
        unit: "batches/s",
        samples: [exp.duringPerSecond],
        ref: { name: "idle ingestion", samples: [exp.idlePerSecond] },
        compare: "ratio",
        goals: [{ on: "compare", op: ">=", limit: 0.5 }],
        extra: { exportSeconds: exp.exportMs / 1000, exportMB: exp.bytes / 1e6 },
        command: "npm run bench -- availability",
      }),
      makeRow({
        id: "healthz.sqlite.during-export",
        target: "/healthz latency during that export (p99 of one probe every 100 ms)",
        unit: "ms",
        samples: [exp.healthP99Ms],
        goals: [{ on: "value", op: "<=", limit: 250 }],
        extra: { p50: exp.healthP50Ms, answers: exp.health.length },
        command: "npm run bench -- availability",
      }),
    )
  } finally {
    await service.stop()
  }
  return rows
}

/**
 * The SSE rows: on one service preloaded with 1M records, "with" phases (200 streams open) and "control" phases
 * (the same steps, no stream) alternate with "none" phases, each compared with the two "none" phases around it
 * (chaos/sse-streams.js). The control row is the measurement's own noise, to read beside the figure.
 */
async function sseRows(quick) {
  const service = await startChaosService()
  let sse
  try {
    sse = await measureSseStreams(service.url, {
      preload: quick ? 200_000 : 1_000_000,
      rounds: quick ? 1 : 4,
      pid: service.pid,
      onPhase: (kind, perSecond) => log(`sse ${kind}: ${perSecond.toFixed(0)} batches/s`),
    })
  } finally {
    await service.stop()
  }
  log(`sse: ${sse.line}`)
  if (sse.errors > 0) throw new Error(`sse: ${sse.line}`)
  const command = "BENCH_AVAILABILITY=sse npm run bench -- availability"
  return [
    makeRow({
      id: "ingest.sqlite.sse-200",
      target: `Ingestion with 200 SSE streams of distinct queries open (${sse.with.length} phases, each against the two phases with none around it)`,
      unit: "batches/s",
      samples: sse.with.map((p) => p.perSecond),
      ref: { name: "ingestion with no stream (around)", samples: sse.with.map((p) => p.around) },
      compare: "ratio",
      goals: [{ on: "compare", op: ">=", limit: 0.8 }],
      extra: {
        summaryEvents: sse.events,
        distinctQueries: sse.distinct,
        controlRatio: sse.controlRatio,
        cpuPerBatchRatio: sse.cpuRatio,
        controlCpuPerBatchRatio: sse.controlCpuRatio,
      },
      command,
    }),
    makeRow({
      id: "ingest.sqlite.sse-200.cpu",
      target:
        "The service's CPU time per batch with the streams open, against the phases with none around it (× reads like the ratio above)",
      unit: "ms",
      samples: sse.with.map((p) => p.cpuPerBatch),
      ref: { name: "CPU per batch with no stream (around)", samples: sse.with.map((p) => p.cpuAround) },
      compare: "speedup",
      command,
    }),
    makeRow({
      id: "ingest.sqlite.sse-200.control",
      target: "Control: the same phases with no stream opened (the measurement's own noise; 1.0 is no bias)",
      unit: "batches/s",
      samples: sse.control.map((p) => p.perSecond),
      ref: { name: "ingestion with no stream (around)", samples: sse.control.map((p) => p.around) },
      compare: "ratio",
      command,
    }),
  ]
}
