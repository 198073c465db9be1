/**
 * The base of every command: the `--debug` flag and the one `catch` that turns any failure into one line on
 * stderr (a JSON error with `--json`) and the exit code of its error code: 2 for bad usage, 1 otherwise.
 * Stack traces only with `--debug` or `DEBUG`.
 */

import { isUsageHubError, UsageHubError } from "../errors.js"
import { Command, Errors, Flags } from "./oclif.js"

/** oclif's multi-line parse errors ("Parsing --days \n\tExpected an integer…\nSee more help…") as one line. */
function oneLine(message: string): string {
  const [first = "", ...rest] = message
    .split("\n")
    .map((line) => line.trim().replace(/:$/, ""))
    .filter((line) => line !== "" && !line.startsWith("See more help"))
  return rest.length === 0 ? first : `${first}: ${rest.join("; ")}`
}

export abstract class UsageCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({ description: "Print stack traces on errors.", helpGroup: "GLOBAL" }),
  }

  protected override async catch(error: Error & { oclif?: { exit?: number }; code?: string }): Promise<unknown> {
    if (error instanceof Errors.ExitError) throw error
    const debug = this.argv.includes("--debug") || Boolean(process.env.DEBUG)
    let code: string
    let exit: number
    let message: string
    if (isUsageHubError(error)) {
      code = error.code
      exit = error.exitCode
      message = error.message
    } else if (
      error.oclif?.exit === 2 ||
      /^(Unexpected argument|Nonexistent flag|Missing required flag|Expected |Flag --\S+ expects )/.test(error.message)
    ) {
      // oclif's own parse errors: bad usage (also a flag given without its value: "Flag --by expects …").
      code = "BAD_USAGE"
      exit = 2
      message = oneLine(error.message)
    } else {
      code = "INTERNAL"
      exit = 1
      message = error.message.split("\n")[0]
    }
    if (this.jsonEnabled()) {
      process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`)
    } else {
      process.stderr.write(`Error: ${message}\n`)
      if (!isUsageHubError(error) && exit === 2) process.stderr.write(`See more help with --help\n`)
    }
    if (debug && error.stack) process.stderr.write(`${error.stack}\n`)
    return this.exit(exit)
  }

  /** Throws BAD_USAGE: for checks on flags that oclif cannot express. */
  protected badUsage(message: string): never {
    throw new UsageHubError("BAD_USAGE", message)
  }
}
