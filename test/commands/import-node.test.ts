import { existsSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { tempDir } from "../helpers/tmp.js"
import { FIXTURES, lines, runCli } from "./helpers.js"

describe("--node of push and migrate-file", () => {
  const file = join(FIXTURES, "small.json")

  it("refuses a blank or invalid --node of migrate-file as bad usage (exit 2), in one line, writing nothing", async () => {
    for (const node of [" ", "", "n".repeat(129)]) {
      const db = join(tempDir(), "usage.db")
      const run = await runCli(["migrate-file", file, "--db", db, "--node", node])
      expect(run.code, run.stderr).to.equal(2)
      expect(lines(run.stderr), run.stderr).to.have.length(1)
      expect(run.stderr).to.match(/--node: /)
      expect(existsSync(db)).to.equal(false)
    }
  })

  it("refuses a blank --node of push as bad usage (exit 2), in one line, sending nothing", async () => {
    const run = await runCli(["push", file, "--endpoint", "http://127.0.0.1:9", "--node", "\t"])
    expect(run.code, run.stderr).to.equal(2)
    expect(lines(run.stderr), run.stderr).to.deep.equal([
      "Error: --node: must not be blank (a node name is 1 to 128 characters, not blank)",
    ])
  })

  it("refuses a blank USAGE_NODE when no --node is given (exit 2)", async () => {
    const db = join(tempDir(), "usage.db")
    const run = await runCli(["migrate-file", file, "--db", db], { env: { USAGE_NODE: " " } })
    expect(run.code, run.stderr).to.equal(2)
    expect(run.stderr).to.match(/USAGE_NODE.*must not be blank/)
    expect(existsSync(db)).to.equal(false)
  })
})
