/**
 * helper probes as scenarios: the standalone probes of issue 12's items 2-4 (chaos/slow-clients.js,
 * chaos/export-during-ingest.js, chaos/sse-streams.js) run as child processes, bounded in time; each prints its
 * own line and then one in the suite's format (common.js `suiteFigure`), which is the scenario's figure. A
 * probe passes when it exits 0 (its own expectations: no error, no failed /healthz, slow clients cut) and its
 * figure reads lost=0 duplicated=0 recovered=yes.
 */
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { ROOT } from "../lib/harness.js"

/** A scenario that runs `chaos/<script>` (env: extra variables, e.g. RECORDS). */
export function probe(name, script, { env = {}, timeoutMs = 300_000 } = {}) {
  return async () => {
    const path = fileURLToPath(new URL(`../${script}`, import.meta.url))
    const child = spawn(process.execPath, [path], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    })
    let out = ""
    child.stdout.on("data", (d) => (out += d))
    child.stderr.on("data", (d) => {
      if (out.length < 100_000) out += d
    })
    const bound = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    const code = await new Promise((resolve) => child.on("close", (c, signal) => resolve(c ?? signal)))
    clearTimeout(bound)
    const line = out.split("\n").find((l) => l.startsWith(`${name}: acknowledged=`))
    if (!line) return { line: `${name}: error (exit ${code}, no figure line) ${out.slice(-1500)}`, ok: false }
    const ok = code === 0 && / lost=0 duplicated=0 recovered=yes /.test(line)
    return { line: code === 0 ? line : `${line} (exit ${code})`, ok }
  }
}
