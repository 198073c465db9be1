/**
 * Where usage-hub keeps things on this machine (XDG directories, `~` expansion, the default store and config
 * paths), and whether there is any configuration to resolve at all. No zod here: the read commands load this
 * on every start, and only load the config schema when a config file or a USAGE_* setting exists.
 */
import { existsSync } from "node:fs"
import { homedir, hostname } from "node:os"
import { join } from "node:path"
import type { ResolvedSettings } from "./config-resolution.js"

export type Env = Record<string, string | undefined>

export function expandHome(path: string, env: Env = process.env): string {
  if (path === "~") return env.HOME ?? homedir()
  if (path.startsWith("~/")) return join(env.HOME ?? homedir(), path.slice(2))
  return path
}

export function xdgConfigHome(env: Env = process.env): string {
  return env.XDG_CONFIG_HOME || join(env.HOME ?? homedir(), ".config")
}

export function xdgDataHome(env: Env = process.env): string {
  return env.XDG_DATA_HOME || join(env.HOME ?? homedir(), ".local", "share")
}

export function xdgStateHome(env: Env = process.env): string {
  return env.XDG_STATE_HOME || join(env.HOME ?? homedir(), ".local", "state")
}

/** The default SQLite store of this machine: `$XDG_DATA_HOME/usage-hub/usage.db`. */
export function defaultDbPath(env: Env = process.env): string {
  return join(xdgDataHome(env), "usage-hub", "usage.db")
}

export function defaultConfigPath(env: Env = process.env): string {
  return join(xdgConfigHome(env), "usage-hub", "config.json")
}

/** Environment variables that feed the `usage` config (see config-resolution.ts). */
const CONFIG_ENV = ["USAGE_CONFIG", "USAGE_ENDPOINT", "USAGE_TOKEN", "USAGE_READ_TOKEN", "USAGE_FILE"] as const

/** True when a config file or a USAGE_* config variable exists, i.e. when the config schema has work to do. */
export function hasConfigToResolve(options: { configPath?: string; env?: Env } = {}): boolean {
  const env = options.env ?? process.env
  if (options.configPath !== undefined) return true
  if (CONFIG_ENV.some((name) => env[name])) return true
  return existsSync(defaultConfigPath(env))
}

/** The settings when nothing is configured: what resolveSettings returns then, without loading the schema. */
export function defaultSettings(env: Env = process.env): ResolvedSettings {
  return {
    usage: { backend: "file", file: {}, resetSchedules: {} },
    db: env.USAGE_DB || undefined,
    nodeId: env.USAGE_NODE || hostname(),
  }
}
