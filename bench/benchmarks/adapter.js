/**
 * `recordUsage` through an HttpIngestAdapter while the service is down (child processes, --expose-gc; see
 * lib/adapter-offline-child.js): per-call cost of the synchronous call in bursts of 1000, the amortized cost
 * once every record is fsync'ed in the spool, and memory: the adapter's in-memory queue against
 * localBufferSize, and the heap the adapter adds to a tracker's own (UsageTracker with persist: false as the
 * reference) at 100k and 300k records, which must not grow with the number of records (at 20k the tracker
 * still holds a younger heap, which made a smaller first size misleading).
 */
import { mkdirSync, rmSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { log, tmpPath } from "../lib/fixtures.js"
import { runOk } from "../lib/proc.js"
import { makeRow } from "../lib/report.js"
import { childEnv, ROOT } from "../lib/service.js"

const CHILD = fileURLToPath(new URL("../lib/adapter-offline-child.js", import.meta.url))
const LOCAL_BUFFER = 1000

async function child(n, mode, tag) {
  const spoolDir = tmpPath(`spool-${tag}`)
  rmSync(spoolDir, { recursive: true, force: true })
  mkdirSync(spoolDir, { recursive: true })
  try {
    const result = await runOk(
      process.execPath,
      ["--expose-gc", CHILD, String(n), String(LOCAL_BUFFER), mode, spoolDir],
      {
        env: childEnv(),
        cwd: ROOT,
        stdout: "pipe",
      },
    )
    return JSON.parse(result.stdout.trim().split("\n").pop())
  } finally {
    rmSync(spoolDir, { recursive: true, force: true })
  }
}

export default {
  title: "recordUsage through HttpIngestAdapter with the service down: µs per call, memory vs localBufferSize",
  async run({ quick }) {
    const small = quick ? 60_000 : 100_000
    const large = quick ? 120_000 : 300_000
    const a1 = await child(small, "adapter", "a1")
    const n1 = await child(small, "none", "n1")
    const a2 = await child(large, "adapter", "a2")
    const n2 = await child(large, "none", "n2")
    const mib = (b) => b / 2 ** 20
    const extra1 = mib(a1.heapUsed - n1.heapUsed)
    const extra2 = mib(a2.heapUsed - n2.heapUsed)
    log(
      `per call ${a2.perCallUs.sort((x, y) => x - y)[a2.perCallUs.length >> 1].toFixed(1)} µs; amortized ${((a2.spooledMs * 1000) / large).toFixed(1)} µs; adapter heap ${extra1.toFixed(1)} MiB at ${small}, ${extra2.toFixed(1)} MiB at ${large}; buffered ${a2.stats.buffered}`,
    )
    const command = "npm run bench -- adapter"
    return [
      makeRow({
        id: "adapter.offline.call",
        target: "tracker.recordUsage via HttpIngestAdapter, service down: µs per call (bursts of 1000)",
        unit: "µs",
        samples: a2.perCallUs,
        ref: { name: "UsageTracker without adapter", samples: n2.perCallUs },
        compare: "delta",
        goals: [{ on: "value", op: "<", limit: 50 }],
        command,
      }),
      makeRow({
        id: "adapter.offline.amortized",
        target: `recordUsage incl. the spool append + fsync, ${large} calls: µs per record until all are on disk`,
        unit: "µs",
        samples: [(a1.spooledMs * 1000) / small, (a2.spooledMs * 1000) / large],
        goals: [{ on: "value", op: "<", limit: 50 }],
        command,
      }),
      makeRow({
        id: "adapter.offline.queue",
        target: `records the adapter holds in memory for delivery (localBufferSize ${LOCAL_BUFFER}), after ${large} calls`,
        unit: "records",
        samples: [a2.stats.buffered],
        goals: [{ on: "value", op: "<=", limit: LOCAL_BUFFER }],
        extra: { pendingOnDisk: a2.stats.pending },
        command,
      }),
      makeRow({
        id: "adapter.offline.heap",
        target: `heap the adapter adds to the tracker's: growth from ${small} to ${large} records (bounded → ~0)`,
        unit: "MiB",
        samples: [extra2 - extra1],
        goals: [{ on: "value", op: "<", limit: 5 }],
        extra: {
          adapterHeapMiB: { [small]: extra1, [large]: extra2 },
          rssMiB: { adapter: mib(a2.rss), none: mib(n2.rss) },
        },
        command,
      }),
    ]
  },
}
