import { expect } from "chai"
import { storeError } from "../../../src/lib/store/store-error.js"

const driverError = (code: string, message: string) => Object.assign(new Error(message), { code })

describe("storeError", () => {
  it("reads a full disk (SQLite, the file system, PostgreSQL) as STORE_UNAVAILABLE 'disk full', a 503", () => {
    for (const cause of [
      driverError("SQLITE_FULL", "database or disk is full"),
      driverError("ENOSPC", "no space left on device, write"),
      driverError("53100", 'could not extend file "base/16384/16385": No space left on device'),
    ]) {
      const error = storeError("SQLite database /var/lib/usage.db: insert failed", cause)
      expect(error.code, cause.message).to.equal("STORE_UNAVAILABLE")
      expect(error.status).to.equal(503)
      expect(error.details).to.deep.equal({ reason: "disk full" })
      expect(error.message).to.include("insert failed").and.include(cause.message)
      expect(error.cause).to.equal(cause)
    }
  })

  it("reads a read-only database or file system as STORE_UNAVAILABLE 'the database is read-only'", () => {
    for (const cause of [
      driverError("SQLITE_READONLY", "attempt to write a readonly database"),
      driverError("SQLITE_READONLY_DBMOVED", "attempt to write a readonly database"),
      driverError("EROFS", "read-only file system"),
      driverError("25006", "cannot execute INSERT in a read-only transaction"),
    ]) {
      const error = storeError("insert failed", cause)
      expect(error.code, cause.message).to.equal("STORE_UNAVAILABLE")
      expect(error.details).to.deep.equal({ reason: "the database is read-only" })
    }
  })

  it("keeps every other driver failure a STORE_ERROR", () => {
    for (const cause of [driverError("SQLITE_IOERR", "disk I/O error"), new Error("Connection terminated")]) {
      expect(storeError("insert failed", cause).code).to.equal("STORE_ERROR")
    }
  })
})
