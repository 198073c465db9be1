/**
 * `usage budgets`: the budgets in their current periods. From the central service (`--endpoint`, USAGE_ENDPOINT
 * or the config's http endpoint), which holds the budgets (its config file's `service.budgets`) and sees the
 * whole cluster; or, with `--db` (or USAGE_DB, or the default store), evaluated here from that store's rollups
 * with the budgets of the config file (`--config`): the same figures, no alert sent. A legacy `--file` has
 * no rollups: refused.
 */

import type { BudgetState } from "../budgets/budget-types.js"
import { readServiceConfig } from "../budgets/service-config.js"
import { UsageApiClient } from "../client/api-client.js"
import { systemClock } from "../clock.js"
import { resolveSettings } from "../config-resolution.js"
import { UsageHubError } from "../errors.js"
import { resolveTimeZone } from "../periods.js"
import { resolveSource, type SourceFlagValues } from "../source/resolve-source.js"
import { openStoreAt } from "../store/open.js"

export interface BudgetsFlags extends Omit<SourceFlagValues, "file"> {
  config?: string
  tz?: string
}

export async function runBudgets(flags: BudgetsFlags): Promise<BudgetState[]> {
  const settings = resolveSettings({ configPath: flags.config })
  const spec = resolveSource(flags, settings)
  if (spec.kind === "endpoint") {
    const api = new UsageApiClient({ endpoint: spec.url, token: spec.token, timeoutMs: settings.usage.http?.timeoutMs })
    return (await api.budgets()).budgets
  }
  if (spec.kind === "file")
    throw new UsageHubError(
      "BAD_USAGE",
      `budgets need the service (--endpoint) or a store (--db); ${spec.from} names a legacy file`,
    )
  const budgets = settings.configPath ? readServiceConfig(settings.configPath).budgets : []
  const store = await openStoreAt(spec.location, { create: false })
  try {
    const { readBudgets } = await import("../budgets/read-budgets.js")
    const tz = resolveTimeZone(flags.tz)
    return await readBudgets(store, budgets, { tz, schedules: settings.usage.resetSchedules }, systemClock().getTime())
  } finally {
    await store.close()
  }
}
