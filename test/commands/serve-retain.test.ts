import { spawn } from "node:child_process"
import { expect } from "chai"
import { record } from "../helpers/records.js"
import { BIN, cleanEnv, ensureBuilt, runCli, seededSqlite } from "./helpers.js"

describe("usage serve --retain (built CLI)", function () {
  this.timeout(30_000)

  it("prunes the records older than the retention at start, says so after the start line, and stops cleanly", async () => {
    // NOW is 2026-11-12T12:00Z: 400 days before is 2025-10-08T12:00Z.
    const db = await seededSqlite([
      record({ id: "usage_old", timestamp: new Date("2025-10-08T11:59:59Z"), estimatedCost: 7.5 }),
      record({ id: "usage_kept", timestamp: new Date("2025-10-08T12:00:00Z"), estimatedCost: 2 }),
    ])
    ensureBuilt()
    const child = spawn(process.execPath, [BIN, "serve", "--db", db, "--port", "0", "--retain", "400d"], {
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    })
    let out = ""
    let err = ""
    child.stderr.on("data", (d) => (err += d))
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
    try {
      const lines = await new Promise<string[]>((resolve, reject) => {
        child.stdout.on("data", (d) => {
          out += d
          const got = out.split("\n")
          if (got.length > 2) resolve(got.slice(0, 2))
        })
        exited.then((code) => reject(new Error(`serve exited (${code}): ${err}`)))
      })
      expect(lines[0]).to.match(/^usage-hub listening on http:\/\/127\.0\.0\.1:\d+ \(sqlite /)
      expect(lines[1]).to.equal(
        `retention (400d): Pruned 1 record before 2025-10-08T12:00:00.000Z from sqlite ${db}: $7.5000, ` +
          "first 2025-10-08T11:59:59.000Z, last 2025-10-08T11:59:59.000Z",
      )
      const url = /listening on (\S+)/.exec(lines[0])![1]
      const res = await fetch(`${url}/api/usage/summary?since=2025-01-01&until=2026-01-01`)
      const summary = (await res.json()) as { totalCost: number; summaries: Record<string, { callCount: number }> }
      expect(summary.totalCost).to.equal(2)
      expect(summary.summaries.anthropic.callCount).to.equal(1)
    } finally {
      child.kill("SIGTERM")
    }
    expect(await exited).to.equal(0)
    expect(err).to.equal("")
  })

  it("refuses a retention that is not days or weeks (exit 2, one line)", async () => {
    const { code, stdout, stderr } = await runCli(["serve", "--port", "0", "--db", ":memory:", "--retain", "1y"])
    expect(code).to.equal(2)
    expect(stdout).to.equal("")
    expect(stderr).to.equal(
      'Error: --retain must be a number of days or weeks, at least 1d (e.g. 400d or 57w), got "1y"\n',
    )
    const env = await runCli(["serve", "--port", "0", "--db", ":memory:"], { env: { USAGE_RETAIN: "0d" } })
    expect(env.code).to.equal(2)
    expect(env.stderr).to.match(/^Error: USAGE_RETAIN must be a number of days or weeks/)
  })
})
