import { expect } from "chai"
import { stringify } from "csv-stringify/sync"
import {
  CSV_COLUMNS,
  createExportWriter,
  csvRow,
  csvText,
  defuseCell,
  exportChunks,
} from "../../src/lib/export-format.js"
import type { UsageRecord } from "../../src/lib/record.js"
import { unstampedRecord } from "../helpers/records.js"

/** An unstamped anthropic call (1200 in, 340 out, $0.0087), `overrides` on top. */
const record = (overrides: Partial<UsageRecord> = {}): UsageRecord =>
  unstampedRecord({
    id: "usage_1",
    timestamp: new Date("2026-11-20T10:11:12.345+02:00"),
    inputTokens: 1200,
    outputTokens: 340,
    estimatedCost: 0.0087,
    ...overrides,
  })

async function collect(format: "json" | "ndjson" | "csv", chunks: UsageRecord[][]): Promise<string> {
  async function* source() {
    yield* chunks
  }
  let out = ""
  for await (const piece of exportChunks(source(), format)) out += piece
  return out
}

describe("export formats", () => {
  it("defuses cells starting with = + - @, a tab or a carriage return, and nothing else", () => {
    for (const v of ["=1+1", "+1", "-1", "@x", "\tx", "\rx"]) expect(defuseCell(v)).to.equal(`'${v}`)
    for (const v of ["a=1", "1-2", "", " =x", "'=x"]) expect(defuseCell(v)).to.equal(v)
  })

  it("maps a record to the CSV columns: plugin columns, then node, token, agent and project columns, UTC timestamps", () => {
    expect(CSV_COLUMNS.slice(0, 9)).to.deep.equal([
      "id",
      "timestamp",
      "provider",
      "model",
      "inputTokens",
      "outputTokens",
      "estimatedCost",
      "taskType",
      "sessionID",
    ])
    expect(csvRow(record({ node: "=cmd", cacheReadTokens: 5, project: "@web" }))).to.deep.equal([
      "usage_1",
      "2026-11-20T08:11:12.345Z",
      "anthropic",
      "claude-sonnet-4-5",
      "1200",
      "340",
      "0.0087",
      "primary",
      "",
      "'=cmd",
      "5",
      "",
      "",
      "",
      "'@web",
    ])
    expect(CSV_COLUMNS.slice(-2)).to.deep.equal(["agent", "project"])
  })

  it("writes a valid JSON array across chunks, including an empty one", async () => {
    const text = await collect("json", [[record()], [], [record({ id: "b" }), record({ id: "c" })]])
    expect(JSON.parse(text).map((r: { id: string }) => r.id)).to.deep.equal(["usage_1", "b", "c"])
    expect(JSON.parse(await collect("json", []))).to.deep.equal([])
  })

  it("writes NDJSON and CSV with one line per record", async () => {
    const nd = await collect("ndjson", [[record()], [record({ id: "b" })]])
    expect(nd.split("\n")).to.have.length(3)
    expect(JSON.parse(nd.split("\n")[1]).timestamp).to.equal("2026-11-20T08:11:12.345Z")
    const csv = await collect("csv", [[record({ model: 'a,"b"' })]])
    expect(csv).to.equal(
      `${CSV_COLUMNS.join(",")}\nusage_1,2026-11-20T08:11:12.345Z,anthropic,"a,""b""",1200,340,0.0087,primary,,,,,,,\n`,
    )
    expect(createExportWriter("csv").chunk([])).to.equal("")
  })

  it("writes exactly what csv-stringify writes for a mix of plain rows and rows with cells to quote or defuse", () => {
    const awkward = ["a,b", 'say "hi"', "two\nlines", "cr\rhere", "crlf\r\n", "=SUM(A1)", "+1", "-x", "@me", "\tab", ""]
    const unicode = ["modèle-é", "模型", "emoji 🚀", "\u00a0nbsp", "'quoted'", "semi;colon"]
    const records: UsageRecord[] = []
    for (let i = 0; i < 400; i++) {
      const pick = (list: string[]) => list[(i * 7 + list.length) % list.length]
      const r = record({ id: `usage_${i}`, timestamp: new Date(Date.UTC(2026, 10, 20, 0, 0, i)), inputTokens: i })
      if (i % 3 === 0) r.model = pick(awkward)
      if (i % 5 === 0) r.sessionID = pick(unicode)
      if (i % 7 === 0) r.taskType = pick(awkward)
      if (i % 4 === 1) r.node = i % 8 === 1 ? pick(awkward) : pick(unicode)
      if (i % 6 === 2) r.cacheReadTokens = i
      if (i % 9 === 3) r.reasoningTokens = 0
      if (i % 11 === 4) r.provider = pick(unicode)
      records.push(r)
    }
    const rows = records.map(csvRow)
    const plain = rows.filter((row) => !row.some((cell) => /[,"\r\n]/.test(cell)))
    expect(plain.length).to.be.within(50, rows.length - 50)
    expect(csvText(rows)).to.equal(stringify(rows))
    expect(csvText(plain)).to.equal(stringify(plain))
    expect(csvText([[...CSV_COLUMNS]])).to.equal(stringify([[...CSV_COLUMNS]]))
    expect(csvText([])).to.equal("")
    // Chunk boundaries do not change the output.
    let chunked = ""
    for (let i = 0; i < rows.length; i += 37) chunked += csvText(rows.slice(i, i + 37))
    expect(chunked).to.equal(stringify(rows))
  })
})
