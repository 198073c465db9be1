/**
 * `usage prune`: deletes a store's records before a date (optionally of one node and/or provider) and takes
 * them out of every rollup in the same transaction (`UsageStore.prune`), so totals afterwards equal those of a
 * store that never held them: retention by hand or from cron, or undoing a wrong import. `--dry-run` only
 * counts. It works on a store only (`--db`, USAGE_DB, else the default store), never through the service, and
 * never creates one: a store that does not exist is an error. Everything about the arguments is checked before
 * the store is opened.
 */
import { resolveSettings } from "../config-resolution.js"
import { UsageHubError } from "../errors.js"
import { resolveTimeZone } from "../periods.js"
import { type PruneReport, pruneReport } from "../prune-report.js"
import { checkNode } from "../record.js"
import { resolveWriteTarget } from "../source/resolve-source.js"
import { redactLocation } from "../store/location.js"
import type { PruneFilter } from "../store/store.js"
import { parseTimeBound } from "../time-range.js"

export interface PruneFlags {
  db?: string
  /** Refused: prune works on a store, not through the service. */
  endpoint?: string
  before: string
  node?: string
  provider?: string
  tz?: string
  config?: string
  dryRun?: boolean
}

const ON_A_STORE =
  "prune works on a store, not through the service: run it where the store is, with --db PATH|postgres://… (or USAGE_DB)"

/** The records to prune, checked (bad usage, exit 2) before anything is opened. */
export function pruneFilter(flags: Pick<PruneFlags, "before" | "node" | "provider" | "tz">): PruneFilter {
  const tz = resolveTimeZone(flags.tz)
  const before = parseTimeBound(flags.before, tz, "--before")
  const filter: PruneFilter = { before }
  if (flags.node !== undefined) filter.node = checkNode(flags.node, "--node")
  if (flags.provider !== undefined) {
    if (flags.provider.trim() === "") throw new UsageHubError("BAD_USAGE", "--provider: must not be blank")
    filter.provider = flags.provider
  }
  return filter
}

export async function runPrune(flags: PruneFlags): Promise<PruneReport> {
  if (flags.endpoint !== undefined) throw new UsageHubError("BAD_USAGE", `${ON_A_STORE}; --endpoint was given`)
  const filter = pruneFilter(flags)
  const settings = resolveSettings({ configPath: flags.config })
  const target = resolveWriteTarget({ db: flags.db }, settings)
  if (target.kind === "endpoint") throw new UsageHubError("BAD_USAGE", `${ON_A_STORE}; ${target.from} names a service`)
  if (target.isDefault && settings.usage.backend === "http") {
    // The config sends this machine's reads to a service: the local default store is not the one meant.
    throw new UsageHubError(
      "BAD_USAGE",
      `${ON_A_STORE}; the config's backend is http (${settings.usage.http?.endpoint ?? "usage.http"})`,
    )
  }
  const { openStoreAt } = await import("../store/open.js")
  // Never create a store to prune it: a wrong path is an error, not an empty success.
  const store = await openStoreAt(target.location, { create: false })
  try {
    const dryRun = Boolean(flags.dryRun)
    const result = await store.prune(filter, { dryRun })
    return pruneReport({ kind: store.kind, location: redactLocation(target.location) }, filter, result, dryRun)
  } finally {
    await store.close()
  }
}
