/**
 * `usage migrate-file` of a 100,000-record legacy file (version 1, pretty-printed as the plugin writes it,
 * 59 days of records) into a fresh SQLite store: whole-process wall time, fresh store each run. The JSON
 * report is checked (every record accepted or counted as a duplicate).
 */
import { legacyFixture, log, removeDb, tmpPath } from "../lib/fixtures.js"
import { runOk } from "../lib/proc.js"
import { makeRow } from "../lib/report.js"
import { BIN, childEnv, ROOT } from "../lib/service.js"

export default {
  title: "usage migrate-file of a 100,000-record legacy file into a fresh SQLite store",
  async run({ quick }) {
    const count = 100_000
    const reps = quick ? 2 : 5
    const file = await legacyFixture(count)
    const env = childEnv()
    const samples = []
    let peak = 0
    for (let rep = 0; rep < reps; rep++) {
      const db = tmpPath(`migrate-${rep}.db`)
      removeDb(db)
      try {
        const result = await runOk(
          process.execPath,
          [BIN, "migrate-file", file, "--db", db, "--node", "bench-node", "--json"],
          {
            env,
            cwd: ROOT,
            stdout: "pipe",
            peakRss: true,
          },
        )
        const report = JSON.parse(result.stdout)
        const totals = report.totals ?? report.result?.totals
        if (!totals || totals.accepted + totals.duplicates !== count) {
          throw new Error(`migrate-file reported ${JSON.stringify(totals)} for ${count} records`)
        }
        samples.push(result.ms / 1000)
        peak = Math.max(peak, result.peakRss / 2 ** 20)
        log(
          `rep ${rep + 1}: ${(result.ms / 1000).toFixed(2)} s, ${totals.accepted} accepted, ${totals.duplicates} duplicates`,
        )
      } finally {
        removeDb(db)
      }
    }
    return [
      makeRow({
        id: "migrate.sqlite.100k",
        target: "usage migrate-file, 100,000-record legacy file → fresh SQLite store (whole process)",
        unit: "s",
        samples,
        goals: [{ on: "value", op: "<", limit: 3 }],
        extra: { peakRssMiB: peak },
        command: "npm run bench -- migrate",
      }),
    ]
  },
}
