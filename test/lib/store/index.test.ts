import { execFileSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { UsageHubError } from "../../../src/lib/errors.js"
import { openStore, PostgresStore, SqliteStore, storeKindOf } from "../../../src/lib/store/index.js"
import { tempDir } from "../../helpers/tmp.js"

const STORE_INDEX = new URL("../../../src/lib/store/index.ts", import.meta.url).pathname

async function failure(promise: Promise<unknown>): Promise<UsageHubError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error, "it throws a UsageHubError").to.be.instanceOf(UsageHubError)
  return error as UsageHubError
}

describe("openStore", () => {
  it("loads no driver until a store is opened, then only the driver of its kind", () => {
    const script = `
      const seen = []; const dl = process.dlopen
      process.dlopen = function (m, f, ...r) { seen.push(f); return dl.call(this, m, f, ...r) }
      const { createRequire } = await import("node:module")
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).filter((p) => /better-sqlite3|[\\\\/]pg[\\\\/]/.test(p))
      const { openStore } = await import(${JSON.stringify(STORE_INDEX)})
      const before = { seen: [...seen], loaded: loaded() }
      const store = await openStore(":memory:")
      await store.close()
      console.log(JSON.stringify({ before, after: { seen, loaded: loaded() } }))`
    const out = JSON.parse(
      execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" }),
    )
    expect(out.before).to.deep.equal({ seen: [], loaded: [] })
    expect(out.after.seen.some((f: string) => f.includes("better_sqlite3"))).to.equal(true)
    expect(out.after.loaded.some((p: string) => /[\\/]pg[\\/]/.test(p))).to.equal(false)
  })

  it("opens SQLite for :memory: and paths, PostgreSQL for postgres:// and postgresql:// URLs", async () => {
    expect(
      ["postgres://h/db", "postgresql://h/db", "POSTGRES://h/db", ":memory:", "./usage.db", "/x/postgres.db"].map(
        storeKindOf,
      ),
    ).to.deep.equal(["postgres", "postgres", "postgres", "sqlite", "sqlite", "sqlite"])
    const memory = await openStore(":memory:")
    expect(memory).to.be.instanceOf(SqliteStore)
    await memory.close()
    const path = join(tempDir(), "nested", "dir", "usage.db")
    const file = await openStore(path)
    expect(file.kind).to.equal("sqlite")
    await file.close()
    const error = await failure(openStore("postgresql://u:pw@127.0.0.1:1/db", { connectTimeoutMs: 2000 }))
    expect(error.message).to.match(/^cannot open PostgreSQL postgresql:\/\/u:\*\*\*@127\.0\.0\.1:1\/db/)
    expect(PostgresStore).to.be.a("function")
  })

  it("reports what it cannot open as one STORE_ERROR line naming the location", async () => {
    const dir = tempDir()
    const notDb = join(dir, "legacy.json")
    writeFileSync(notDb, JSON.stringify({ version: 1, records: [] }).repeat(100))
    const blocked = join(dir, "file")
    writeFileSync(blocked, "x")
    mkdirSync(join(dir, "a-directory.db"))
    for (const [location, pattern] of [
      [notDb, /legacy\.json is not a SQLite database/],
      [join(blocked, "usage.db"), /cannot create the directory of SQLite database .*file\/usage\.db/],
      [join(dir, "a-directory.db"), /cannot open SQLite database .*a-directory\.db/],
      ["  ", /no store location given/],
    ] as [string, RegExp][]) {
      const error = await failure(openStore(location))
      expect(error.code, location).to.equal("STORE_ERROR")
      expect(error.message, location).to.match(pattern)
      expect(error.message, location).to.not.include("\n")
    }
  })
})
