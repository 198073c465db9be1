import { readFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { ROOT, runCli } from "./helpers.js"

const manifest = JSON.parse(readFileSync(join(ROOT, "oclif.manifest.json"), "utf8")) as {
  commands: Record<string, { examples?: unknown[] }>
}

describe("usage --help", () => {
  for (const id of ["summary", "trends", "export", "migrate-file"]) {
    it(`shows usage, flags and examples for ${id} and exits 0`, async () => {
      const { code, stdout } = await runCli([id, "--help"])
      expect(code).to.equal(0)
      expect(stdout).to.include("USAGE").and.include("FLAGS").and.include("EXAMPLES")
      expect(stdout).to.include(`$ usage ${id}`)
    })
  }

  it("gives every command of the CLI examples", () => {
    for (const [id, command] of Object.entries(manifest.commands)) {
      expect(command.examples ?? [], id).to.not.be.empty
    }
  })

  it("lists every command at the top level", async () => {
    const { code, stdout } = await runCli(["--help"])
    expect(code).to.equal(0)
    for (const id of Object.keys(manifest.commands)) expect(stdout).to.include(id)
  })
})
