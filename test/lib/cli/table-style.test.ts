import { stripVTControlCharacters } from "node:util"
import { expect } from "chai"
import { type Align, renderTable } from "../../../src/lib/cli/format.js"
import { colourWanted, paint, tableStyle } from "../../../src/lib/cli/table-style.js"

const ESC = "\u001b["
const terminal = (columns: number) => ({ isTTY: true, columns })
const pipe = { isTTY: false }

describe("table style (src/lib/cli/table-style.ts)", () => {
  it("colours a terminal, never a pipe", () => {
    expect(colourWanted(terminal(120), {})).to.equal(true)
    expect(colourWanted(pipe, {})).to.equal(false)
    expect(colourWanted(terminal(120), { TERM: "dumb" })).to.equal(false)
  })

  it("never colours with NO_COLOR, even on a terminal", () => {
    expect(colourWanted(terminal(120), { NO_COLOR: "1" })).to.equal(false)
  })

  it("colours a pipe with FORCE_COLOR (over NO_COLOR), and FORCE_COLOR=0 turns colour off", () => {
    expect(colourWanted(pipe, { FORCE_COLOR: "1" })).to.equal(true)
    expect(colourWanted(pipe, { FORCE_COLOR: "" })).to.equal(true)
    expect(colourWanted(pipe, { FORCE_COLOR: "1", NO_COLOR: "1" })).to.equal(true)
    expect(colourWanted(terminal(120), { FORCE_COLOR: "0" })).to.equal(false)
    expect(colourWanted(terminal(120), { FORCE_COLOR: "false" })).to.equal(false)
  })

  it("is compact on a terminal narrower than 100 columns, or when asked; never on its own in a pipe", () => {
    expect(tableStyle(undefined, terminal(99), {}).compact).to.equal(true)
    expect(tableStyle(undefined, terminal(100), {}).compact).to.equal(false)
    expect(tableStyle(true, terminal(200), {}).compact).to.equal(true)
    expect(tableStyle(undefined, pipe, {})).to.deep.equal({ compact: false, colour: false })
    expect(tableStyle(true, pipe, {})).to.deep.equal({ compact: true, colour: false })
  })

  it("paints only when asked", () => {
    expect(paint("Total", "bold", false)).to.equal("Total")
    expect(paint("Total", "bold", true)).to.equal(`${ESC}1mTotal${ESC}22m`)
    expect(paint("", "bold", true)).to.equal("")
  })
})

describe("renderTable (src/lib/cli/format.ts)", () => {
  const head = ["Name", "Cost"]
  const rows = [
    ["a", "$1.0000"],
    ["Total", "$1.0000"],
  ]
  const align: Align[] = ["left", "right"]
  const options = { align, totalRows: [1], costColumns: [1] }

  it("prints plain text without colour", () => {
    expect(renderTable(head, rows, options)).to.not.include(ESC)
  })

  it("colours the header, the cost column and the total row, with the same layout as without", () => {
    const plain = renderTable(head, rows, options)
    const coloured = renderTable(head, rows, { ...options, colour: true })
    expect(coloured).to.include(`${ESC}33m$1.0000${ESC}39m`)
    expect(coloured).to.include(`${ESC}1mTotal${ESC}22m`)
    expect(coloured).to.include(`${ESC}36mName${ESC}39m`)
    // Escapes take no room: stripped, the coloured table is the plain one.
    expect(stripVTControlCharacters(coloured)).to.equal(plain)
  })

  it("wraps a column at spaces within its limit, the other columns as wide as their cells", () => {
    const models = "big-pickle, claude-haiku-4-5, claude-opus-4-5, gemini-3-flash"
    const table = renderTable(["Day", "Models"], [["2026-10-05", models]], { wrap: { 1: 20 } })
    const body = table.split("\n").filter((l) => l.startsWith("│") && !l.includes("Models"))
    expect(body.length).to.be.greaterThan(1)
    for (const line of body) expect(line.split("│")[2].trim().length).to.be.at.most(20)
    expect(body.map((l) => l.split("│")[2].trim()).join(" ")).to.equal(models)
    expect(body[0]).to.match(/^│ 2026-10-05 │/)
  })
})
