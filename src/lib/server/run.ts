/**
 * `usage serve` from start to stop: resolves the settings, starts the service, prints ONE line with the
 * address and the store, then runs until SIGTERM or SIGINT, when it stops accepting connections, finishes
 * the requests in flight (their commits included), ends SSE streams and closes the store. A second signal
 * during shutdown exits at once. SIGHUP re-reads the token files and the config file's budgets and webhooks
 * (also re-read when the file changes; an invalid file keeps the last good ones). With --retain, prunes old records after the
 * start line and then daily (retention.ts).
 */
import { type ServiceConfigWatch, watchServiceConfig } from "../budgets/service-config.js"
import type { Env } from "../config-resolution.js"
import { redactLocation } from "../store/location.js"
import type { TokenSource } from "./auth.js"
import { type ConnectionFlags, connectionLimitsFromFlags } from "./connection-limits.js"
import { startRetention } from "./retention.js"
import { resolveServeSettings, type ServeFlags } from "./settings.js"
import { startServer } from "./start.js"

export interface ServeIo {
  /** The start line (stdout). */
  log: (line: string) => void
  /** Warnings (stderr). */
  warn: (line: string) => void
  env?: Env
  /** Signals that stop the service (default SIGTERM and SIGINT). */
  signals?: NodeJS.Signals[]
  /** How often the config file is checked for changes (default 1000 ms). */
  configPollMs?: number
}

export interface ServeResult {
  url: string
  store: string
  /** The signal that stopped the service. */
  stoppedBy: NodeJS.Signals
}

/** The flags of live updates (sse.ts). */
export interface StreamFlags {
  "stream-interval-ms"?: number
  "max-streams-per-token"?: number
}

export async function runService(flags: ServeFlags & ConnectionFlags & StreamFlags, io: ServeIo): Promise<ServeResult> {
  const { start, warnings, retainMs, configPath } = resolveServeSettings(flags, io.env ?? process.env, io.warn)
  const connections = connectionLimitsFromFlags(flags)
  const sse = { minIntervalMs: flags["stream-interval-ms"], maxStreamsPerOwner: flags["max-streams-per-token"] }
  for (const line of warnings) io.warn(line)
  // Signal handlers go in before the service starts (and before the start line, which callers wait for), so a
  // signal at any point after this stops the service cleanly.
  const signals = io.signals ?? ["SIGTERM", "SIGINT"]
  let onSignal: (signal: NodeJS.Signals) => void = () => {}
  const exitAtOnce = () => process.exit(130)
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (signal) => {
      for (const s of signals) process.removeListener(s, onSignal)
      for (const s of signals) process.once(s, exitAtOnce)
      resolve(signal)
    }
    for (const s of signals) process.on(s, onSignal)
  })
  // SIGHUP re-reads the token files and the config file (when there are any; otherwise it keeps its default effect).
  const tokenFiles = [start.ingestToken, start.readToken].filter(
    (source): source is TokenSource => typeof source === "object" && source.file !== undefined,
  )
  let configWatch: ServiceConfigWatch | undefined
  const onHangup = () => {
    for (const source of tokenFiles) source.reload()
    configWatch?.reload()
  }
  if (tokenFiles.length > 0 || configPath !== undefined) process.on("SIGHUP", onHangup)
  let server: Awaited<ReturnType<typeof startServer>>
  try {
    server = await startServer({ ...start, connections, sse })
  } catch (error) {
    for (const s of signals) process.removeListener(s, onSignal)
    process.removeListener("SIGHUP", onHangup)
    throw error
  }
  if (configPath !== undefined) {
    const budgets = server.app.usageHubBudgets
    configWatch = watchServiceConfig(configPath, {
      onConfig: (config) => void budgets.configure(config),
      log: io.warn,
      intervalMs: io.configPollMs,
    })
  }
  io.log(`usage-hub listening on ${server.url} (${server.storeDescription})`)
  // --retain: the first prune after the start line, then daily; each says what it removed (stdout).
  const retention =
    retainMs === undefined
      ? undefined
      : startRetention({
          store: server.store,
          retainMs,
          location: redactLocation(start.db),
          log: io.log,
          warn: io.warn,
          onPruned: () => server.app.usageHubChanged(),
        })
  const stoppedBy = await stopped
  process.removeListener("SIGHUP", onHangup)
  configWatch?.close()
  await retention?.close()
  await server.close()
  // Stopped: a later signal is the host process's business again (runService may run again in one process).
  for (const s of signals) process.removeListener(s, exitAtOnce)
  return { url: server.url, store: server.storeDescription, stoppedBy }
}
