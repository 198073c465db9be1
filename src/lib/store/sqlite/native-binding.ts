/**
 * Where better-sqlite3's compiled addon is, handed to the driver as its `nativeBinding` option: without it
 * the driver finds the addon through the `bindings` package, which loads two more modules and stats a list
 * of candidate paths (~2 ms of each CLI run). Undefined when the addon is not at its usual place
 * (build/Release of the installed package): the driver then searches as before.
 */
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"

let cached: string | null | undefined

export function sqliteNativeBinding(): string | undefined {
  if (cached === undefined) {
    try {
      const main = createRequire(import.meta.url).resolve("better-sqlite3") // …/better-sqlite3/lib/index.js
      const path = join(dirname(main), "..", "build", "Release", "better_sqlite3.node")
      cached = existsSync(path) ? path : null
    } catch {
      cached = null
    }
  }
  return cached ?? undefined
}
