/**
 * The import graph of src/, read from the sources with a tiny parser (no dependency): `import … from "x"`,
 * `export … from "x"`, `import "x"` and `import("x")`, comments and strings skipped. Each import says whether it
 * is type-only (erased at build: loads nothing) and, for `import()`, whether it sits inside a function (loads
 * only when called) or at a module's top level (loads with the module, like a static import). An `import()` in a
 * top-level arrow function without braces (`const f = () => import("x")`) counts as top level: the stricter side.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"

export const REPO = fileURLToPath(new URL("../../", import.meta.url))
export const SRC = join(REPO, "src")

export interface Import {
  /** As written: "./store.js", "pg", "node:fs". */
  specifier: string
  /** The imported module, repository-relative (`src/lib/store/open.ts`), for a relative specifier. */
  target?: string
  /** `import type …` / `export type …`: erased by the compiler. */
  typeOnly: boolean
  /** `import(…)` inside a function body (or a class): loads only when that code runs. */
  lazy: boolean
  line: number
}

/**
 * Replaces comments (and, with `strings`, the text of string and template literals and of regular expressions)
 * by spaces, keeping offsets. Templates nest: the code inside `${…}` is scanned as code.
 */
export function blank(code: string, strings: boolean): string {
  const out = code.split("")
  const wipe = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " "
  }
  // One entry per open `{`: whether it is a template's `${` (its `}` returns into the template).
  const braces: boolean[] = []
  let i = 0
  let lastSignificant = ""
  /** Scans template text from i (just after a backtick or a `}` closing `${`) to its end or its next `${`. */
  const template = () => {
    const from = i
    while (i < code.length && code[i] !== "`" && !(code[i] === "$" && code[i + 1] === "{")) {
      i += code[i] === "\\" ? 2 : 1
    }
    if (strings) wipe(from, i)
    if (code[i] === "`") i++
    else if (i < code.length) {
      braces.push(true)
      i += 2
    }
    lastSignificant = "`"
  }
  while (i < code.length) {
    const c = code[i]
    const next = code[i + 1]
    if (c === "/" && next === "/") {
      const end = code.indexOf("\n", i)
      const stop = end === -1 ? code.length : end
      wipe(i, stop)
      i = stop
    } else if (c === "/" && next === "*") {
      const end = code.indexOf("*/", i + 2)
      const stop = end === -1 ? code.length : end + 2
      wipe(i, stop)
      i = stop
    } else if (c === "`") {
      i++
      template()
    } else if (c === "}" && braces.length > 0 && braces[braces.length - 1]) {
      braces.pop()
      i++
      template()
    } else if (c === '"' || c === "'" || (c === "/" && /^$|[(,=:[!&|?{};+\-*%<>~^]$/.test(lastSignificant))) {
      // A string or a regular expression literal.
      let j = i + 1
      let inClass = false
      while (j < code.length) {
        const d = code[j]
        if (d === "\\") {
          j += 2
          continue
        }
        if (c === "/" && (d === "[" || d === "]")) inClass = d === "["
        else if ((d === c && !inClass) || d === "\n") break
        j++
      }
      if (strings) wipe(i + 1, j)
      i = j + 1
      lastSignificant = c
    } else {
      if (c === "{") braces.push(false)
      else if (c === "}") braces.pop()
      if (!/\s/.test(c)) lastSignificant = c
      i++
    }
  }
  return out.join("")
}

const STATIC =
  /(?:^|[;\n}])\s*(import|export)(\s+type)?\b((?:(?!\n\s*(?:import|export)\b)[^"'`;])*?)\s*from\s*["']([^"']+)["']/g
const BARE = /(?:^|[;\n])\s*import\s*["']([^"']+)["']/g
const DYNAMIC = /\bimport\s*\(\s*["']([^"']+)["']\s*\)/g

/** The imports of one source text (`file` is repository-relative, to resolve relative specifiers). */
export function parseImports(code: string, file: string): Import[] {
  const text = blank(code, false)
  const bare = blank(code, true)
  const depthAt: number[] = []
  let depth = 0
  for (let k = 0; k < bare.length; k++) {
    depthAt.push(depth)
    if (bare[k] === "{") depth++
    else if (bare[k] === "}") depth--
  }
  if (depth !== 0) throw new Error(`${file}: unbalanced braces after blanking (the import parser needs a fix)`)
  const lineOf = (at: number) => text.slice(0, at).split("\n").length
  const target = (specifier: string) => {
    if (!specifier.startsWith(".")) return undefined
    const path = resolve(REPO, dirname(file), specifier).replace(/\.js$/, ".ts")
    const tsx = path.replace(/\.ts$/, ".tsx")
    return relative(REPO, !existsSync(path) && existsSync(tsx) ? tsx : path)
  }
  const found: Import[] = []
  for (const m of text.matchAll(STATIC)) {
    const clause = m[3]
    const typeOnly = m[2] !== undefined || /^\s*\{\s*(type\s+[\w$]+(\s+as\s+[\w$]+)?\s*,?\s*)+\}\s*$/.test(clause)
    const at = m.index + m[0].indexOf(m[1])
    found.push({ specifier: m[4], target: target(m[4]), typeOnly, lazy: false, line: lineOf(at) })
  }
  for (const m of text.matchAll(BARE)) {
    found.push({ specifier: m[1], target: target(m[1]), typeOnly: false, lazy: false, line: lineOf(m.index) })
  }
  for (const m of text.matchAll(DYNAMIC)) {
    const lazy = depthAt[m.index] > 0
    found.push({ specifier: m[1], target: target(m[1]), typeOnly: false, lazy, line: lineOf(m.index) })
  }
  return found
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(path)
    return /\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts") ? [relative(REPO, path)] : []
  })
}

/** Every module of src/ and its imports, keyed by repository-relative path. */
export function importGraph(): Map<string, Import[]> {
  return new Map(sourceFiles(SRC).map((file) => [file, parseImports(readFileSync(join(REPO, file), "utf8"), file)]))
}

/** An import that loads its module when the importer loads: not type-only, not an `import()` inside a function. */
export const loadsEagerly = (i: Import) => !i.typeOnly && !i.lazy

/**
 * The modules loaded when `from` is loaded, following eager relative imports, with the path that reaches each
 * (for messages): Map<module or bare specifier, chain of modules from `from`>.
 */
export function eagerClosure(graph: Map<string, Import[]>, from: string): Map<string, string[]> {
  const reached = new Map<string, string[]>([[from, [from]]])
  const queue = [from]
  while (queue.length > 0) {
    const file = queue.shift()!
    for (const imp of (graph.get(file) ?? []).filter(loadsEagerly)) {
      const key = imp.target ?? imp.specifier
      if (reached.has(key)) continue
      reached.set(key, [...reached.get(file)!, key])
      if (imp.target) queue.push(imp.target)
    }
  }
  return reached
}
