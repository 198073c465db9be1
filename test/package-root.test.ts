import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, symlinkSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { eagerClosure, importGraph } from "./helpers/imports.js"
import { tempDir } from "./helpers/tmp.js"

const ROOT = new URL("..", import.meta.url).pathname

/**
 * The packages the package root may load (node: built-ins aside): none carries a native addon. A new one here is
 * a decision: the plugin loads it under Bun on every machine.
 */
const ROOT_PACKAGES = ["zod", "@date-fns/tz", "@date-fns/tz/date/mini", "proper-lockfile"]

describe("package root (what the plugin imports)", () => {
  it("imports, from src/lib/index.ts, no store driver and no package beyond its short list (import() of a store only inside functions)", () => {
    const loaded = eagerClosure(importGraph(), "src/lib/index.ts")
    const packages = [...loaded].filter(([m]) => !m.startsWith("src/") && !m.startsWith("node:"))
    expect(
      packages.filter(([m]) => !ROOT_PACKAGES.includes(m)).map(([, chain]) => chain.join(" -> ")),
      "loaded by the package root",
    ).to.deep.equal([])
    // The store classes are reachable (MemoryStore is exported) but never a backend that loads a driver.
    expect([...loaded.keys()].filter((m) => /^src\/lib\/store\/(sqlite|postgres)\//.test(m))).to.deep.equal([])
  })

  it("usage-hub/opencode (src/lib/opencode-plugin.ts) loads no package beyond the package root's short list", () => {
    const loaded = eagerClosure(importGraph(), "src/lib/opencode-plugin.ts")
    expect(loaded.has("src/lib/adapters/create-storage-adapter.ts")).to.equal(true)
    const packages = [...loaded].filter(([m]) => !m.startsWith("src/") && !m.startsWith("node:"))
    expect(
      packages.filter(([m]) => !ROOT_PACKAGES.includes(m)).map(([, chain]) => chain.join(" -> ")),
      "loaded by the OpenCode plugin",
    ).to.deep.equal([])
  })

  it("loads no native addon and no store driver from dist/", function () {
    if (!existsSync(join(ROOT, "dist/lib/index.js"))) this.skip() // npm test builds first
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
