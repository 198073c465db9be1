/**
 * oclif's command_not_found hook: with a space topic separator, `usage summary extra` is looked up as the
 * command `summary:extra`. Say what is wrong in one line (an unexpected argument, or an unknown command) and
 * exit 2 (bad usage), like every other usage error.
 */
import type { Hook } from "@oclif/core"

const hook: Hook.CommandNotFound = async (options) => {
  const parts = options.id.split(":")
  const known = new Set(options.config.commandIDs)
  let message = `unknown command "${parts.join(" ")}"; see usage --help`
  for (let i = parts.length - 1; i > 0; i--) {
    const base = parts.slice(0, i).join(":")
    if (known.has(base)) {
      message = `unexpected argument: ${parts.slice(i).join(" ")} (see usage ${base} --help)`
      break
    }
  }
  process.stderr.write(`Error: ${message}\n`)
  process.exit(2)
}

export default hook
