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

describe("usage help, typos and flags without a value", () => {
  it("suggests the nearest command for a typo, in one line, exit 2", async () => {
    const { code, stderr } = await runCli(["sumary"])
    expect(code).to.equal(2)
    expect(stderr).to.equal('Error: unknown command "sumary": did you mean `summary`? (see usage --help)\n')
    const far = await runCli(["bogus"])
    expect(far.stderr).to.equal('Error: unknown command "bogus"; see usage --help\n')
  })

  it("shows a command's help with usage help COMMAND, as --help does", async () => {
    const help = await runCli(["help", "summary"])
    expect(help.code).to.equal(0)
    expect(help.stdout).to.equal((await runCli(["summary", "--help"])).stdout)
    const top = await runCli(["help"])
    expect(top.code).to.equal(0)
    expect(top.stdout).to.include("summary")
    const unknown = await runCli(["help", "sumary"])
    expect(unknown.code).to.equal(2)
    expect(unknown.stderr).to.match(/did you mean `summary`/)
  })

  it("exits 2 for a flag given without its value", async () => {
    for (const args of [
      ["summary", "--by"],
      ["summary", "--db"],
    ]) {
      const { code, stderr } = await runCli(args)
      expect(code, args.join(" ")).to.equal(2)
      expect(stderr, args.join(" ")).to.match(/^Error: Flag --\w+ expects/)
    }
  })
})
