import { strict as assert } from "node:assert"
import { mkdirSync, writeFileSync } from "node:fs"
import { join, relative } from "node:path"
import { findFiles } from "../../../../src/lib/collect/readers/jsonl.js"
import { tempDir } from "../../../helpers/tmp.js"

const isJsonl = (name: string) => name.endsWith(".jsonl")

describe("collect/readers/jsonl findFiles", () => {
  let root: string
  before(() => {
    root = tempDir("find-files")
    for (const folder of ["p1/sub", "p2", "p3/empty"]) mkdirSync(join(root, folder), { recursive: true })
    for (const file of ["p1/a.jsonl", "p1/sub/b.jsonl", "p2/c.jsonl", "p2/notes.txt", "top.jsonl"])
      writeFileSync(join(root, file), "{}\n")
  })

  it("finds the accepted files at any depth, sorted", async () => {
    const files = await findFiles(root, isJsonl)
    assert.deepEqual(
      files,
      ["p1/a.jsonl", "p1/sub/b.jsonl", "p2/c.jsonl", "top.jsonl"].map((file) => join(root, file)),
    )
  })

  it("names each file as path.join would, however the folder is written (the collect cursors are keyed by it)", async () => {
    const rel = relative(process.cwd(), root)
    for (const dir of [`${root}/`, `${root}//p1/..`, rel, `./${rel}`, `${rel}/`]) {
      const files = await findFiles(dir, isJsonl)
      assert.deepEqual(
        files,
        ["p1/a.jsonl", "p1/sub/b.jsonl", "p2/c.jsonl", "top.jsonl"].map((f) => join(dir, f)),
        dir,
      )
    }
  })

  it("finds nothing in a folder that does not exist", async () => {
    assert.deepEqual(await findFiles(join(root, "missing"), isJsonl), [])
  })
})
