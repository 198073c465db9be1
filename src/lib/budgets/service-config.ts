/**
 * The `service` object of the service's config file (budgets, alert webhooks) read and watched: re-read on
 * demand (SIGHUP) and when the file changes (polled, debounced). A file that no longer parses or validates
 * keeps the last good configuration, and the log says why.
 */
import { readFileSync, unwatchFile, watchFile } from "node:fs"
import { parseServiceConfig, type ServiceConfig } from "../config.js"
import { UsageHubError } from "../errors.js"

/** The validated `service` object of a config file (`{"usage": …, "service": …}`); empty when it has none. */
export function readServiceConfig(path: string): ServiceConfig {
  let json: unknown
  try {
    json = JSON.parse(readFileSync(path, "utf8"))
  } catch (error) {
    throw new UsageHubError("INVALID_CONFIG", `cannot read config file ${path}: ${(error as Error).message}`)
  }
  const service = json && typeof json === "object" ? (json as { service?: unknown }).service : undefined
  return parseServiceConfig(service ?? {}, `config ${path}`)
}

export interface ServiceConfigWatch {
  /** Re-reads the file now (SIGHUP). */
  reload(): void
  close(): void
}

export function watchServiceConfig(
  path: string,
  options: {
    onConfig: (config: ServiceConfig) => void
    log: (line: string) => void
    /** How often the file's mtime is checked (default 1000 ms). */
    intervalMs?: number
    /** Changes closer than this are read once (default 200 ms). */
    debounceMs?: number
  },
): ServiceConfigWatch {
  let pending: NodeJS.Timeout | undefined
  const reload = () => {
    try {
      const config = readServiceConfig(path)
      options.onConfig(config)
      options.log(
        `config ${path} reloaded: ${config.budgets.length} budget(s), ${config.alerts.webhooks.length} webhook(s)`,
      )
    } catch (error) {
      options.log(`config ${path} not reloaded, the last good budgets stay: ${(error as Error).message}`)
    }
  }
  const listener = () => {
    if (pending) clearTimeout(pending)
    pending = setTimeout(reload, options.debounceMs ?? 200)
    pending.unref()
  }
  watchFile(path, { interval: options.intervalMs ?? 1000, persistent: false }, listener)
  return {
    reload,
    close() {
      if (pending) clearTimeout(pending)
      unwatchFile(path, listener)
    },
  }
}
