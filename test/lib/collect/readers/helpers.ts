/**
 * For the reader tests: read every source of an agent folder as the collector does (each call id once, its first
 * occurrence kept), sum the calls per UTC day, compare the sums with ccusage's daily figures, and list a folder
 * (paths, sizes, mtimes) to show nothing changed.
 */
import { strict as assert } from "node:assert"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join, relative } from "node:path"
import type { AgentReader, CollectedCall, SkipCounts } from "../../../../src/lib/collect/reader.js"

export interface Collected {
  calls: CollectedCall[]
  skipped: SkipCounts
  warnings: string[]
  notes: SkipCounts
}

/** Every source under `dir` read from the start; a call id seen again (a copy) is counted once, the first kept. */
export async function collectAll(reader: AgentReader, dir: string): Promise<Collected> {
  const seen = new Set<string>()
  const out: Collected = { calls: [], skipped: {}, warnings: [], notes: {} }
  for (const source of await reader.sources(dir)) {
    const result = await reader.read(source, undefined)
    for (const call of result.calls) {
      if (seen.has(call.id)) continue
      seen.add(call.id)
      out.calls.push(call)
    }
    for (const [reason, n] of Object.entries(result.skipped)) out.skipped[reason] = (out.skipped[reason] ?? 0) + n
    for (const [reason, n] of Object.entries(result.notes ?? {})) out.notes[reason] = (out.notes[reason] ?? 0) + n
    out.warnings.push(...result.warnings)
  }
  return out
}

export interface DayTotal {
  input: number
  output: number
  cacheRead: number
  cacheWrite: number
  reasoning: number
  /** The sum of the costs the agent logged. */
  loggedCost: number
  /** How many calls logged no cost (the collector prices them). */
  unloggedCost: number
}

/** Token sums per UTC day (YYYY-MM-DD), in date order. */
export function dayTotals(calls: CollectedCall[]): Map<string, DayTotal> {
  const days = new Map<string, DayTotal>()
  for (const call of [...calls].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime())) {
    const date = call.timestamp.toISOString().slice(0, 10)
    const day = days.get(date) ?? {
      input: 0,
      output: 0,
      cacheRead: 0,
      cacheWrite: 0,
      reasoning: 0,
      loggedCost: 0,
      unloggedCost: 0,
    }
    day.input += call.inputTokens
    day.output += call.outputTokens
    day.cacheRead += call.cacheReadTokens
    day.cacheWrite += call.cacheWriteTokens
    day.reasoning += call.reasoningTokens
    if (call.costUSD === undefined) day.unloggedCost++
    else day.loggedCost += call.costUSD
    days.set(date, day)
  }
  return days
}

/** A day of ccusage 20.0.24's `daily --json` (the fixture's ccusage-daily.json). */
export interface CcusageDay {
  date: string
  inputTokens: number
  outputTokens: number
  cacheReadTokens: number
  cacheCreationTokens: number
  reasoningOutputTokens?: number
  totalCost: number
}

/** The days of `ccusage-daily.json` in an agent's fixture folder. */
export function ccusageDaily(fixtureDir: string): CcusageDay[] {
  return (JSON.parse(readFileSync(join(fixtureDir, "ccusage-daily.json"), "utf8")) as { daily: CcusageDay[] }).daily
}

/**
 * Asserts that `days` has exactly ccusage's dates, each with ccusage's input, output, cache-read and cache-write
 * tokens (and reasoning tokens, with `reasoning`).
 */
export function assertTokensAsCcusage(
  days: Map<string, DayTotal>,
  expected: CcusageDay[],
  options: { reasoning?: boolean } = {},
): void {
  assert.deepEqual(
    [...days.keys()],
    expected.map((day) => day.date),
  )
  for (const day of expected) {
    const ours = days.get(day.date)!
    const tokens = (t: { input: number; output: number; cacheRead: number; cacheWrite: number; reasoning?: number }) =>
      options.reasoning ? t : { input: t.input, output: t.output, cacheRead: t.cacheRead, cacheWrite: t.cacheWrite }
    assert.deepEqual(
      tokens({
        input: ours.input,
        output: ours.output,
        cacheRead: ours.cacheRead,
        cacheWrite: ours.cacheWrite,
        reasoning: ours.reasoning,
      }),
      tokens({
        input: day.inputTokens,
        output: day.outputTokens,
        cacheRead: day.cacheReadTokens,
        cacheWrite: day.cacheCreationTokens,
        reasoning: day.reasoningOutputTokens,
      }),
      day.date,
    )
  }
}

/** Every file and folder under `dir` with its size and mtime, sorted. */
export function listing(dir: string): string[] {
  const out: string[] = []
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name)
      const stat = statSync(path)
      out.push(`${relative(dir, path)} ${entry.isDirectory() ? "dir" : stat.size} ${stat.mtimeMs}`)
      if (entry.isDirectory()) walk(path)
    }
  }
  walk(dir)
  return out.sort()
}
