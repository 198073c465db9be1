/**
 * Config resolution for the CLI and the service: flags, then environment (USAGE_*), then the config file
 * (`--config`, `USAGE_CONFIG`, else `$XDG_CONFIG_HOME/usage-hub/config.json`), then defaults. The config file
 * holds the same `usage` object as the plugin's config (either `{"usage": {...}}` or the object itself).
 */
import { existsSync, readFileSync } from "node:fs"
import { hostname } from "node:os"
import { resolve } from "node:path"
import { parseUsageConfig, type UsageConfig } from "./config.js"
import { UsageHubError } from "./errors.js"
import { defaultConfigPath, type Env, expandHome } from "./paths.js"

export interface ResolvedSettings {
  /** The validated `usage` config after environment overrides. */
  usage: UsageConfig
  /** Where the config came from (undefined: defaults only). */
  configPath?: string
  /** Store location from USAGE_DB (a path, `:memory:` or postgres://…), if set. */
  db?: string
  /** This machine's node id: USAGE_NODE, else usage.http.nodeId, else the hostname. */
  nodeId: string
}

export {
  defaultConfigPath,
  defaultDbPath,
  type Env,
  expandHome,
  xdgConfigHome,
  xdgDataHome,
  xdgStateHome,
} from "./paths.js"

function readConfigFile(path: string, explicit: boolean): unknown {
  if (!existsSync(path)) {
    if (explicit) throw new UsageHubError("BAD_USAGE", `config file not found: ${path}`)
    return undefined
  }
  let text: string
  try {
    text = readFileSync(path, "utf8")
  } catch (error) {
    throw new UsageHubError("INVALID_CONFIG", `cannot read config file ${path}: ${(error as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new UsageHubError("INVALID_CONFIG", `config file ${path} is not valid JSON: ${(error as Error).message}`)
  }
  if (json && typeof json === "object" && "usage" in json) return (json as { usage: unknown }).usage
  return json
}

/**
 * Resolves settings from an optional explicit config path and the environment. Flags are applied by the
 * caller on top (they win over everything here).
 */
export function resolveSettings(options: { configPath?: string; env?: Env } = {}): ResolvedSettings {
  const env = options.env ?? process.env
  const explicit = options.configPath ?? env.USAGE_CONFIG
  const path = resolve(expandHome(explicit ?? defaultConfigPath(env), env))
  const raw = readConfigFile(path, explicit !== undefined)
  const usage = structuredClone((raw ?? {}) as Record<string, unknown>)
  if (typeof usage !== "object" || usage === null || Array.isArray(usage)) {
    throw new UsageHubError("INVALID_CONFIG", `invalid config ${path}: usage must be an object`)
  }
  if (env.USAGE_ENDPOINT) {
    usage.http = { ...(usage.http as object | undefined), endpoint: env.USAGE_ENDPOINT }
    usage.backend = "http"
  }
  if (env.USAGE_TOKEN) usage.http = { ...(usage.http as object | undefined), token: env.USAGE_TOKEN }
  if (env.USAGE_READ_TOKEN) usage.http = { ...(usage.http as object | undefined), readToken: env.USAGE_READ_TOKEN }
  if (env.USAGE_FILE) usage.file = { ...(usage.file as object | undefined), path: env.USAGE_FILE }
  const parsed = parseUsageConfig(usage, raw === undefined ? "environment" : `config ${path}`)
  return {
    usage: parsed,
    configPath: raw === undefined ? undefined : path,
    db: env.USAGE_DB || undefined,
    nodeId: env.USAGE_NODE || parsed.http?.nodeId || hostname(),
  }
}
