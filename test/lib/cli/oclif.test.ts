import { strict as assert } from "node:assert"
import { readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { join } from "node:path"
import { Command, Flags } from "../../../src/lib/cli/oclif.js"
import { FIXTURES, ROOT, runCli } from "../../commands/helpers.js"
import { tempDir } from "../../helpers/tmp.js"

describe("cli/oclif", () => {
  it("gives the built CLI and its commands one @oclif/core, loaded from the bundle dist/oclif.cjs alone", async function () {
    this.timeout(60_000)
    const dir = tempDir("oclif-bundle-")
    // Lists, at exit, every CommonJS module the process loaded (the bundle, or oclif's own ~110 files).
    const preload = join(dir, "list-modules.cjs")
    const listing = join(dir, "modules.json")
    writeFileSync(
      preload,
      `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(listing)}, JSON.stringify(Object.keys(require.cache))))\n`,
    )
    for (const args of [
      ["summary", "--file", join(FIXTURES, "small.json")],
      ["help", "summary"],
    ]) {
      const result = await runCli(args, { env: { NODE_OPTIONS: `--require ${preload}` } })
      assert.equal(result.code, 0, result.stderr)
      const modules = JSON.parse(readFileSync(listing, "utf8")) as string[]
      assert.ok(modules.includes(join(ROOT, "dist", "oclif.cjs")), `${args.join(" ")}: ${modules.join(", ")}`)
      const unbundled = modules.filter((path) => path.includes(`${join("node_modules", "@oclif")}`))
      assert.deepEqual(unbundled, [], `${args.join(" ")} loaded oclif's own files too`)
    }
  })

  it("gives the sources (tests, bin/dev.js) oclif's own package, where there is no bundle", () => {
    const require = createRequire(import.meta.url)
    assert.equal(Command, require("@oclif/core/command").Command)
    assert.equal(Flags.boolean, require("@oclif/core/flags").boolean)
  })
})
