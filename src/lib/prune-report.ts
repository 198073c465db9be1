/**
 * What a prune removed, said the same way by `usage prune` (its one line and its `--json`) and by the
 * service's retention (`usage serve --retain`, its log line): how many records, their exact cost, the first and
 * last instants among them, and which records were asked for (before a date, of a node, of a provider).
 */
import { formatDecimal } from "./decimal.js"
import { fromNanos } from "./money.js"
import type { PruneFilter, PruneResult } from "./store/store.js"

export interface PruneReport {
  /** The store pruned: its kind and location (no password). */
  target: { kind: "memory" | "sqlite" | "postgres"; location: string }
  /** ISO instants; `before` is exclusive. */
  filter: { before: string; node?: string; provider?: string }
  dryRun: boolean
  records: number
  /** USD, the nearest double of the exact sum. */
  cost: number
  /** The earliest and latest instants among the records (absent when none). */
  first?: string
  last?: string
}

export function pruneReport(
  target: PruneReport["target"],
  filter: PruneFilter,
  result: PruneResult,
  dryRun: boolean,
): PruneReport {
  return {
    target,
    filter: {
      before: filter.before.toISOString(),
      ...(filter.node === undefined ? {} : { node: filter.node }),
      ...(filter.provider === undefined ? {} : { provider: filter.provider }),
    },
    dryRun,
    records: result.records,
    cost: fromNanos(result.costNanos),
    ...(result.first ? { first: result.first.toISOString() } : {}),
    ...(result.last ? { last: result.last.toISOString() } : {}),
  }
}

/**
 * One line: `Pruned 1,234 records before 2026-01-01T00:00:00.000Z (node build-07) from sqlite /data/usage.db:
 * $12.3400, first …, last …`, `Would prune …` in a dry run, `Nothing to prune before … in …` when none matched.
 */
export function describePrune(report: PruneReport): string {
  const { filter, target } = report
  const scope = [
    filter.node === undefined ? "" : `node ${filter.node}`,
    filter.provider === undefined ? "" : `provider ${filter.provider}`,
  ]
    .filter((s) => s !== "")
    .join(", ")
  const which = `before ${filter.before}${scope === "" ? "" : ` (${scope})`}`
  const where = `${target.kind} ${target.location}`
  if (report.records === 0) return `Nothing to prune ${which} in ${where}`
  const verb = report.dryRun ? "Would prune" : "Pruned"
  const count = `${formatDecimal(report.records, 0)} ${report.records === 1 ? "record" : "records"}`
  return `${verb} ${count} ${which} from ${where}: $${formatDecimal(report.cost, 4)}, first ${report.first}, last ${report.last}`
}
