#!/usr/bin/env node
/**
 * Where a read command's start goes, step by step (a diagnostic next to `npm run bench -- queries`, not
 * part of the suite): whole-process times of the bare oclif import, `usage --version` (oclif's own start),
 * `usage trends|summary --db … --json` (the command without its table) and the same with the table
 * (cli-table3), interleaved, with the median wall and CPU difference of each above the bare import.
 *
 *   npm run build && node bench/cli-steps.js --db <store> [--runs 21] [--provider anthropic]
 *
 * Runs as the benchmark runs the CLI: TZ=UTC, NODE_ENV=production, an empty config directory; USAGE_NOW
 * pinned to the end of the benchmark fixture's data (bench/lib/data.js).
 */
import { parseArgs } from "node:util"
import { FIXTURE_END_ISO } from "./lib/data.js"
import { timeProcess } from "./lib/proc.js"
import { BIN, childEnv, ROOT } from "./lib/service.js"
import { summarize } from "./lib/stats.js"

const { values } = parseArgs({
  options: {
    db: { type: "string" },
    runs: { type: "string", default: "21" },
    provider: { type: "string", default: "anthropic" },
  },
})
if (!values.db) {
  process.stderr.write("usage: node bench/cli-steps.js --db <store> [--runs 21] [--provider anthropic]\n")
  process.exit(2)
}

const node = process.execPath
const trends = [BIN, "trends", values.provider, "--days", "30", "--db", values.db]
const summary = [BIN, "summary", "--db", values.db]
const steps = {
  "bare oclif import": ["--input-type=module", "-e", 'await import("@oclif/core")'],
  "usage --version": [BIN, "--version"],
  "trends --json": [...trends, "--json"],
  "trends (table)": trends,
  "summary --json": [...summary, "--json"],
  "summary (table)": summary,
}
const env = childEnv({ USAGE_NOW: FIXTURE_END_ISO })
const wall = Object.fromEntries(Object.keys(steps).map((k) => [k, []]))
const cpu = Object.fromEntries(Object.keys(steps).map((k) => [k, []]))
const runs = Number(values.runs)
for (let i = -1; i < runs; i++) {
  for (const [name, args] of Object.entries(steps)) {
    const result = await timeProcess(node, args, { env, cwd: ROOT, cpu: true })
    if (result.code !== 0) throw new Error(`${name} exited ${result.code}: ${result.stderr.slice(0, 300)}`)
    if (i < 0) continue
    wall[name].push(result.ms)
    if (Number.isFinite(result.cpuMs)) cpu[name].push(result.cpuMs)
  }
}
const median = (samples) => (samples.length > 0 ? summarize(samples).median : Number.NaN)
const base = { wall: median(wall["bare oclif import"]), cpu: median(cpu["bare oclif import"]) }
process.stdout.write(`medians of ${runs} interleaved runs (ms)\n`)
for (const name of Object.keys(steps)) {
  const w = median(wall[name])
  const c = median(cpu[name])
  process.stdout.write(
    `${name.padEnd(18)} wall ${w.toFixed(0).padStart(4)}  Δ ${(w - base.wall).toFixed(0).padStart(4)}   cpu ${c.toFixed(0).padStart(4)}  Δ ${(c - base.cpu).toFixed(0).padStart(4)}\n`,
  )
}
