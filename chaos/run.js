/**
 * The chaos suite (`npm run chaos`): scenarios on real processes over loopback (127.0.0.1 only), each bounded
 * in time and count, each printing one figure line:
 *   <scenario>: acknowledged=N lost=N duplicated=N recovered=yes|no recovery=N ms | detail
 * Exit 1 when any scenario loses or duplicates a record, or does not recover by itself.
 *
 *   node chaos/run.js                 the long suite (a few minutes)
 *   node chaos/run.js --short         the short suite (under about a minute; runs inside `npm test`)
 *   node chaos/run.js --only proxy,fuzz --seed 7
 *
 * The seed is fixed (default 12) and printed, so a failing run replays with `--seed`. Needs the build
 * (`npm run build`): nodes load dist/lib/index.js, the service is bin/run.js.
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { diskFull } from "./scenarios/disk-full.js"
import { fuzz } from "./scenarios/fuzz.js"
import { killRestart } from "./scenarios/kill-restart.js"
import { pgRestart } from "./scenarios/pg-restart.js"
import { pgTerminate } from "./scenarios/pg-terminate.js"
import { probe } from "./scenarios/probes.js"
import { proxy } from "./scenarios/proxy.js"
import { webhookDown } from "./scenarios/webhook-down.js"

const SCENARIOS = [
  { name: "kill-restart", short: true, run: killRestart },
  { name: "proxy", short: true, run: proxy },
  { name: "pg-terminate", short: true, run: pgTerminate },
  { name: "pg-restart", short: false, run: pgRestart },
  { name: "disk-full", short: true, run: diskFull },
  { name: "fuzz", short: true, run: fuzz },
  { name: "webhook-down", short: true, run: webhookDown },
  // Long suite only: each loads the machine for 15-60 s.
  { name: "slow-clients", short: false, run: probe("slow-clients", "slow-clients.js") },
  { name: "export-during-ingest", short: false, run: probe("export-during-ingest", "export-during-ingest.js") },
  { name: "sse-streams", short: false, run: probe("sse-streams", "sse-streams.js") },
]

const { values } = parseArgs({
  options: {
    short: { type: "boolean", default: false },
    only: { type: "string" },
    seed: { type: "string", default: "12" },
  },
})
const seed = Number(values.seed)
if (!Number.isInteger(seed)) {
  console.error(`--seed must be an integer (got ${values.seed})`)
  process.exit(2)
}
if (!existsSync(fileURLToPath(new URL("../dist/lib/index.js", import.meta.url)))) {
  console.error("chaos: dist/ is missing; run `npm run build` first")
  process.exit(2)
}
const only = values.only?.split(",").map((s) => s.trim())
const unknown = only?.filter((name) => !SCENARIOS.some((s) => s.name === name)) ?? []
if (unknown.length > 0) {
  console.error(`chaos: unknown scenario ${unknown.join(", ")} (known: ${SCENARIOS.map((s) => s.name).join(", ")})`)
  process.exit(2)
}
const chosen = SCENARIOS.filter((s) => (only ? only.includes(s.name) : !values.short || s.short))

console.log(`chaos suite (${values.short ? "short" : "long"}), seed ${seed}, node ${process.version}`)
const t0 = Date.now()
let failed = 0
for (const scenario of chosen) {
  const started = Date.now()
  let line
  let ok
  try {
    ;({ line, ok } = await scenario.run({ short: values.short, seed }))
  } catch (error) {
    line = `${scenario.name}: error ${error.stack ?? error}`
    ok = false
  }
  console.log(`${line} [${((Date.now() - started) / 1000).toFixed(1)} s]`)
  if (!ok) failed += 1
}
console.log(
  `chaos: ${chosen.length - failed}/${chosen.length} scenarios passed in ${((Date.now() - t0) / 1000).toFixed(0)} s (seed ${seed}; replay: node chaos/run.js${values.short ? " --short" : ""} --seed ${seed})`,
)
process.exitCode = failed > 0 ? 1 : 0
