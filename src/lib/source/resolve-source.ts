/**
 * Which source a command reads (or `migrate-file` writes), decided once for every command. Highest first:
 * the flags (`--endpoint URL`, `--db PATH|postgres://…`, `--file PATH`), the environment (USAGE_ENDPOINT,
 * USAGE_DB, USAGE_FILE), the config file (`backend: "http"` reads its endpoint; a configured `file.path`
 * reads that legacy file), else the default store `$XDG_DATA_HOME/usage-hub/usage.db`. Writes (migrate-file)
 * honour flags and environment but not the config's backend: DESIGN.md sends them to the default store.
 * Tokens: `--token`, then USAGE_READ_TOKEN (reads only), USAGE_TOKEN, then the config's `http.readToken`
 * (reads only) or `http.token`. Opening is lazy: a store's driver loads only when a store is opened.
 */
import { existsSync } from "node:fs"
import { resolve } from "node:path"
import type { Clock } from "../clock.js"
import type { ResolvedSettings } from "../config-resolution.js"
import { checkEndpoint } from "../endpoint.js"
import { UsageHubError } from "../errors.js"
import { defaultDbPath, type Env, expandHome } from "../paths.js"
import { normaliseStoreLocation, redactLocation } from "../store/location.js"
import type { Reader } from "./reader.js"

export interface SourceFlagValues {
  endpoint?: string
  db?: string
  file?: string
  token?: string
}

export type SourceSpec =
  | { kind: "endpoint"; url: string; token?: string; from: string }
  | { kind: "store"; location: string; isDefault: boolean; from: string }
  | { kind: "file"; path: string; from: string }

export type WriteTargetSpec = Exclude<SourceSpec, { kind: "file" }>

export interface ResolveOptions {
  env?: Env
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value
}

function readToken(flags: SourceFlagValues, settings: ResolvedSettings, env: Env): string | undefined {
  return (
    nonEmpty(flags.token) ??
    nonEmpty(env.USAGE_READ_TOKEN) ??
    nonEmpty(env.USAGE_TOKEN) ??
    settings.usage.http?.readToken ??
    settings.usage.http?.token
  )
}

function writeToken(flags: SourceFlagValues, settings: ResolvedSettings, env: Env): string | undefined {
  return nonEmpty(flags.token) ?? nonEmpty(env.USAGE_TOKEN) ?? settings.usage.http?.token
}

type Purpose = "read" | "write"

/** The one precedence of sources: flags, environment, then (reads only) the config's backend, then the default store. */
function pickSource(flags: SourceFlagValues, settings: ResolvedSettings, env: Env, purpose: Purpose): SourceSpec {
  const reading = purpose === "read"
  const given = [flags.endpoint, flags.db, reading ? flags.file : undefined].filter((v) => v !== undefined)
  if (given.length > 1) {
    throw new UsageHubError(
      "BAD_USAGE",
      reading ? "give one source: --endpoint, --db or --file" : "give one target: --endpoint or --db",
    )
  }
  const token = reading ? readToken(flags, settings, env) : writeToken(flags, settings, env)
  const endpoint = (url: string, from: string): SourceSpec => ({
    kind: "endpoint",
    url: checkEndpoint(url, from),
    token,
    from,
  })
  const store = (location: string, from: string): SourceSpec => ({
    kind: "store",
    location: normaliseStoreLocation(location, env),
    isDefault: false,
    from,
  })
  const file = (path: string, from: string): SourceSpec => ({
    kind: "file",
    path: resolve(expandHome(path, env)),
    from,
  })

  if (flags.endpoint !== undefined) return endpoint(flags.endpoint, "--endpoint")
  if (flags.db !== undefined) return store(flags.db, "--db")
  if (reading && flags.file !== undefined) return file(flags.file, "--file")
  if (nonEmpty(env.USAGE_ENDPOINT)) return endpoint(env.USAGE_ENDPOINT!, "USAGE_ENDPOINT")
  if (nonEmpty(env.USAGE_DB)) return store(env.USAGE_DB!, "USAGE_DB")
  if (reading) {
    if (nonEmpty(env.USAGE_FILE)) return file(env.USAGE_FILE!, "USAGE_FILE")
    const configured = settings.configPath ? `config ${settings.configPath}` : "config"
    if (settings.usage.backend === "http" && settings.usage.http?.endpoint) {
      return endpoint(settings.usage.http.endpoint, `${configured} (usage.http.endpoint)`)
    }
    if (settings.usage.file.path) return file(settings.usage.file.path, `${configured} (usage.file.path)`)
  }
  return { kind: "store", location: defaultDbPath(env), isDefault: true, from: "default store" }
}

/** Resolves the source of a read command (summary, trends, export). Does not open anything. */
export function resolveSource(
  flags: SourceFlagValues,
  settings: ResolvedSettings,
  options: ResolveOptions = {},
): SourceSpec {
  return pickSource(flags, settings, options.env ?? process.env, "read")
}

/** Resolves where `migrate-file` writes: `--endpoint`/`--db`, USAGE_ENDPOINT/USAGE_DB, else the default store. */
export function resolveWriteTarget(
  flags: Omit<SourceFlagValues, "file">,
  settings: ResolvedSettings,
  options: ResolveOptions = {},
): WriteTargetSpec {
  return pickSource(flags, settings, options.env ?? process.env, "write") as WriteTargetSpec
}

/** Where a spec points, for messages: never includes a token or a database password. */
export function describeSource(spec: SourceSpec): string {
  if (spec.kind === "endpoint") return spec.url
  if (spec.kind === "file") return spec.path
  return redactLocation(spec.location)
}

export interface OpenContext {
  clock: Clock
  settings: ResolvedSettings
  /** Told about things worth a line on stderr (records skipped in a legacy file, a missing default store). */
  warn?: (message: string) => void
  /** Request timeout for an endpoint (default: the config's http.timeoutMs). */
  timeoutMs?: number
}

/** Opens a Reader on a resolved source. Loads only the code that source needs. */
export async function openReader(spec: SourceSpec, context: OpenContext): Promise<Reader> {
  const schedules = context.settings.usage.resetSchedules
  if (spec.kind === "endpoint") {
    const { EndpointReader } = await import("./endpoint-reader.js")
    return new EndpointReader(spec.url, {
      token: spec.token,
      timeoutMs: context.timeoutMs ?? context.settings.usage.http?.timeoutMs,
    })
  }
  const { StoreReader } = await import("./reader.js")
  if (spec.kind === "file") {
    const { loadLegacyFile } = await import("./legacy-file-store.js")
    const store = await loadLegacyFile(spec.path, context.settings.nodeId, context.warn)
    return new StoreReader("file", spec.path, store, context.clock, schedules)
  }
  if (spec.isDefault && !existsSync(spec.location)) {
    // Nothing imported yet on this machine: an empty answer, and a hint on how to get data.
    context.warn?.(
      `no usage store yet at ${spec.location}; import legacy files with \`usage migrate-file\`, ` +
        "or read another source with --endpoint, --db or --file",
    )
    const { MemoryStore } = await import("../store/memory/store.js")
    return new StoreReader("store", spec.location, new MemoryStore(), context.clock, schedules)
  }
  const { openStoreAt } = await import("../store/open.js")
  const store = await openStoreAt(spec.location, { create: false })
  return new StoreReader("store", redactLocation(spec.location), store, context.clock, schedules)
}
