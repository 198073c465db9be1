/**
 * createStorageAdapter(config.usage): the adapter a plugin should use, picked from `usage.backend`:
 * "file" (the default) -> FileAdapter on `usage.file.path`; "http" -> HttpIngestAdapter with `usage.http`.
 * The config is validated first (a bad key fails with its name and fix).
 */
import type { Clock } from "../clock.js"
import { parseUsageConfig, type UsageConfig, type UsageConfigInput } from "../config.js"
import { expandHome } from "../paths.js"
import { FileAdapter } from "./file-adapter.js"
import { HttpIngestAdapter, httpAdapterOptions } from "./http-ingest-adapter.js"
import type { StorageAdapter } from "./storage-adapter.js"

export interface CreateStorageAdapterOptions {
  clock?: Clock
  /** Zone of period and day boundaries (default: local zone). */
  tz?: string
}

export function createStorageAdapter(
  config?: UsageConfig | UsageConfigInput,
  options: CreateStorageAdapterOptions = {},
): StorageAdapter {
  const usage = parseUsageConfig(config ?? {}, "usage config")
  if (usage.backend === "http") {
    const http = httpAdapterOptions(usage.http!)
    return new HttpIngestAdapter({
      ...http,
      spoolDir: http.spoolDir && expandHome(http.spoolDir),
      clock: options.clock,
      tz: options.tz,
      resetSchedules: usage.resetSchedules,
    })
  }
  return new FileAdapter({
    storagePath: usage.file.path && expandHome(usage.file.path),
    clock: options.clock,
    tz: options.tz,
    schedules: usage.resetSchedules,
  })
}
