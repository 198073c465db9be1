/** Temporary directories for tests, removed after the run. */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const made: string[] = []

export function tempDir(prefix = "usage-hub-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/** Removes a directory now (a test's afterEach), instead of at exit. */
export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

process.on("exit", () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true })
})
