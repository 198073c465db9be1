/**
 * oclif's command_not_found hook: with a space topic separator, `usage summary extra` is looked up as the
 * command `summary:extra`. Say what is wrong in one line (an unexpected argument, or an unknown command with
 * the nearest known one: "did you mean `summary`?", as @oclif/plugin-not-found does, without its prompt) and
 * exit 2 (bad usage), like every other usage error. `usage help [COMMAND]` shows the help, as `--help` does.
 */
import type { Hook } from "@oclif/core/interfaces"

/** Edit distance (insertions, deletions, substitutions, and swaps of two neighbours). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)])
  for (let j = 1; j <= b.length; j++) d[0][j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1)
    }
  }
  return d[a.length][b.length]
}

/** The known command nearest to `typed`, if near enough to be a typo (at most a third of its letters off). */
export function nearestCommand(typed: string, known: readonly string[]): string | undefined {
  let best: { id: string; distance: number } | undefined
  for (const id of known) {
    const distance = editDistance(typed.toLowerCase(), id.toLowerCase())
    if (!best || distance < best.distance) best = { id, distance }
  }
  return best && best.distance <= Math.max(1, Math.floor(typed.length / 3)) ? best.id : undefined
}

const hook: Hook.CommandNotFound = async (options) => {
  let parts = options.id.split(":")
  const known = new Set(options.config.commandIDs)
  // `usage help nothing`: the unknown command is "nothing".
  if (parts[0] === "help" && parts.length > 1 && !known.has(parts.slice(1).join(":"))) parts = parts.slice(1)
  if (parts[0] === "help") {
    const { loadHelpClass } = await import("../lib/cli/oclif.js")
    const Help = await loadHelpClass(options.config)
    await new Help(options.config).showHelp([...parts.slice(1), ...(options.argv ?? [])])
    return
  }
  const commands = [...known].map((id) => id.replaceAll(":", " "))
  const near = nearestCommand(parts.join(" "), commands) ?? nearestCommand(parts[0], commands)
  let message = near
    ? `unknown command "${parts.join(" ")}": did you mean \`${near}\`? (see usage --help)`
    : `unknown command "${parts.join(" ")}"; see usage --help`
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
