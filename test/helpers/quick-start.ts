/**
 * The README's quick start as a script: the `console` blocks of its "Quick start" section (`$ command` lines,
 * each followed by the output it shows), and a runner that runs those commands as a newcomer would in a clone
 * (`usage` is `bin/run.js`, through `sh` so pipes work) and gives back what they print. The README shows the
 * clone's path as CLONE and the service's address as SERVICE: `usage serve` runs on a free port here, so
 * the runner puts the real address into the commands that follow and SERVICE back into their outputs.
 */
import { type ChildProcess, spawn } from "node:child_process"

export const CLONE = "/home/you/usage-hub"
export const SERVICE = "http://127.0.0.1:3001"

export interface Step {
  command: string
  /** The output the README shows (lines joined, no trailing newline). */
  output: string
}

/** The section of `readme` from `## Quick start` to the next `## ` heading. */
export function quickStartSection(readme: string): string {
  const start = readme.indexOf("\n## Quick start\n")
  if (start < 0) throw new Error("README: no '## Quick start' section")
  const end = readme.indexOf("\n## ", start + 1)
  return readme.slice(start + 1, end < 0 ? undefined : end + 1)
}

/** The `console` blocks of a text, each as its steps. */
export function consoleBlocks(text: string): Step[][] {
  const blocks: Step[][] = []
  for (const match of text.matchAll(/^```console\n([\s\S]*?)^```$/gm)) {
    const steps: Array<{ command: string; lines: string[] }> = []
    for (const line of match[1].replace(/\n$/, "").split("\n")) {
      if (line.startsWith("$ ")) steps.push({ command: line.slice(2), lines: [] })
      else if (steps.length === 0) throw new Error(`console block starts without a command: ${line}`)
      else steps[steps.length - 1].lines.push(line)
    }
    blocks.push(steps.map((s) => ({ command: s.command, output: s.lines.join("\n") })))
  }
  return blocks
}

export interface QuickStartRun {
  /** Runs one command of the quick start; returns what it printed, with CLONE and SERVICE put back. */
  run(command: string): Promise<string>
  /** Stops the service the quick start started, if any. */
  stop(): Promise<void>
}

/** A runner in `cwd` (the clone) with `env`; `bin` is the built CLI (bin/run.js). */
export function quickStartRunner(options: { cwd: string; bin: string; env: Record<string, string> }): QuickStartRun {
  const { cwd, bin, env } = options
  let service: { child: ChildProcess; url: string } | undefined
  const normalise = (text: string) => {
    let out = text.replaceAll(cwd, CLONE)
    if (service) out = out.replaceAll(service.url, SERVICE)
    return out.replace(/\n$/, "")
  }
  const shell = (command: string) => `usage() { node ${JSON.stringify(bin)} "$@"; }; ${command}`

  async function serve(command: string): Promise<string> {
    const child = spawn("sh", ["-c", `exec node ${JSON.stringify(bin)} ${command.slice("usage ".length)} --port 0`], {
      cwd,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    })
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8")
    })
    const line = await new Promise<string>((resolve, reject) => {
      let stdout = ""
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8")
        const end = stdout.indexOf("\n")
        if (end >= 0) resolve(stdout.slice(0, end))
      })
      child.on("exit", (code) => reject(new Error(`${command} exited ${code}: ${stderr}`)))
    })
    const url = /listening on (http:\/\/\S+)/.exec(line)?.[1]
    if (!url) throw new Error(`${command}: no address in ${JSON.stringify(line)}`)
    service = { child, url }
    return normalise(line)
  }

  return {
    async run(command) {
      if (command.startsWith("usage serve")) return serve(command)
      const real = service ? command.replaceAll(SERVICE, service.url) : command
      const child = spawn("sh", ["-c", shell(real)], { cwd, env, stdio: ["ignore", "pipe", "pipe"] })
      const out: Buffer[] = []
      child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
      child.stderr.on("data", (chunk: Buffer) => out.push(chunk))
      await new Promise((resolve) => child.on("close", resolve))
      return normalise(Buffer.concat(out).toString("utf8"))
    },
    async stop() {
      if (!service) return
      const { child } = service
      service = undefined
      if (child.exitCode !== null) return
      await new Promise((resolve) => {
        child.on("exit", resolve)
        child.kill("SIGTERM")
      })
    },
  }
}
