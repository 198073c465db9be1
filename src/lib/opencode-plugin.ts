/**
 * `usage-hub/opencode`: a ready OpenCode plugin (`"plugin": ["usage-hub/opencode"]` in opencode.json;
 * docs/collectors.md). It records each completed assistant message (the `message.updated` event once
 * `time.completed` is set, once per message id) with the id and timestamp `usage collect opencode` gives the same
 * message (`opencode:<message id>`, `time.created`), so the two never count a call twice on one node. Records go
 * through `createStorageAdapter` with the usage-hub config file (`USAGE_CONFIG`, else
 * `$XDG_CONFIG_HOME/usage-hub/config.json`, else the defaults: the legacy file). The cost is OpenCode's when above
 * 0, else priced from the catalogue with cache prices (flagged `unpriced` when the model is unknown).
 * Plugin-safe: loaded by OpenCode under Bun, it loads no native addon and no Node-only HTTP client. OpenCode calls
 * every export of a plugin module as a plugin, so this module exports the plugin function only (default and named).
 */
import { basename } from "node:path"
import { createStorageAdapter } from "./adapters/create-storage-adapter.js"
import type { StorageAdapter } from "./adapters/storage-adapter.js"
import { resolveSettings } from "./config-resolution.js"
import { priceCall } from "./pricing/call-cost.js"
import { parseRecord, type UsageRecord } from "./record.js"

/** What OpenCode passes a plugin (`PluginInput` of @opencode-ai/plugin); only `directory` is read. */
export interface OpenCodePluginInput {
  directory?: string
  worktree?: string
  project?: unknown
  client?: unknown
  [key: string]: unknown
}

/** An event of OpenCode's bus, as the `event` hook receives it. */
export interface OpenCodeEvent {
  type: string
  properties?: unknown
}

/** The hooks this plugin returns (a subset of @opencode-ai/plugin's `Hooks`). */
export interface OpenCodeHooks {
  event?: (input: { event: OpenCodeEvent }) => Promise<void>
}

/** An assistant message as OpenCode sends it in `message.updated` (MessageV2.Assistant; the fields read here). */
interface AssistantMessage {
  id?: string
  sessionID?: string
  role?: string
  time?: { created?: number; completed?: number | null }
  providerID?: string
  modelID?: string
  mode?: string
  agent?: string
  path?: { cwd?: string; root?: string }
  cost?: number
  tokens?: { input?: number; output?: number; reasoning?: number; cache?: { read?: number; write?: number } }
}

/** The record's `agent`: the collector's for OpenCode. */
const OPENCODE_AGENT = "opencode"

const count = (n: unknown): number => (typeof n === "number" && Number.isFinite(n) && n > 0 ? Math.trunc(n) : 0)
const name = (s: unknown): string | undefined => (typeof s === "string" && s.trim() !== "" ? s : undefined)

/** The record of a completed assistant message, or undefined (not assistant, not complete, no tokens, invalid). */
function messageRecord(message: AssistantMessage): UsageRecord | undefined {
  if (message.role !== "assistant" || !name(message.id) || message.time?.completed == null) return undefined
  const provider = name(message.providerID)
  const model = name(message.modelID)
  if (!provider || !model) return undefined
  const tokens = {
    inputTokens: count(message.tokens?.input),
    outputTokens: count(message.tokens?.output),
    reasoningTokens: count(message.tokens?.reasoning),
    cacheReadTokens: count(message.tokens?.cache?.read),
    cacheWriteTokens: count(message.tokens?.cache?.write),
  }
  if (Object.values(tokens).every((n) => n === 0)) return undefined
  const wire: Record<string, unknown> = {
    id: `opencode:${message.id}`,
    timestamp: message.time?.created,
    provider,
    model,
    ...tokens,
    taskType: name(message.mode) ?? name(message.agent) ?? "primary",
    sessionID: message.sessionID,
    agent: OPENCODE_AGENT,
  }
  const cost = message.cost
  if (typeof cost === "number" && Number.isFinite(cost) && cost > 0) wire.estimatedCost = cost
  else {
    const priced = priceCall({ provider, model, ...tokens })
    wire.estimatedCost = priced.cost
    if (priced.unpriced) wire.unpriced = true
  }
  const dir = name(message.path?.root) ?? name(message.path?.cwd)
  const project = dir ? basename(dir) : ""
  if (project) wire.project = project
  const parsed = parseRecord(wire)
  if (!parsed.ok) {
    warn(`message ${message.id} not recorded: ${parsed.error}`)
    return undefined
  }
  return parsed.record
}

function warn(message: string): void {
  console.error(`[usage-hub] ${message}`)
}

/** Message ids recorded by this process; the oldest are forgotten past this many (a message completes once). */
const MAX_REMEMBERED = 50_000

/**
 * One adapter and one set of recorded ids per process, shared by every instance of the plugin (an OpenCode that
 * loads both exports, or the plugin listed twice, still records a message once).
 */
const shared: { adapter?: StorageAdapter | null; seen: Set<string> } = { seen: new Set() }

/** The adapter of the usage-hub config, made on first use; null when the config is invalid (said once). */
function adapter(): StorageAdapter | null {
  if (shared.adapter !== undefined) return shared.adapter
  try {
    const settings = resolveSettings()
    const usage = settings.usage
    if (usage.backend === "http" && usage.http) usage.http = { ...usage.http, nodeId: settings.nodeId }
    shared.adapter = createStorageAdapter(usage)
    // The file backend writes after a short delay: what is pending is written when OpenCode exits.
    const owned = shared.adapter
    process.once("exit", () => void owned.flush?.().catch(() => {}))
  } catch (error) {
    warn(`usage is not recorded: ${(error as Error).message}`)
    shared.adapter = null
  }
  return shared.adapter
}

function record(message: AssistantMessage): void {
  const usage = messageRecord(message)
  if (!usage || shared.seen.has(usage.id)) return
  const target = adapter()
  if (!target) return
  shared.seen.add(usage.id)
  if (shared.seen.size > MAX_REMEMBERED) shared.seen.delete(shared.seen.values().next().value as string)
  target.saveRecord(usage).catch((error: Error) => {
    shared.seen.delete(usage.id)
    warn(`could not record ${usage.id}: ${error.message}`)
  })
}

/** The plugin: records each completed assistant message; never throws into OpenCode. */
export const UsageHubOpenCodePlugin = async (_input: OpenCodePluginInput): Promise<OpenCodeHooks> => ({
  event: async ({ event }) => {
    try {
      if (event?.type !== "message.updated") return
      const info = (event.properties as { info?: AssistantMessage } | undefined)?.info
      if (info && typeof info === "object") record(info)
    } catch (error) {
      warn(`event not recorded: ${(error as Error).message}`)
    }
  },
})

export default UsageHubOpenCodePlugin
