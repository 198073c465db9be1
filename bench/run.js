#!/usr/bin/env node
/**
 * `npm run bench [-- NAME… ] [--quick] [--list]`: runs the benchmark suite (or the named benchmarks) against
 * the built code (dist/, bin/run.js), prints one table of figures with their same-run references, and writes
 * the results as JSON to bench/results/<time>.json and bench/results/latest.json (bench/results/ is
 * gitignored; fixtures are cached in bench/results/cache/). Not part of `npm test`.
 *   --quick    fewer repetitions and smaller sizes (a smoke run of the harness, not figures to report)
 *   --list     lists the benchmarks
 *   --markdown prints the table of bench/results/latest.json as Markdown (for docs/performance.md), runs nothing
 */
import { execFileSync } from "node:child_process"
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { cpus, loadavg, totalmem } from "node:os"
import { fileURLToPath } from "node:url"
import { RESULTS, TMP } from "./lib/fixtures.js"
import { markdownTable, missingRow, printTable } from "./lib/report.js"

const BENCHMARKS = [
  "ingest",
  "ingest-budgets",
  "single",
  "queries",
  "sessions",
  "reports",
  "migrate",
  "export",
  "adapter",
  "service-rss",
  "availability",
  "collect",
  "postgres",
]

const argv = process.argv.slice(2)
const quick = argv.includes("--quick")
const names = argv.filter((a) => !a.startsWith("--"))

if (argv.includes("--markdown")) {
  const latest = JSON.parse(readFileSync(`${RESULTS}latest.json`, "utf8"))
  process.stdout.write(markdownTable(latest.rows))
  process.stdout.write(
    `\n${latest.rows.length} figures, ${latest.started} (${latest.seconds.toFixed(0)} s, commit ${latest.machine.commit}, ${latest.machine.cpus} CPUs, load ${latest.machine.loadAverageAtStart.map((l) => l.toFixed(1)).join(" ")})\n`,
  )
  process.exit(0)
}

if (argv.includes("--list")) {
  for (const name of BENCHMARKS) {
    const { default: bench } = await import(`./benchmarks/${name}.js`)
    process.stdout.write(`${name.padEnd(12)} ${bench.title}\n`)
  }
  process.exit(0)
}

const unknown = names.filter((n) => !BENCHMARKS.includes(n))
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark ${unknown.join(", ")}; one of: ${BENCHMARKS.join(", ")}\n`)
  process.exit(2)
}
const selected = names.length > 0 ? BENCHMARKS.filter((n) => names.includes(n)) : BENCHMARKS

function gitCommit() {
  try {
    const root = fileURLToPath(new URL("..", import.meta.url))
    return execFileSync("git", ["-C", root, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim()
  } catch {
    return undefined
  }
}

mkdirSync(TMP, { recursive: true })
const started = new Date()
const machine = {
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  memoryMiB: Math.round(totalmem() / 2 ** 20),
  loadAverageAtStart: loadavg(),
  commit: gitCommit(),
}
process.stderr.write(
  `usage-hub benchmarks: ${selected.join(", ")}${quick ? " (quick)" : ""} on ${machine.cpus} CPUs, load ${machine.loadAverageAtStart.map((l) => l.toFixed(2)).join(" ")}\n`,
)

const rows = []
const timings = {}
for (const name of selected) {
  const { default: bench } = await import(`./benchmarks/${name}.js`)
  process.stderr.write(`▶ ${name}: ${bench.title}\n`)
  const t0 = Date.now()
  try {
    const produced = await bench.run({ quick })
    rows.push(...produced)
  } catch (error) {
    process.stderr.write(`  ✗ ${name} failed: ${error.stack ?? error}\n`)
    rows.push(
      missingRow({ id: name, target: bench.title, reason: `failed: ${String(error.message ?? error).split("\n")[0]}` }),
    )
  }
  timings[name] = (Date.now() - t0) / 1000
  process.stderr.write(`  (${timings[name].toFixed(1)} s)\n`)
}
rmSync(TMP, { recursive: true, force: true })

printTable(rows)
const finished = new Date()
const report = {
  started: started.toISOString(),
  finished: finished.toISOString(),
  seconds: (finished - started) / 1000,
  quick,
  selected,
  machine: { ...machine, loadAverageAtEnd: loadavg() },
  timings,
  rows,
}
const stamp = started.toISOString().replace(/[:.]/g, "-")
const json = `${JSON.stringify(report, null, 2)}\n`
writeFileSync(`${RESULTS}${stamp}${names.length > 0 ? `-${names.join("+")}` : ""}.json`, json)
writeFileSync(`${RESULTS}latest.json`, json)
const missed = rows.filter((r) => r.met === false)
process.stdout.write(
  `${rows.length} figures in ${report.seconds.toFixed(0)} s; ${missed.length === 0 ? "every target met" : `not met: ${missed.map((r) => r.id).join(", ")}`}\nresults: bench/results/latest.json\n`,
)
