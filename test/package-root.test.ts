import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, symlinkSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { tempDir } from "./helpers/tmp.js"

const ROOT = new URL("..", import.meta.url).pathname

describe("package root (what the plugin imports)", () => {
  before(function () {
    if (!existsSync(join(ROOT, "dist/lib/index.js"))) this.skip() // npm test builds first
  })

  it("loads no native addon and no store driver", () => {
    const dir = tempDir()
    mkdirSync(join(dir, "node_modules"))
    symlinkSync(ROOT, join(dir, "node_modules", "usage-hub"))
    const script = `
      const seen = []; const dl = process.dlopen
      process.dlopen = function (m, f, ...r) { seen.push(f); return dl.call(this, m, f, ...r) }
      const { createRequire } = await import("node:module")
      const mod = await import("usage-hub")
      const loaded = Object.keys(createRequire(import.meta.url).cache)
      console.log(JSON.stringify({ seen, exports: Object.keys(mod), loaded }))`
    const out = JSON.parse(
      execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: dir, encoding: "utf8" }),
    )
    expect(out.seen).to.deep.equal([])
    expect(out.loaded.filter((p: string) => /better-sqlite3|[\\/]pg[\\/]|undici|fastify/.test(p))).to.deep.equal([])
    for (const name of [
      "UsageTracker",
      "FileAdapter",
      "usageConfigSchema",
      "calculatePeriodStart",
      "getDefaultStoragePath",
      "loadUsageStorage",
      "saveUsageStorage",
      "DEFAULT_RESET_SCHEDULES",
    ]) {
      expect(out.exports, name).to.include(name)
    }
  })
})
