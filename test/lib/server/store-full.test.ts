import { join } from "node:path"
import type Database from "better-sqlite3"
import { expect } from "chai"
import { SqliteStore } from "../../../src/lib/store/sqlite/store.js"
import type { UsageStore } from "../../../src/lib/store/store.js"
import { tempDir } from "../../helpers/tmp.js"
import { startTestService, type TestService, wireRecord } from "./helpers.js"

/** The store's own connection: the only way to make SQLite itself refuse writes (a page cap, query_only). */
function connectionOf(store: UsageStore): Database.Database {
  return (store as unknown as { db: Database.Database }).db
}

describe("the service when its store cannot write", () => {
  let store: UsageStore
  let service: TestService

  beforeEach(async () => {
    store = await SqliteStore.open(join(tempDir(), "usage.db"))
    service = await startTestService({ store })
  })

  afterEach(async () => {
    await service.stop()
    await store.close()
  })

  it("answers 503 STORE_UNAVAILABLE 'disk full' while the database is full, and takes the same batch once space returns", async () => {
    const db = connectionOf(store)
    const pages = db.pragma("page_count", { simple: true }) as number
    // SQLite's own SQLITE_FULL: the file may not grow past its current size.
    db.pragma(`max_page_count = ${pages}`)
    const batch = Array.from({ length: 200 }, () => wireRecord())
    const full = await service.post(batch)
    expect(full.status).to.equal(503)
    expect(full.json.error.code).to.equal("STORE_UNAVAILABLE")
    expect(full.json.error.message).to.equal("the store cannot write: disk full; retry later")
    expect((await store.stats()).records).to.equal(0)
    db.pragma("max_page_count = 1073741823")
    const again = await service.post(batch)
    expect(again.status).to.equal(200)
    expect(again.json).to.include({ accepted: 200, duplicates: 0 })
  })

  it("answers 503 STORE_UNAVAILABLE 'read-only' while the database refuses writes", async () => {
    const db = connectionOf(store)
    db.pragma("query_only = 1")
    const res = await service.post([wireRecord()])
    expect(res.status).to.equal(503)
    expect(res.json.error).to.deep.equal({
      code: "STORE_UNAVAILABLE",
      message: "the store cannot write: the database is read-only; retry later",
    })
    db.pragma("query_only = 0")
    expect((await service.post([wireRecord()])).status).to.equal(200)
  })
})
