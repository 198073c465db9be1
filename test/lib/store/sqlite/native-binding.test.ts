import { existsSync } from "node:fs"
import { expect } from "chai"
import { sqliteNativeBinding } from "../../../../src/lib/store/sqlite/native-binding.js"

describe("SQLite native binding", () => {
  it("points the driver at the installed better_sqlite3.node, so it need not search for it", () => {
    const path = sqliteNativeBinding()
    expect(path)
      .to.be.a("string")
      .and.match(/better-sqlite3[/\\]build[/\\]Release[/\\]better_sqlite3\.node$/)
    expect(existsSync(path!)).to.equal(true)
  })
})
