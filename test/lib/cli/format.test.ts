import { execFileSync } from "node:child_process"
import { expect } from "chai"
import Table from "cli-table3"
import { type Align, renderTable, type TableOptions } from "../../../src/lib/cli/format.js"
import { paint } from "../../../src/lib/cli/table-style.js"

/** The table cli-table3 itself draws for these options (the layout renderTable keeps). */
function cliTable3(head: string[], rows: string[][], opts: TableOptions): string {
  const colour = opts.colour ?? false
  const wrap = opts.wrap ?? {}
  const widths = head.map((h, c) =>
    wrap[c] === undefined ? null : Math.min(wrap[c], Math.max(h.length, ...rows.map((row) => row[c].length))) + 2,
  )
  const wraps = widths.some((w) => w !== null)
  const table = new Table({
    head: head.map((h) => paint(paint(h, "cyan", colour), "bold", colour)),
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_, i) => opts.align?.[i] ?? "left"),
    ...(wraps ? { colWidths: widths, wordWrap: true } : {}),
  })
  rows.forEach((row, r) => {
    table.push(
      row.map((cell, c) => {
        const costed = paint(cell, "yellow", colour && (opts.costColumns ?? []).includes(c))
        return paint(costed, "bold", colour && (opts.totalRows ?? []).includes(r))
      }),
    )
  })
  return table.toString()
}

/** A small deterministic generator (mulberry32), so a failing table can be reproduced. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const FORMAT = new URL("../../../src/lib/cli/format.ts", import.meta.url).pathname

const WORDS = [
  "",
  "a",
  "gpt-5.2",
  "claude-sonnet-4-5",
  "accounts/fireworks/models/qwen3-coder-480b-a35b",
  "$1,234.5678",
  "██████████▉",
  "▏",
  "█▍",
]

describe("renderTable (src/lib/cli/format.ts)", () => {
  it("draws exactly the table cli-table3 draws, for random tables of ASCII and bar blocks with wrapped, coloured and total cells", () => {
    const next = random(15)
    const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]
    for (let n = 0; n < 400; n++) {
      const columns = 1 + Math.floor(next() * 4)
      const head = Array.from({ length: columns }, () => pick(["Date", "Cost", "Models", "", "A long header"]))
      const rows = Array.from({ length: Math.floor(next() * 5) }, () =>
        Array.from({ length: columns }, () =>
          Array.from({ length: Math.floor(next() * 5) }, () => pick(WORDS)).join(pick([", ", " ", "  "])),
        ),
      )
      const options: TableOptions = {
        align: head.map(() => pick<Align>(["left", "right"])),
        colour: next() < 0.5,
        totalRows: rows.length > 0 && next() < 0.7 ? [rows.length - 1] : [],
        costColumns: next() < 0.7 ? [Math.floor(next() * columns)] : [],
        wrap: next() < 0.7 ? { [Math.floor(next() * columns)]: pick([1, 8, 20, 40]) } : {},
      }
      const label = JSON.stringify({ head, rows, options })
      expect(renderTable(head, rows, options), label).to.equal(cliTable3(head, rows, options))
    }
  })

  it("cuts a word longer than a wrapped column with an ellipsis, as cli-table3 does", () => {
    const model = "accounts/fireworks/models/qwen3-coder-480b-a35b-instruct"
    const table = renderTable(["Day", "Models"], [["2026-10-05", `${model}, gpt-5.2`]], { wrap: { 1: 20 } })
    expect(table.split("\n")[3]).to.equal("│ 2026-10-05 │ accounts/fireworks/… │")
    expect(table).to.equal(cliTable3(["Day", "Models"], [["2026-10-05", `${model}, gpt-5.2`]], { wrap: { 1: 20 } }))
  })

  it("measures wide characters and emoji as cli-table3 does (two columns each)", () => {
    const head = ["Project", "Cost"]
    const rows = [
      ["ウェブ", "$1.0000"],
      ["🚀 launch", "$2.0000"],
      ["Total", "$3.0000"],
    ]
    const options: TableOptions = { align: ["left", "right"], colour: true, totalRows: [2], costColumns: [1] }
    const table = renderTable(head, rows, options)
    expect(table).to.equal(cliTable3(head, rows, options))
    expect(table).to.include("│ ウェブ    │")
  })

  it("loads cli-table3 only for a table it cannot draw itself (a cell that is not printable ASCII)", () => {
    const script = `
      const { createRequire } = await import("node:module")
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((p) => /[\\\\/]cli-table3[\\\\/]/.test(p))
      const { renderTable } = await import(${JSON.stringify(FORMAT)})
      renderTable(["Day", "Models"], [["2026-10-05", "gpt-5.2, claude-sonnet-4-5"]], { wrap: { 1: 12 }, colour: true })
      const ascii = loaded()
      renderTable(["Project"], [["ウェブ"]])
      console.log(JSON.stringify({ ascii, wide: loaded() }))`
    const out = JSON.parse(
      execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" }),
    )
    expect(out).to.deep.equal({ ascii: false, wide: true })
  })
})
