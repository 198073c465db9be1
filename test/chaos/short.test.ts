/**
 * The short chaos suite (`node chaos/run.js --short`) inside `npm test`: real processes over loopback (the
 * built service and node processes on the built library), each scenario printing one figure line. Every
 * scenario must read lost=0 duplicated=0 recovered=yes; pg-terminate may be skipped when PostgreSQL is absent.
 */
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { expect } from "chai"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const SCENARIOS = ["kill-restart", "proxy", "pg-terminate", "disk-full", "fuzz", "webhook-down"]
const MAY_SKIP = new Set(["pg-terminate"])

function runShortSuite(): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["chaos/run.js", "--short"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    child.stdout.on("data", (d) => (out += d))
    child.stderr.on("data", (d) => (out += d))
    const bound = setTimeout(() => child.kill("SIGKILL"), 170_000)
    child.on("close", (code) => {
      clearTimeout(bound)
      resolve({ code, out })
    })
  })
}

describe("the short chaos suite (node chaos/run.js --short)", function () {
  this.timeout(180_000)
  let run: { code: number | null; out: string }
  const lineOf = (name: string) => run.out.split("\n").find((l) => l.startsWith(`${name}: `))

  before(async () => {
    if (!existsSync(`${ROOT}dist/lib/index.js`)) throw new Error("dist/ is missing: npm run build first")
    run = await runShortSuite()
  })

  for (const name of SCENARIOS) {
    it(`${name}: loses nothing acknowledged, duplicates nothing, recovers by itself`, () => {
      const line = lineOf(name)
      expect(line, `no figure line for ${name} in:\n${run.out}`).to.be.a("string")
      if (MAY_SKIP.has(name) && /: skipped \(/.test(line!)) return
      expect(line).to.match(/ acknowledged=[1-9]\d* /)
      expect(line).to.include(" lost=0 ").and.include(" duplicated=0 ").and.include(" recovered=yes ")
    })
  }

  it("prints its seed and exits 0", () => {
    expect(run.out).to.match(/^chaos suite \(short\), seed \d+/)
    expect(run.code, run.out).to.equal(0)
  })
})
