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
import { interleavedTimes, OCLIF_IMPORT } from "./lib/query-run.js"
import { BIN, childEnv } from "./lib/service.js"
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
  "bare oclif import": OCLIF_IMPORT,
  "usage --version": [node, [BIN, "--version"]],
  "trends --json": [node, [...trends, "--json"]],
  "trends (table)": [node, trends],
  "summary --json": [node, [...summary, "--json"]],
  "summary (table)": [node, summary],
}
const runs = Number(values.runs)
const samples = await interleavedTimes(steps, runs, childEnv({ USAGE_NOW: FIXTURE_END_ISO }))
const median = (list) => (list.length > 0 ? summarize(list).median : Number.NaN)
const base = { wall: median(samples["bare oclif import"]), cpu: median(samples.cpu["bare oclif import"]) }
process.stdout.write(`medians of ${runs} interleaved runs (ms)\n`)
for (const name of Object.keys(steps)) {
  const w = median(samples[name])
  const c = median(samples.cpu[name])
  process.stdout.write(
    `${name.padEnd(18)} wall ${w.toFixed(0).padStart(4)}  Δ ${(w - base.wall).toFixed(0).padStart(4)}   cpu ${c.toFixed(0).padStart(4)}  Δ ${(c - base.cpu).toFixed(0).padStart(4)}\n`,
  )
}
