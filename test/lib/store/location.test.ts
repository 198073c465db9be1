import { join, resolve } from "node:path"
import { expect } from "chai"
import { isPostgresLocation, normaliseStoreLocation, redactLocation } from "../../../src/lib/store/location.js"

describe("store locations", () => {
  it("names PostgreSQL by a postgres:// or postgresql:// URL in any case, everything else SQLite", () => {
    for (const url of ["postgres://h/db", "postgresql://h/db", "POSTGRES://h/db", "PostgreSQL://u:p@h:5432/db"]) {
      expect(isPostgresLocation(url), url).to.equal(true)
    }
    for (const path of [":memory:", "./usage.db", "/x/postgres.db", "postgres.db", "postgres:/h/db"]) {
      expect(isPostgresLocation(path), path).to.equal(false)
    }
  })

  it("makes paths absolute with ~ expanded and keeps :memory: and URLs as given", () => {
    const env = { HOME: "/home/ada" }
    expect(normaliseStoreLocation("~/usage.db", env)).to.equal(join("/home/ada", "usage.db"))
    expect(normaliseStoreLocation("data/usage.db", env)).to.equal(resolve("data/usage.db"))
    expect(normaliseStoreLocation(":memory:", env)).to.equal(":memory:")
    expect(normaliseStoreLocation("postgresql://u:p@h/db", env)).to.equal("postgresql://u:p@h/db")
  })

  it("redacts a URL's password for messages and leaves paths alone", () => {
    expect(redactLocation("postgres://app:s3cret@db:5432/usage")).to.equal("postgres://app:***@db:5432/usage")
    expect(redactLocation("postgres://db/usage")).to.equal("postgres://db/usage")
    expect(redactLocation("/var/lib/usage.db")).to.equal("/var/lib/usage.db")
  })
})
