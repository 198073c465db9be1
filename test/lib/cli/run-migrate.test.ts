import { expect } from "chai"
import { fileIndex } from "../../../src/lib/cli/run-migrate.js"

describe("migrate-file's record indices", () => {
  it("places a record refused by the target at its index in the file, past the records the reader rejected", () => {
    // File: 0 ok, 1 rejected, 2 ok, 3 rejected, 4 ok: the target numbers the valid ones 0, 1, 2.
    expect([0, 1, 2].map((valid) => fileIndex(valid, [1, 3]))).to.deep.equal([0, 2, 4])
    expect(fileIndex(0, [0, 1, 2])).to.equal(3)
    expect(fileIndex(5, [])).to.equal(5)
  })
})
