/**
 * The query measurements shared by SQLite and PostgreSQL: server-side latencies of the summary and the
 * 30-day trend through `usage serve` (sequential GETs on loopback), and whole-process times of
 * `usage summary --db` / `usage trends --db` interleaved with the bare oclif import (reference (4)).
 */
import { FIXTURE_END_ISO } from "./data.js"
import { createPool, sequentialGets } from "./load.js"
import { timeProcess } from "./proc.js"
import { BIN, childEnv, ROOT, startService } from "./service.js"
import { summarize } from "./stats.js"

export const SUMMARY_PATH = "/api/usage/summary"
export const TRENDS_PATH = "/api/usage/provider/anthropic/trends?range=30d"

/** Starts `usage serve` on `db` (now = the fixture's end) and times the summary and trend endpoints. */
export async function serverQueries(db, gets) {
  const service = await startService({ db, now: FIXTURE_END_ISO })
  const pool = createPool(service.url, 1)
  try {
    const summaryMs = await sequentialGets({ pool, path: SUMMARY_PATH, count: gets, warmup: 8 })
    const trendsMs = await sequentialGets({ pool, path: TRENDS_PATH, count: gets, warmup: 8 })
    const more = {
      kolkataSummary: summarize(await sequentialGets({ pool, path: `${SUMMARY_PATH}?tz=Asia/Kolkata`, count: gets })),
      kolkataTrends: summarize(await sequentialGets({ pool, path: `${TRENDS_PATH}&tz=Asia/Kolkata`, count: gets })),
      summaryByModel: summarize(await sequentialGets({ pool, path: `${SUMMARY_PATH}?by=model`, count: gets })),
    }
    return { summaryMs, trendsMs, more }
  } finally {
    await pool.close()
    await service.stop()
  }
}

/**
 * Whole-process times of `commands` ({ name: [command, args] }), run in turn `reps` times after one
 * warm-up round: { name: [ms…], cpu: { name: [ms…] } } (CPU time when GNU time is there).
 */
export async function interleavedTimes(commands, reps, env) {
  const names = Object.keys(commands)
  const samples = {
    ...Object.fromEntries(names.map((n) => [n, []])),
    cpu: Object.fromEntries(names.map((n) => [n, []])),
  }
  for (let i = -1; i < reps; i++) {
    for (const [name, [cmd, args]] of Object.entries(commands)) {
      const result = await timeProcess(cmd, args, { env, cwd: ROOT, cpu: true })
      if (result.code !== 0) throw new Error(`${name} exited ${result.code}: ${result.stderr.slice(0, 500)}`)
      if (i >= 0) {
        samples[name].push(result.ms)
        if (Number.isFinite(result.cpuMs)) samples.cpu[name].push(result.cpuMs)
      }
    }
  }
  return samples
}

/** The bare oclif import: reference (4). */
export const OCLIF_IMPORT = [process.execPath, ["--input-type=module", "-e", 'await import("@oclif/core")']]

/**
 * Whole-process times of the oclif import, `usage --version` (oclif's own start: config, manifest, hooks,
 * no command code), `usage summary --db` and `usage trends --db`, interleaved; `names` picks among these and
 * `usage daily --db` (all data, the report benchmark's).
 */
export function cliTimes(db, reps, names = ["oclif", "version", "summary", "trends"]) {
  const all = {
    oclif: OCLIF_IMPORT,
    version: [process.execPath, [BIN, "--version"]],
    summary: [process.execPath, [BIN, "summary", "--db", db]],
    trends: [process.execPath, [BIN, "trends", "--db", db, "--provider", "anthropic", "--days", "30"]],
    daily: [process.execPath, [BIN, "daily", "--db", db]],
  }
  return interleavedTimes(
    Object.fromEntries(names.map((name) => [name, all[name]])),
    reps,
    childEnv({ USAGE_NOW: FIXTURE_END_ISO }),
  )
}

export const sizeLabel = (n) => (n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`)

/** The two server-side rows of one size (goals at 1M and above: < 20 ms and >= 20x the full scan). */
export function queryRows({ makeRow, backend, size, summaryMs, trendsMs, fullScanMs, trendScanMs, more, command }) {
  const goals =
    size >= 1_000_000
      ? [
          { on: "value", op: "<", limit: 20 },
          { on: "compare", op: ">=", limit: 20 },
        ]
      : []
  const ref = { name: "full-scan GROUP BY", samples: fullScanMs }
  const n = sizeLabel(size)
  return [
    makeRow({
      id: `query.${backend}.summary.${n}`,
      target: `GET /api/usage/summary, ${n} records (${backend})`,
      unit: "ms",
      samples: summaryMs,
      ref,
      compare: "speedup",
      goals,
      extra: { kolkata: more.kolkataSummary, byModel: more.summaryByModel },
      command,
    }),
    makeRow({
      id: `query.${backend}.trends30d.${n}`,
      target: `GET …/anthropic/trends?range=30d, ${n} records (${backend})`,
      unit: "ms",
      samples: trendsMs,
      ref,
      compare: "speedup",
      goals,
      extra: { kolkata: more.kolkataTrends, trendScanWithoutRollups: summarize(trendScanMs) },
      command,
    }),
  ]
}

/**
 * The CLI rows of one size (goal at 1M and above: at most 60 ms above the bare oclif import, wall clock),
 * plus the same difference in CPU time (user + system), which a busy machine inflates much less.
 */
export function cliRows({ makeRow, backend, size, cli, command }) {
  const oclif = { name: "bare oclif import", samples: cli.oclif }
  const goals = size >= 1_000_000 ? [{ on: "compare", op: "<=", limit: 60 }] : []
  const n = sizeLabel(size)
  const cpuRows =
    cli.cpu.oclif.length > 0
      ? ["summary", "trends"].map((which) =>
          makeRow({
            id: `cli.${backend}.${which}.${n}.cpu`,
            target: `usage ${which} --db: CPU time (user+sys) of the process, ${n} records (${backend})`,
            unit: "ms",
            samples: cli.cpu[which],
            ref: { name: "bare oclif import CPU", samples: cli.cpu.oclif },
            compare: "delta",
            command,
          }),
        )
      : []
  return [
    makeRow({
      id: `cli.${backend}.summary.${n}`,
      target: `usage summary --db (whole process), ${n} records (${backend})`,
      unit: "ms",
      samples: cli.summary,
      ref: oclif,
      compare: "delta",
      goals,
      command,
    }),
    makeRow({
      id: `cli.${backend}.trends.${n}`,
      target: `usage trends --db --days 30 (whole process), ${n} records (${backend})`,
      unit: "ms",
      samples: cli.trends,
      ref: oclif,
      compare: "delta",
      goals,
      command,
    }),
    makeRow({
      id: `cli.${backend}.oclif-start.${n}`,
      target: `usage --version (whole process): what oclif's own start (config, manifest, hooks) adds to its import, of the same budget`,
      unit: "ms",
      samples: cli.version,
      ref: oclif,
      compare: "delta",
      command,
    }),
    ...cpuRows,
  ]
}

/** The exponent k of t ∝ n^k fitted (least squares on logs) over sizes → median latencies. */
export function growthExponent(bySize) {
  const points = Object.entries(bySize).map(([n, t]) => [Math.log(Number(n)), Math.log(t)])
  const mx = points.reduce((a, [x]) => a + x, 0) / points.length
  const my = points.reduce((a, [, y]) => a + y, 0) / points.length
  let num = 0
  let den = 0
  for (const [x, y] of points) {
    num += (x - mx) * (y - my)
    den += (x - mx) ** 2
  }
  return num / den
}

/**
 * Rows for the shape of the curve: the exponent k of latency ∝ records^k over the sizes measured (1 is
 * linear, 0 flat), against the full scan's own exponent; goal k < 0.3 (flat rather than linear).
 */
export function curveRows({ makeRow, backend, curve, command }) {
  const sizes = Object.keys(curve.summary).map(Number)
  if (sizes.length < 2) return []
  const span = `${sizeLabel(Math.min(...sizes))}–${sizeLabel(Math.max(...sizes))}`
  return ["summary", "trends"].map((kind) =>
    makeRow({
      id: `query.${backend}.${kind}.curve`,
      target: `${kind}: growth exponent k of latency ∝ records^k over ${span} (1 = linear, 0 = flat)`,
      unit: "",
      samples: [growthExponent(curve[kind])],
      ref: { name: "full scan's k", samples: [growthExponent(curve.fullScan)] },
      compare: "ratio",
      goals: [{ on: "value", op: "<", limit: 0.3 }],
      extra: { medians: curve[kind], fullScanMedians: curve.fullScan },
      command,
    }),
  )
}
