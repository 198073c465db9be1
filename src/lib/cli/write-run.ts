/**
 * What the commands that write records (`usage migrate-file`, `usage collect`) resolve alike before writing: the
 * config, the target (--endpoint / --db, USAGE_ENDPOINT / USAGE_DB, else the default store) and the node.
 */
import { type ResolvedSettings, resolveSettings } from "../config-resolution.js"
import { importNode } from "../import/import-node.js"
import type { Env } from "../paths.js"
import { resolveWriteTarget, type WriteTargetSpec } from "../source/resolve-source.js"

/** The flags every writing command takes. */
export interface WriteFlags {
  db?: string
  endpoint?: string
  token?: string
  node?: string
  config?: string
  dryRun?: boolean
}

export interface WriteRun {
  settings: ResolvedSettings
  target: WriteTargetSpec
  node: string
}

export function resolveWriteRun(flags: WriteFlags, env: Env = process.env): WriteRun {
  const settings = resolveSettings({ configPath: flags.config, env })
  return { settings, target: resolveWriteTarget(flags, settings, { env }), node: importNode(flags.node, settings) }
}
