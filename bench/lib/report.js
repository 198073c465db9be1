/**
 * Result rows of the benchmarks and their table. A row is one figure: its samples (median and spread), the
 * same-run reference it is compared with, the comparison (ratio value/reference, speedup reference/value, or
 * delta value - reference) and the goals it must meet (on the value or on the comparison).
 */
import Table from "cli-table3"
import { fmt, fmtSpread, pairedRatios, summarize } from "./stats.js"

const OPS = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
}

/**
 * Builds a row. `compare`: "ratio" (value / reference), "speedup" (reference / value) or "delta"
 * (value - reference); `goals`: [{ on: "value" | "compare", op, limit }]. `info: true` marks a figure shown
 * for context, without a goal.
 */
export function makeRow({ id, target, unit, samples, ref, compare, goals = [], extra, command, note }) {
  const value = summarize(samples)
  const row = { id, target, unit, value, samples, command, note, extra }
  if (ref) {
    row.reference = { name: ref.name, unit: ref.unit ?? unit, value: summarize(ref.samples), samples: ref.samples }
    const r = row.reference.value.median
    const v = value.median
    row.compare = compare
    row.comparison =
      compare === "ratio" ? v / r : compare === "speedup" ? r / v : compare === "delta" ? v - r : undefined
    if (compare === "ratio" || compare === "speedup") {
      const pairs = compare === "ratio" ? pairedRatios(samples, ref.samples) : pairedRatios(ref.samples, samples)
      if (pairs.length > 1) row.pairedComparison = summarize(pairs)
    }
  }
  row.goals = goals.map((g) => {
    const actual = g.on === "value" ? value.median : row.comparison
    return { ...g, actual, met: Number.isFinite(actual) && OPS[g.op](actual, g.limit) }
  })
  row.met = row.goals.length === 0 ? null : row.goals.every((g) => g.met)
  return row
}

/** A row for a benchmark that could not run (its piece is missing or it failed). */
export function missingRow({ id, target, reason, command }) {
  return { id, target, missing: true, reason, command, goals: [], met: false }
}

function goalText(row) {
  if (row.missing) return ""
  return row.goals
    .map((g) => {
      const what = g.on === "value" ? "" : row.compare === "delta" ? "Δ " : row.compare === "speedup" ? "×" : "ratio "
      return `${what}${g.op} ${g.limit}${g.on === "value" || row.compare === "delta" ? ` ${row.unit}` : ""}`
    })
    .join(", ")
}

function comparisonText(row) {
  if (row.comparison === undefined) return ""
  if (row.compare === "delta") return `Δ ${fmt(row.comparison, row.unit)}`
  if (row.compare === "speedup") return `${fmt(row.comparison)}×`
  return fmt(row.comparison)
}

export function printTable(rows, write = (s) => process.stdout.write(s)) {
  const table = new Table({
    head: ["figure", "measured (median [min–max])", "reference (median)", "cmp", "goal", "met"],
    colWidths: [44, 28, 32, 11, 18, 6],
    wordWrap: true,
    style: { head: [], border: [] },
  })
  for (const row of rows) {
    if (row.missing) {
      table.push([`${row.id}\n${row.target}`, { colSpan: 4, content: `not measured: ${row.reason}` }, "—"])
      continue
    }
    const ref = row.reference ? `${row.reference.name}: ${fmt(row.reference.value.median, row.reference.unit)}` : ""
    const met = row.met === null ? "info" : row.met ? "yes" : "NO"
    table.push([
      `${row.id}\n${row.target}`,
      fmtSpread(row.value, row.unit),
      ref,
      comparisonText(row),
      goalText(row),
      met,
    ])
  }
  write(`${table.toString()}\n`)
}

/** The rows as a Markdown table (docs/performance.md): figure, measured, reference, comparison, goal, met. */
export function markdownTable(rows) {
  const esc = (s) => String(s).replace(/\|/g, "\\|")
  const lines = [
    "| figure | measured: median [min–max] (n) | reference (median) | comparison | goal | met |",
    "|---|---|---|---|---|---|",
  ]
  for (const row of rows) {
    if (row.missing) {
      lines.push(`| \`${row.id}\` ${esc(row.target)} | not measured: ${esc(row.reason)} | | | | — |`)
      continue
    }
    const ref = row.reference
      ? `${esc(row.reference.name)}: ${fmt(row.reference.value.median, row.reference.unit)}`
      : ""
    const met = row.met === null ? "info" : row.met ? "**yes**" : "**no**"
    lines.push(
      `| \`${row.id}\` ${esc(row.target)} | ${esc(fmtSpread(row.value, row.unit))} (${row.value.n}) | ${ref} | ${esc(comparisonText(row))} | ${esc(goalText(row))} | ${met} |`,
    )
  }
  return `${lines.join("\n")}\n`
}
