/**
 * The settings of `usage serve`, resolved once from its flags, the environment and the config file:
 * address, store location (default `$XDG_DATA_HOME/usage-hub/usage.db`), SQLite `synchronous` (default
 * NORMAL: a 2xx survives kill -9 of the service; FULL on request: also a power loss), time zone, tokens, TLS,
 * retention (`--retain`, USAGE_RETAIN), budgets and alert webhooks (the config file's `service` object). Refuses a non-loopback address without an ingest token, or with a token
 * shorter than 16 characters, unless `--insecure`, and says what is open to the network.
 */
import { readFileSync } from "node:fs"
import { readServiceConfig } from "../budgets/service-config.js"
import { defaultDbPath, type Env, resolveSettings } from "../config-resolution.js"
import { UsageHubError } from "../errors.js"
import { type ResetSchedules, resolveTimeZone } from "../periods.js"
import { normaliseStoreLocation } from "../store/location.js"
import { MIN_TOKEN_LENGTH, parseTokenOption, type TokenSource } from "./auth.js"
import { parseRetention } from "./retention.js"
import { DEFAULT_HOST, DEFAULT_PORT, type StartOptions } from "./start.js"

export interface ServeFlags {
  port?: number
  host?: string
  db?: string
  tz?: string
  "ingest-token"?: string
  "read-token"?: string
  "tls-cert"?: string
  "tls-key"?: string
  insecure?: boolean
  config?: string
  "log-level"?: string
  /** SQLite `synchronous`: full or normal (case-insensitive); env USAGE_SQLITE_SYNCHRONOUS; default normal. */
  synchronous?: string
  /** Prune records older than this daily (`400d`, `57w`); env USAGE_RETAIN; default: keep everything. */
  retain?: string
}

export interface ServeSettings {
  start: StartOptions & { host: string; port: number; db: string; synchronous: "FULL" | "NORMAL" }
  /** Lines to print as warnings before starting. */
  warnings: string[]
  /** Records older than this many ms are pruned at start and daily (retention.ts); absent: kept for ever. */
  retainMs?: number
  /** The config file read (its `service` object is re-read on SIGHUP and when it changes). */
  configPath?: string
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const

export const SYNCHRONOUS_MODES = ["full", "normal"] as const

/**
 * The service's SQLite `synchronous`: NORMAL unless told FULL. In WAL mode NORMAL keeps every committed
 * insert across kill -9 of the process (DESIGN's promise) but may lose the last commits on a power loss;
 * FULL fsyncs every commit (docs/operations.md, "Durability").
 */
export function resolveSynchronous(flag: string | undefined, env: Env): "FULL" | "NORMAL" {
  const value = flag ?? env.USAGE_SQLITE_SYNCHRONOUS
  if (value === undefined || value.trim() === "") return "NORMAL"
  const mode = value.trim().toLowerCase()
  if (mode === "full") return "FULL"
  if (mode === "normal") return "NORMAL"
  throw new UsageHubError(
    "BAD_USAGE",
    `--synchronous (USAGE_SQLITE_SYNCHRONOUS) must be full or normal, got ${JSON.stringify(value)}`,
  )
}

/** Whether a listen address only reaches this machine (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
  return h === "localhost" || h === "::1" || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h)
}

function readTls(path: string, what: string): Buffer {
  try {
    return readFileSync(path)
  } catch (error) {
    throw new UsageHubError(
      "BAD_USAGE",
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    )
  }
}

/**
 * `log` receives what happens to token files while the service runs (re-read, emptied, unreadable); the
 * warnings about the start are returned.
 */
export function resolveServeSettings(
  flags: ServeFlags,
  env: Env = process.env,
  log?: (line: string) => void,
): ServeSettings {
  const resolved = resolveSettings({ configPath: flags.config, env })
  const host = flags.host ?? DEFAULT_HOST
  const port = flags.port ?? DEFAULT_PORT
  const db = normaliseStoreLocation(flags.db ?? resolved.db ?? defaultDbPath(env), env)
  const tz = resolveTimeZone(flags.tz)
  const synchronous = resolveSynchronous(flags.synchronous, env)
  const retain = flags.retain ?? (env.USAGE_RETAIN?.trim() ? env.USAGE_RETAIN : undefined)
  const retainMs =
    retain === undefined ? undefined : parseRetention(retain, flags.retain === undefined ? "USAGE_RETAIN" : "--retain")
  const loopback = isLoopback(host)
  // A token file re-read later is held to the rule the start was held to.
  const tokenOptions = { log, minLength: loopback || flags.insecure ? undefined : MIN_TOKEN_LENGTH }
  const ingestToken: TokenSource | undefined = parseTokenOption(
    flags["ingest-token"] ?? env.USAGE_INGEST_TOKEN,
    "--ingest-token",
    tokenOptions,
  )
  const readToken: TokenSource | undefined = parseTokenOption(
    flags["read-token"] ?? env.USAGE_READ_TOKEN,
    "--read-token",
    tokenOptions,
  )
  const warnings: string[] = []
  for (const [option, source, what] of [
    ["--ingest-token", ingestToken, "ingest request"],
    ["--read-token", readToken, "read request"],
  ] as const) {
    if (source?.file && source.tokens().length === 0)
      warnings.push(`warning: ${option}: ${source.file} holds no token: every ${what} is refused until it does`)
  }
  if (!loopback && !ingestToken && !flags.insecure) {
    throw new UsageHubError(
      "INSECURE_BIND",
      `refusing to listen on ${host} without an ingest token: anyone on the network could write usage records (give --ingest-token or USAGE_INGEST_TOKEN, or --insecure to accept this)`,
    )
  }
  if (!loopback) {
    for (const [option, source] of [
      ["--ingest-token", ingestToken],
      ["--read-token", readToken],
    ] as const) {
      if (!source || source.shortest() >= MIN_TOKEN_LENGTH) continue
      const what = `${option} holds a token shorter than ${MIN_TOKEN_LENGTH} characters`
      if (!flags.insecure) {
        throw new UsageHubError(
          "INSECURE_BIND",
          `refusing to listen on ${host}: ${what}, which can be guessed (use random tokens, e.g. \`openssl rand -hex 32\`, or --insecure to accept this)`,
        )
      }
      warnings.push(`warning: ${what}: it can be guessed by anyone who reaches ${host}:${port}`)
    }
  }
  if (!loopback && !ingestToken)
    warnings.push(`warning: no ingest token: anyone who reaches ${host}:${port} can write usage records`)
  if (!loopback && !readToken)
    warnings.push(`warning: no read token: spend data is open to anyone who reaches ${host}:${port}`)
  const cert = flags["tls-cert"]
  const key = flags["tls-key"]
  if ((cert === undefined) !== (key === undefined))
    throw new UsageHubError("BAD_USAGE", "--tls-cert and --tls-key go together")
  const https = cert && key ? { cert: readTls(cert, "--tls-cert"), key: readTls(key, "--tls-key") } : undefined
  const schedules: ResetSchedules = resolved.usage.resetSchedules
  const service = resolved.configPath === undefined ? undefined : readServiceConfig(resolved.configPath)
  return {
    start: {
      host,
      port,
      db,
      synchronous,
      tz,
      ingestToken,
      readToken,
      https,
      schedules,
      logLevel: flags["log-level"] ?? "warn",
      processMetrics: true,
      service,
    },
    warnings,
    configPath: resolved.configPath,
    ...(retainMs === undefined ? {} : { retainMs }),
  }
}
