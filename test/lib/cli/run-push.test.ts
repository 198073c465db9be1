import { join } from "node:path"
import { Readable } from "node:stream"
import { expect } from "chai"
import { runPush } from "../../../src/lib/cli/run-push.js"
import type { Env } from "../../../src/lib/config-resolution.js"
import { caught } from "../../helpers/errors.js"
import { tempDir } from "../../helpers/tmp.js"

/** A machine without config file nor USAGE_* variables. */
function machine(extra: Env = {}): Env {
  const home = tempDir()
  return { HOME: home, XDG_CONFIG_HOME: join(home, "config"), XDG_STATE_HOME: join(home, "state"), ...extra }
}

/** A stdin that must not be read. */
function untouchedStdin(isTTY = false) {
  const stdin = new Readable({
    read() {
      throw new Error("stdin was read")
    },
  }) as Readable & { isTTY?: boolean }
  stdin.isTTY = isTTY
  return stdin
}

describe("runPush (usage push)", () => {
  it("refuses an --endpoint that is not a service URL as bad usage, naming it, before reading anything", async () => {
    for (const endpoint of ["http://bad host:3001", "http://", "master-node:3001"]) {
      const error = await caught(runPush({ files: ["-"], endpoint }, { env: machine(), stdin: untouchedStdin() }))
      expect(error.code, endpoint).to.equal("BAD_USAGE")
      expect(error.message).to.equal(
        `invalid --endpoint ${JSON.stringify(endpoint)}: expected the URL of usage serve, e.g. http://master-node:3001`,
      )
    }
  })

  it("without files and with a terminal on stdin, is bad usage saying what to give", async () => {
    const error = await caught(
      runPush({ files: [], endpoint: "http://127.0.0.1:1" }, { env: machine(), stdin: untouchedStdin(true) }),
    )
    expect(error.code).to.equal("BAD_USAGE")
    expect(error.message).to.match(/^nothing to push: give legacy JSON or NDJSON files, - to read NDJSON from stdin/)
  })

  it("without an endpoint from the flag, USAGE_ENDPOINT or the config, is bad usage", async () => {
    const error = await caught(runPush({ files: ["-"] }, { env: machine(), stdin: untouchedStdin() }))
    expect(error.code).to.equal("BAD_USAGE")
    expect(error.message).to.match(/^no service to push to: pass --endpoint URL, or set USAGE_ENDPOINT/)
  })

  it("reads USAGE_SPOOL_STALE_MS from its environment and refuses one below 2000 ms", async () => {
    const error = await caught(
      runPush(
        { files: ["-"], endpoint: "http://127.0.0.1:1" },
        { env: machine({ USAGE_SPOOL_STALE_MS: "500" }), stdin: untouchedStdin() },
      ),
    )
    expect(error.code).to.equal("BAD_USAGE")
    expect(error.message).to.equal("USAGE_SPOOL_STALE_MS must be a whole number of ms, at least 2000: 500")
  })
})
