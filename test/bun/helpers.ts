/**
 * For the plugin tests: a project whose node_modules/usage-hub links to this repository (as a plugin's project
 * depends on the package), and a script run in it under a runtime (node or Bun), its output collected.
 */
import { spawn } from "node:child_process"
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { tempDir } from "../helpers/tmp.js"

export const ROOT = join(import.meta.dirname, "..", "..")
export const BUN = join(ROOT, "node_modules", ".bin", "bun")

/** A new temp folder holding a `type: module` package.json named `name` and node_modules/usage-hub -> ROOT. */
export function linkedProject(prefix: string, name: string): string {
  const dir = tempDir(prefix)
  mkdirSync(join(dir, "node_modules"))
  symlinkSync(ROOT, join(dir, "node_modules", "usage-hub"), "dir")
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, type: "module", private: true }))
  return dir
}

/** Runs `command script` in `cwd` with `env` added to this process's environment; resolves when it exits. */
export function runScript(
  command: string,
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, [script], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    let err = ""
    child.stdout.on("data", (d) => (out += d))
    child.stderr.on("data", (d) => (err += d))
    child.on("exit", (code) => resolve({ code, out, err }))
  })
}
