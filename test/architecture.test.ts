/**
 * The module boundaries of docs/architecture.md, read from the import graph of src/ (test/helpers/imports.ts):
 * a module that imports across a forbidden boundary fails here, naming the file, the line and the rule.
 */
import { expect } from "chai"
import { eagerClosure, type Import, importGraph, parseImports } from "./helpers/imports.js"

/** The CLI's folders: the commands, their run-* functions and views, the read sources, the import code of push. */
const CLI = /^src\/(commands|hooks)\/|^src\/lib\/(cli|source|import)\//
const SERVER = /^src\/lib\/server\//
const STORE = /^src\/lib\/store\//
/** What the store may import besides itself: the shared modules directly in src/lib (not the root, not the tracker). */
const SHARED = /^src\/lib\/(?!index\.ts$|tracker\.ts$)[^/]+\.ts$/
/** What the plugins load: the package root and everything it offers, and the OpenCode plugin module. */
const PLUGIN_SIDE = /^src\/lib\/(index\.ts|tracker\.ts|opencode-plugin\.ts|adapters\/|client\/)/
const NATIVE_DRIVERS = ["better-sqlite3", "pg"]

const graph = importGraph()

function violations(rule: (from: string, imp: Import) => boolean): string[] {
  return [...graph].flatMap(([from, imports]) =>
    imports.filter((imp) => rule(from, imp)).map((imp) => `${from}:${imp.line} imports ${imp.specifier}`),
  )
}

describe("architecture (module boundaries of docs/architecture.md)", () => {
  it("reads the whole of src/ (the parser finds the imports a grep finds)", () => {
    expect(graph.size).to.be.greaterThan(80)
    const open = graph.get("src/lib/store/open.ts")!
    expect(open.filter((i) => i.lazy).map((i) => i.target)).to.have.members([
      "src/lib/store/postgres/store.ts",
      "src/lib/store/sqlite/store.ts",
    ])
    for (const [from, imports] of graph) {
      for (const imp of imports) {
        if (imp.target) expect(graph.has(imp.target), `${from}:${imp.line} ${imp.specifier} resolves`).to.equal(true)
      }
    }
  })

  it("the store imports only itself and the shared modules of src/lib (never the server, the CLI, the adapters)", () => {
    expect(
      violations(
        (from, imp) => STORE.test(from) && !!imp.target && !STORE.test(imp.target) && !SHARED.test(imp.target),
      ),
    ).to.deep.equal([])
  })

  it("nothing outside the CLI imports the CLI (src/commands, src/lib/cli, src/lib/source, src/lib/import)", () => {
    expect(violations((from, imp) => !CLI.test(from) && !!imp.target && CLI.test(imp.target))).to.deep.equal([])
  })

  it("the server does not load CLI code, even through a shared module", () => {
    const found = [...graph.keys()]
      .filter((f) => SERVER.test(f))
      .flatMap((f) => [...eagerClosure(graph, f)].filter(([m]) => CLI.test(m)).map(([, chain]) => chain.join(" -> ")))
    expect(found).to.deep.equal([])
  })

  it("the package root, the tracker, the adapters, the client and the OpenCode plugin load no native store driver", () => {
    const found = [...graph.keys()]
      .filter((f) => PLUGIN_SIDE.test(f))
      .flatMap((f) =>
        [...eagerClosure(graph, f)].filter(([m]) => NATIVE_DRIVERS.includes(m)).map(([, chain]) => chain.join(" -> ")),
      )
    expect(found).to.deep.equal([])
  })
})

describe("the import parser of the architecture test", () => {
  const parse = (code: string) =>
    parseImports(code, "src/lib/x.ts").map(({ specifier, typeOnly, lazy }) => ({ specifier, typeOnly, lazy }))

  it("finds static, re-exported, multi-line and side-effect imports, and which are type-only", () => {
    const code = [
      'import { a } from "./a.js"',
      'import type { B } from "./b.js"',
      'import { type C, type D as E } from "./c.js"',
      'import { type F, g } from "./f.js"',
      "import {",
      "  h,",
      "  i,",
      '} from "./h.js"',
      'export { j } from "./j.js"',
      'export type { K } from "./k.js"',
      'export * from "./l.js"',
      'import "./m.js"',
      "export const n = 1",
      'import o from "o"',
    ].join("\n")
    expect(parse(code)).to.deep.equal([
      { specifier: "./a.js", typeOnly: false, lazy: false },
      { specifier: "./b.js", typeOnly: true, lazy: false },
      { specifier: "./c.js", typeOnly: true, lazy: false },
      { specifier: "./f.js", typeOnly: false, lazy: false },
      { specifier: "./h.js", typeOnly: false, lazy: false },
      { specifier: "./j.js", typeOnly: false, lazy: false },
      { specifier: "./k.js", typeOnly: true, lazy: false },
      { specifier: "./l.js", typeOnly: false, lazy: false },
      { specifier: "o", typeOnly: false, lazy: false },
      { specifier: "./m.js", typeOnly: false, lazy: false },
    ])
  })

  it("tells an import() inside a function from one at a module's top level, and skips comments and strings", () => {
    const code = [
      '/** Loads `pg` with import("pg") when opened. */',
      '// import { x } from "./commented.js"',
      "const text = \"import { y } from './quoted.js'\"",
      "const re = /[{]/",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a nested template, for the parser
      "const tpl = `${`{`}`",
      'const eager = await import("./eager.js")',
      "export async function open() {",
      '  return (await import("pg")).default',
      "}",
    ].join("\n")
    expect(parse(code)).to.deep.equal([
      { specifier: "./eager.js", typeOnly: false, lazy: false },
      { specifier: "pg", typeOnly: false, lazy: true },
    ])
  })

  it("follows eager imports only: a driver behind import() in a function is not loaded", () => {
    const g = new Map<string, Import[]>([
      ["src/a.ts", parseImports('import "./b.js"\nexport async function f() {\n  return import("pg")\n}', "src/a.ts")],
      ["src/b.ts", parseImports('export { x } from "./c.js"', "src/b.ts")],
      ["src/c.ts", parseImports('import Database from "better-sqlite3"', "src/c.ts")],
    ])
    const closure = eagerClosure(g, "src/a.ts")
    expect(closure.has("pg")).to.equal(false)
    expect(closure.get("better-sqlite3")).to.deep.equal(["src/a.ts", "src/b.ts", "src/c.ts", "better-sqlite3"])
  })
})
