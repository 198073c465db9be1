/**
 * Number, money and date formatting for the CLI's tables (people, not scripts: `--json` prints raw values),
 * and the table every command prints, in the style of table-style.ts (compact, coloured): cli-table3's layout,
 * drawn here when every cell is printable ASCII (one column per character), else by cli-table3 itself, which
 * measures the width of wide characters and emoji (and is loaded only then).
 */
import { createRequire } from "node:module"
import type CliTable3 from "cli-table3"
import { formatDecimal } from "../decimal.js"
import { isoDay, isoMinute, wallClock } from "../wall-clock.js"
import { paint } from "./table-style.js"

export { PLAIN, type TableStyle } from "./table-style.js"

/** USD with four decimals (costs of single calls are often fractions of a cent): `$1,234.5678`. */
export function formatUsd(usd: number): string {
  return `$${formatDecimal(usd, 4)}`
}

export function formatCount(n: number): string {
  return formatDecimal(n, 0)
}

/** A share of 0..100 as `12.3%`. */
export function formatShare(percent: number): string {
  return `${percent.toFixed(1)}%`
}

/** `YYYY-MM-DD` when `at` is a midnight in `tz`, else `YYYY-MM-DD HH:MM` (wall time in `tz`). */
export function formatDate(at: Date, tz: string): string {
  const clock = wallClock(at, tz)
  const day = isoDay(clock)
  if (clock.hour === 0 && clock.minute === 0 && clock.second === 0 && at.getUTCMilliseconds() === 0) return day
  return `${day} ${isoMinute(clock)}`
}

export type Align = "left" | "right"

export interface TableOptions {
  align?: Align[]
  /** Colour: the header in bold cyan, total rows in bold, `costColumns` in yellow. */
  colour?: boolean
  /** Indexes of the rows that are totals. */
  totalRows?: number[]
  /** Indexes of the columns that hold costs. */
  costColumns?: number[]
  /** Columns that wrap (at spaces) to at most this many characters, by index: a long list of models. */
  wrap?: Record<number, number>
}

/** A table: a header row, then rows; numeric columns aligned right (`align`, or TableOptions). */
export function renderTable(head: string[], rows: string[][], options: Align[] | TableOptions = {}): string {
  const opts: TableOptions = Array.isArray(options) ? { align: options } : options
  const wrap = opts.wrap ?? {}
  // A wrapped column is as wide as its widest cell up to its limit (+2 for the padding); the others fit.
  const widths = head.map((h, c) => {
    const limit = wrap[c]
    if (limit === undefined) return null
    return Math.min(limit, widest(rows, c, h.length)) + 2
  })
  return drawAscii(head, rows, opts, widths) ?? drawWithCliTable3(head, rows, opts, widths)
}

/** The length of the longest cell of column `c`, at least `least` (a loop: a spread of many rows would overflow). */
function widest(rows: string[][], c: number, least: number): number {
  return rows.reduce((max, row) => Math.max(max, (row[c] ?? "").length), least)
}

type Style = Parameters<typeof paint>[1]

/** The styles of a cell, innermost first: the header cyan and bold, costs yellow, totals bold. */
function cellStyles(opts: TableOptions, row: number, column: number): Style[] {
  if (!opts.colour) return []
  if (row < 0) return ["cyan", "bold"]
  const styles: Style[] = []
  if (opts.costColumns?.includes(column)) styles.push("yellow")
  if (opts.totalRows?.includes(row)) styles.push("bold")
  return styles
}

function painted(text: string, styles: Style[]): string {
  return styles.reduce((out, style) => paint(out, style, true), text)
}

/**
 * Printable ASCII and the block elements of the trends bars (U+2580-U+259F, one column each for cli-table3's
 * string-width too): one column on screen per character, so a string's length is its width.
 */
const ONE_COLUMN = /^[\x20-\x7e\u2580-\u259f]*$/

/** cli-table3's word wrap (utils.wordWrap) for printable ASCII: at whitespace, a longer word on its own line. */
function wordWrap(maxLength: number, input: string): string[] {
  const lines: string[] = []
  const split = input.split(/(\s+)/g)
  let line: string[] = []
  let lineLength = 0
  let whitespace: string | undefined
  for (let i = 0; i < split.length; i += 2) {
    const word = split[i]
    let newLength = lineLength + word.length
    if (lineLength > 0 && whitespace) newLength += whitespace.length
    if (newLength > maxLength) {
      if (lineLength !== 0) lines.push(line.join(""))
      line = [word]
      lineLength = word.length
    } else {
      line.push(whitespace || "", word)
      lineLength = newLength
    }
    whitespace = split[i + 1]
  }
  if (lineLength) lines.push(line.join(""))
  return lines
}

const BORDERS = {
  top: ["┌", "┬", "┐"],
  mid: ["├", "┼", "┤"],
  bottom: ["└", "┴", "┘"],
} as const

/**
 * The table cli-table3 draws (compact style, padding 1, `colWidths` for the wrapped columns), drawn directly
 * when every cell is printable ASCII (or bar blocks) and the table is rectangular: widths are lengths, measured once per cell
 * (cli-table3 measures each line several times with string-width, which dominates a report's run time).
 * Undefined (cli-table3 draws it) otherwise, and when a coloured cell would wrap or be cut, which cli-table3
 * re-colours line by line.
 */
function drawAscii(
  head: string[],
  rows: string[][],
  opts: TableOptions,
  widths: (number | null)[],
): string | undefined {
  const columns = head.length
  if (columns === 0) return undefined
  const table = [head, ...rows]
  for (const row of table) {
    if (row.length !== columns) return undefined
    for (const cell of row) if (!ONE_COLUMN.test(cell)) return undefined
  }
  // Column widths with the padding: the wrapped columns' as given, the others their widest cell's.
  const colWidths = widths.map((w, c) => w ?? Math.max(1, widest(table, c, 0) + 2))
  const blanks = colWidths.map((w) => " ".repeat(w))
  const lines: string[] = [border("top", colWidths)]
  for (let r = 0; r < table.length; r++) {
    if (r === 1) lines.push(border("mid", colWidths))
    const cells: string[][] = []
    for (let c = 0; c < columns; c++) {
      const text = table[r][c]
      const width = colWidths[c] - 2
      const styles = text === "" ? [] : cellStyles(opts, r - 1, c)
      const cellLines = widths[c] === null ? [text] : wordWrap(width, text)
      const cut = cellLines.map((line) => (line.length > width ? `${line.slice(0, Math.max(0, width - 1))}…` : line))
      if (styles.length > 0 && (cut.length !== 1 || cut[0] !== text)) return undefined
      const right = opts.align?.[c] === "right"
      cells.push(
        cut.map((line) => {
          const gap = " ".repeat(Math.max(0, width - line.length))
          const shown = painted(line, styles)
          return ` ${right ? gap + shown : shown + gap} `
        }),
      )
    }
    const height = Math.max(1, ...cells.map((cell) => cell.length))
    for (let l = 0; l < height; l++) {
      lines.push(`│${cells.map((cell, c) => cell[l] ?? blanks[c]).join("│")}│`)
    }
  }
  lines.push(border("bottom", colWidths))
  return lines.join("\n")
}

function border(kind: keyof typeof BORDERS, colWidths: number[]): string {
  const [left, mid, right] = BORDERS[kind]
  return left + colWidths.map((w) => "─".repeat(w)).join(mid) + right
}

/** cli-table3 (CommonJS), loaded on first use: a table of printable ASCII and bars never needs it. */
let cliTable3: typeof CliTable3 | undefined

function drawWithCliTable3(head: string[], rows: string[][], opts: TableOptions, widths: (number | null)[]): string {
  cliTable3 ??= createRequire(import.meta.url)("cli-table3") as typeof CliTable3
  const wraps = widths.some((w) => w !== null)
  const table = new cliTable3({
    head: head.map((h, c) => painted(h, cellStyles(opts, -1, c))),
    style: { head: [], border: [], compact: true },
    colAligns: head.map((_, i) => opts.align?.[i] ?? "left"),
    ...(wraps ? { colWidths: widths, wordWrap: true } : {}),
  })
  rows.forEach((row, r) => {
    table.push(row.map((cell, c) => painted(cell, cellStyles(opts, r, c))))
  })
  return table.toString()
}
