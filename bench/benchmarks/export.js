/**
 * `usage export --csv --db` of 1,000,000 records (whole process, stdout to a file), against reference (5):
 * a child process iterating the same rows with better-sqlite3 and joining fields with commas. Runs
 * interleaved; peak RSS of the export process from GNU time (%M), else from /proc VmHWM sampling.
 */
import { closeSync, copyFileSync, openSync, readFileSync, statSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { FIXTURE_END_ISO } from "../lib/data.js"
import { log, removeDb, sqliteFixture, tmpPath } from "../lib/fixtures.js"
import { HAS_GNU_TIME, runOk } from "../lib/proc.js"
import { makeRow } from "../lib/report.js"
import { BIN, childEnv, ROOT } from "../lib/service.js"

const REFERENCE = fileURLToPath(new URL("../lib/csv-reference.js", import.meta.url))

function countLines(path) {
  const data = readFileSync(path)
  let n = 0
  for (let i = data.indexOf(10); i !== -1; i = data.indexOf(10, i + 1)) n++
  return n
}

export default {
  title: "usage export --csv of 1M records vs a better-sqlite3 iterate-and-join reference; peak RSS",
  async run({ quick }) {
    const count = quick ? 100_000 : 1_000_000
    const reps = quick ? 2 : 3
    const fixture = await sqliteFixture(count)
    const db = tmpPath("export.db")
    copyFileSync(fixture, db)
    const env = childEnv({ USAGE_NOW: FIXTURE_END_ISO })
    const target = []
    const reference = []
    const rss = []
    const outPath = tmpPath("export.csv")
    const refPath = tmpPath("reference.csv")
    const toFile = async (path, command, args, peakRss) => {
      const fd = openSync(path, "w")
      try {
        return await runOk(command, args, { env, cwd: ROOT, stdout: fd, peakRss, timeoutMs: 300_000 })
      } finally {
        closeSync(fd)
      }
    }
    try {
      for (let rep = 0; rep < reps; rep++) {
        const exp = await toFile(outPath, process.execPath, [BIN, "export", "--csv", "--db", db], true)
        const ref = await toFile(refPath, process.execPath, [REFERENCE, db], false)
        target.push((count / exp.ms) * 1000)
        reference.push((count / ref.ms) * 1000)
        rss.push(exp.peakRss / 2 ** 20)
        log(
          `rep ${rep + 1}: export ${(exp.ms / 1000).toFixed(2)} s (peak RSS ${(exp.peakRss / 2 ** 20).toFixed(0)} MiB), reference ${(ref.ms / 1000).toFixed(2)} s`,
        )
      }
      const lines = countLines(outPath)
      if (lines !== count + 1) throw new Error(`the export has ${lines} lines, expected ${count + 1}`)
      this.sizes = { export: statSync(outPath).size, reference: statSync(refPath).size }
    } finally {
      removeDb(db)
      removeDb(outPath)
      removeDb(refPath)
    }
    const n = count >= 1e6 ? `${count / 1e6}M` : `${count / 1e3}k`
    return [
      makeRow({
        id: "export.sqlite.csv",
        target: `usage export --csv --db, ${n} records (whole process, to a file)`,
        unit: "rows/s",
        samples: target,
        ref: { name: "better-sqlite3 iterate + join(',')", samples: reference },
        compare: "ratio",
        goals: [{ on: "compare", op: ">=", limit: 0.6 }],
        extra: { bytes: this.sizes },
        command: "npm run bench -- export",
      }),
      makeRow({
        id: "export.sqlite.csv.rss",
        target: `usage export --csv: peak RSS of the process (${HAS_GNU_TIME ? "GNU time %M" : "/proc VmHWM"})`,
        unit: "MiB",
        samples: rss,
        goals: [{ on: "value", op: "<", limit: 200 }],
        command: "npm run bench -- export",
      }),
    ]
  },
}
