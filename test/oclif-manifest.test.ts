import { readFileSync } from "node:fs"
import { join } from "node:path"
import { Plugin } from "@oclif/core"
import { expect } from "chai"
import { ensureBuilt, ROOT } from "./commands/helpers.js"

describe("oclif.manifest.json", () => {
  it("equals a manifest freshly generated from the built commands (run `npx oclif manifest` after changing a command)", async function () {
    this.timeout(60_000)
    ensureBuilt()
    // What `oclif manifest` does, in memory: load the commands themselves, ignoring the committed manifest.
    const plugin = new Plugin({
      root: ROOT,
      type: "core",
      ignoreManifest: true,
      errorOnManifestCreate: true,
      isRoot: true,
    })
    await plugin.load()
    const fresh = JSON.parse(JSON.stringify(plugin.manifest))
    const committed = JSON.parse(readFileSync(join(ROOT, "oclif.manifest.json"), "utf8"))
    expect(Object.keys(committed.commands).sort()).to.deep.equal(Object.keys(fresh.commands).sort())
    for (const id of Object.keys(fresh.commands)) {
      expect(committed.commands[id], `command ${id} differs from the committed manifest`).to.deep.equal(
        fresh.commands[id],
      )
    }
    expect(committed.version).to.equal(fresh.version)
  })
})
