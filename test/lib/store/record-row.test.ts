import { expect } from "chai"
import {
  fromRawRecordRow,
  fromRecordRow,
  RECORD_COLUMNS,
  type RecordRowOut,
  toRecordRow,
} from "../../../src/lib/store/record-row.js"
import { record } from "./store-contract.js"

describe("record rows", () => {
  it("reads a positional (raw) row into the same record as the named row, with and without optional fields", () => {
    const at = { id: "usage_1", timestamp: new Date("2026-11-20T10:11:12.345Z") }
    const records = [
      record({ ...at, node: "n1" }),
      record({
        ...at,
        node: "n2",
        sessionID: "s",
        cacheReadTokens: 3,
        cacheWriteTokens: 0,
        reasoningTokens: 7,
        unpriced: true,
      }),
      record({ ...at, node: "n3", sessionID: "", unpriced: false, estimatedCost: 0.123456789 }),
    ]
    for (const r of records) {
      const row = toRecordRow(r)
      for (const out of [row, { ...row, ts: String(row.ts), cost_nanos: String(row.cost_nanos) }]) {
        const raw = RECORD_COLUMNS.map((column) => out[column])
        const named = fromRecordRow(out as RecordRowOut)
        expect(fromRawRecordRow(raw)).to.deep.equal(named)
        expect(Object.keys(fromRawRecordRow(raw))).to.deep.equal(Object.keys(named))
      }
    }
  })
})
