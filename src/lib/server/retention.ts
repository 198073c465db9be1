/**
 * Retention of the service (`usage serve --retain 400d`): prunes the records older than the retention (now
 * less N x 24 h) once at start and then every 24 hours, through the same `UsageStore.prune` as `usage prune`,
 * and logs one line per run saying what it removed (records, cost, first and last instants) or that nothing
 * was due. A failed run is logged and retried at the next one. Runs never overlap; the timer does not keep the
 * process alive and stops on close (which waits for a run in progress). Clock and timers are injectable.
 */
import { type Clock, systemClock } from "../clock.js"
import { UsageHubError } from "../errors.js"
import { describePrune, type PruneReport, pruneReport } from "../prune-report.js"
import type { PruneResult, UsageStore } from "../store/store.js"
import { type Timers, unrefTimers } from "../timers.js"

export const DAY_MS = 24 * 60 * 60 * 1000

/** Time between two runs. */
export const RETENTION_INTERVAL_MS = DAY_MS

const UNITS: Record<string, number> = { d: DAY_MS, w: 7 * DAY_MS }

/**
 * A retention: a whole number of days (`400d`) or weeks (`57w`), at least one day. Months and years are not
 * accepted (their length varies). Throws BAD_USAGE naming `name`.
 */
export function parseRetention(value: string, name = "--retain"): number {
  const m = /^\s*(\d{1,6})\s*([dw])\s*$/i.exec(value)
  const ms = m ? Number(m[1]) * UNITS[m[2].toLowerCase()] : 0
  if (!m || ms < DAY_MS) {
    throw new UsageHubError(
      "BAD_USAGE",
      `${name} must be a number of days or weeks, at least 1d (e.g. 400d or 57w), got ${JSON.stringify(value)}`,
    )
  }
  return ms
}

export interface RetentionOptions {
  store: Pick<UsageStore, "prune" | "kind">
  /** Records older than this (ms before now) are pruned. */
  retainMs: number
  /** Where the line of each run goes. */
  log: (line: string) => void
  /** Where a failed run is told (default: log). */
  warn?: (line: string) => void
  /** Where the store is, for the lines (no password). */
  location?: string
  /** Told after a run that removed something (the service refreshes its live summaries). */
  onPruned?: (result: PruneResult) => void
  clock?: Clock
  timers?: Timers
  intervalMs?: number
}

export interface Retention {
  /** The run in progress (or the last one): resolves with its report, undefined when it failed. */
  readonly current: Promise<PruneReport | undefined>
  /** Stops the timer and waits for a run in progress. */
  close(): Promise<void>
}

/** Starts the retention: the first run at once, the next ones every `intervalMs` (24 h) after the previous one. */
export function startRetention(options: RetentionOptions): Retention {
  const clock = options.clock ?? systemClock
  const timers = options.timers ?? unrefTimers
  const interval = options.intervalMs ?? RETENTION_INTERVAL_MS
  const warn = options.warn ?? options.log
  const days = options.retainMs / DAY_MS
  const label = `retention (${Number.isInteger(days) ? `${days}d` : `${options.retainMs} ms`})`
  const target = {
    kind: options.store.kind,
    location: options.location ?? (options.store.kind === "memory" ? ":memory:" : "store"),
  }
  let timer: unknown
  let closed = false

  const run = async (): Promise<PruneReport | undefined> => {
    const filter = { before: new Date(clock().getTime() - options.retainMs) }
    try {
      const result = await options.store.prune(filter)
      const report = pruneReport(target, filter, result, false)
      options.log(`${label}: ${describePrune(report)}`)
      if (result.records > 0) options.onPruned?.(result)
      return report
    } catch (error) {
      warn(`${label}: prune before ${filter.before.toISOString()} failed: ${(error as Error).message.split("\n")[0]}`)
      return undefined
    } finally {
      if (!closed) timer = timers.setTimeout(next, interval)
    }
  }
  const next = () => {
    timer = undefined
    if (!closed) retention.current = run()
  }
  const retention: { current: Promise<PruneReport | undefined>; close(): Promise<void> } = {
    current: Promise.resolve(undefined),
    async close() {
      closed = true
      if (timer !== undefined) timers.clearTimeout(timer)
      timer = undefined
      await retention.current
    },
  }
  retention.current = run()
  return retention
}
