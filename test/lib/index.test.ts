import { readFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import * as root from "../../src/lib/index.js"

const ROOT = join(import.meta.dirname, "..", "..")

/** The values the plugin imports from the package root (README "In the plugin"; the legacy module's exports). */
const PLUGIN_NAMES = [
  "UsageTracker",
  "FileAdapter",
  "HttpIngestAdapter",
  "createStorageAdapter",
  "createUsageClient",
  "usageConfigSchema",
  "getResetSchedule",
  "calculatePeriodStart",
  "calculateNextReset",
  "getDaysInPeriod",
  "getDaysRemaining",
  "getDaysElapsed",
  "DEFAULT_RESET_SCHEDULES",
  "getDefaultStoragePath",
  "loadUsageStorage",
  "saveUsageStorage",
]

describe("package root exports (src/lib/index.ts)", () => {
  it("exports by name, so what it offers is listed in one place", () => {
    expect(readFileSync(join(ROOT, "src/lib/index.ts"), "utf8")).not.to.match(/^export \* /m)
  })

  it("exports every name the plugin imports", () => {
    for (const name of PLUGIN_NAMES) expect(root, name).to.have.property(name)
    // The types the plugin names: a type the root stops exporting fails the type check of this file.
    type PluginTypes = [
      root.ModelPricing,
      root.ProviderUsageSummary,
      root.RecordUsageInput,
      root.StorageAdapter,
      root.TrendData,
      root.UsageConfig,
      root.UsageRecord,
      root.UsageSummaryResult,
    ]
    const typed: PluginTypes | undefined = undefined
    expect(typed).to.equal(undefined)
  })

  it("offers no internal helper: money in nano-dollars, identity keys, the fast record parser", () => {
    for (const name of ["toNanos", "sumUsd", "identityKey", "parseRecordFast", "resolveTimeZone", "parseUsageNow"]) {
      expect(root, name).not.to.have.property(name)
    }
  })
})
