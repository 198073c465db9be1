/**
 * `usage collect`: which agents (the names given, else every agent whose data is found), their folders (flag,
 * else the environment variable, else the home folder), the target (like migrate-file: --endpoint through the
 * adapter's spool, --db, else the same defaults), the node, the state (locked), then one round, or rounds every
 * `--interval` seconds with `--watch` until SIGINT/SIGTERM (the current round finishes and saves its state first).
 * The collector itself is src/lib/collect/collect.ts.
 */
import { existsSync } from "node:fs"
import { homedir } from "node:os"
import { join } from "node:path"
import { type AgentReport, type AgentSource, collectRound, findSources } from "../collect/collect.js"
import { AGENT_NAMES, type AgentName, type AgentReader } from "../collect/reader.js"
import { busy, CollectState, defaultStateDir, stateFileFor } from "../collect/state.js"
import { UsageHubError } from "../errors.js"
import { defaultSettings, type Env, expandHome, hasConfigToResolve, xdgConfigHome, xdgDataHome } from "../paths.js"
import { isNodeName } from "../record-rules.js"
import { describeSource, resolveWriteTarget } from "../source/resolve-source.js"
import { openCollectSink } from "./collect-sink.js"
import type { WriteFlags, WriteRun } from "./write-run.js"

export interface CollectFlags extends WriteFlags {
  agents: string[]
  watch?: boolean
  /** Seconds between rounds of --watch (default 10). */
  interval?: number
  stateDir?: string
  opencodeDir?: string
  claudeDir?: string
  codexDir?: string
  geminiDir?: string
}

/** One round's figures, per agent (what `--json` prints). */
export type AgentFigures = Omit<AgentReport, "agent" | "warnings">

export interface CollectReport {
  target: { kind: "store" | "endpoint"; location: string }
  node: string
  dryRun: boolean
  agents: Partial<Record<AgentName, AgentFigures>>
}

export interface CollectStart {
  target: { kind: "store" | "endpoint"; location: string }
  node: string
  dryRun: boolean
  agents: AgentName[]
  /** Agents looked for (none named) and not found, with where. */
  notFound: Array<{ agent: AgentName; dirs: string[] }>
  watch: boolean
}

export interface CollectEvents {
  onStart?(start: CollectStart): void
  onAgent?(report: AgentReport, dryRun: boolean): void
  /** Said once when --watch waits for another collector's lock. */
  onWaiting?(pid: number | undefined): void
  onRound?(report: CollectReport): void
}

const DEFAULT_INTERVAL_S = 10

async function loadReader(agent: AgentName): Promise<AgentReader> {
  switch (agent) {
    case "opencode":
      return (await import("../collect/readers/opencode.js")).opencodeReader
    case "claude":
      return (await import("../collect/readers/claude.js")).claudeReader
    case "codex":
      return (await import("../collect/readers/codex.js")).codexReader
    case "gemini":
      return (await import("../collect/readers/gemini.js")).geminiReader
  }
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined || value.trim() === "") return undefined
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
}

/** An agent's data folders: the flag, else its environment variable, else its home folder(s). */
export function agentDirs(agent: AgentName, flags: CollectFlags, env: Env = process.env): string[] {
  const home = env.HOME ?? homedir()
  const expand = (dirs: string[]) => dirs.map((d) => expandHome(d, env))
  switch (agent) {
    case "opencode":
      return expand(list(flags.opencodeDir) ?? list(env.OPENCODE_DATA_DIR) ?? [join(xdgDataHome(env), "opencode")])
    case "claude":
      return expand(
        list(flags.claudeDir) ??
          list(env.CLAUDE_CONFIG_DIR) ?? [join(xdgConfigHome(env), "claude"), join(home, ".claude")],
      )
    case "codex":
      return expand(list(flags.codexDir) ?? list(env.CODEX_HOME) ?? [join(home, ".codex")])
    case "gemini":
      return expand(list(flags.geminiDir) ?? list(env.GEMINI_DATA_DIR) ?? [join(home, ".gemini", "tmp")])
  }
}

/** The agents named (checked, each once), or undefined for "every agent whose data is found". */
export function chosenAgents(names: string[]): AgentName[] | undefined {
  if (names.length === 0) return undefined
  const out: AgentName[] = []
  for (const name of names) {
    if (!(AGENT_NAMES as readonly string[]).includes(name)) {
      throw new UsageHubError("BAD_USAGE", `unknown agent "${name}": use ${AGENT_NAMES.join(", ")}`)
    }
    if (!out.includes(name as AgentName)) out.push(name as AgentName)
  }
  return out
}

export function checkInterval(value: number | undefined): number {
  if (value === undefined) return DEFAULT_INTERVAL_S
  if (!Number.isFinite(value) || value <= 0 || value > 86_400) {
    throw new UsageHubError("BAD_USAGE", `--interval: give seconds between 0 and 86400 (got ${value})`)
  }
  return value
}

function figures(report: AgentReport): AgentFigures {
  const { agent: _agent, warnings: _warnings, ...rest } = report
  return rest
}

/** Stop requests (SIGINT/SIGTERM) of a --watch run: the round under way finishes, then the run ends. */
class Stopper {
  stopped = false
  private wake?: () => void
  private readonly onSignal = () => {
    this.stopped = true
    this.wake?.()
  }
  listen(): void {
    process.on("SIGINT", this.onSignal)
    process.on("SIGTERM", this.onSignal)
  }
  unlisten(): void {
    process.off("SIGINT", this.onSignal)
    process.off("SIGTERM", this.onSignal)
  }
  /** Waits `ms`, or less when a stop is requested. */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.wake = () => {
        this.wake = undefined
        done()
      }
    })
  }
}

/**
 * `resolveWriteRun` (write-run.ts), loading zod only when it has something to check: the config schema when a
 * config file or a USAGE_* setting exists, the node rule's messages when the node name is refused. A cron run with
 * nothing new then starts without it (issue 14: a second collect at most 0.1 of the first).
 */
async function resolveCollectRun(flags: CollectFlags, env: Env): Promise<WriteRun> {
  const settings = hasConfigToResolve({ configPath: flags.config, env })
    ? (await import("../config-resolution.js")).resolveSettings({ configPath: flags.config, env })
    : defaultSettings(env)
  const target = resolveWriteTarget(flags, settings, { env })
  const name = flags.node ?? settings.nodeId
  const node = isNodeName(name) ? name : (await import("../import/import-node.js")).importNode(flags.node, settings)
  return { settings, target, node }
}

/**
 * Runs `usage collect`: one round (its report returned), or with --watch rounds until a signal (the last
 * round's report returned).
 */
export async function runCollect(
  flags: CollectFlags,
  events: CollectEvents = {},
  env: Env = process.env,
): Promise<CollectReport> {
  const named = chosenAgents(flags.agents)
  const interval = checkInterval(flags.interval)
  const watch = Boolean(flags.watch)
  const dryRun = Boolean(flags.dryRun)
  if (watch && dryRun) throw new UsageHubError("BAD_USAGE", "--watch and --dry-run do not go together")
  const { settings, target, node } = await resolveCollectRun(flags, env)

  // Which agents: those named, else every one whose folders hold sources.
  const agents: AgentSource[] = []
  const notFound: CollectStart["notFound"] = []
  for (const agent of named ?? AGENT_NAMES) {
    const dirs = agentDirs(agent, flags, env)
    const source: AgentSource = { agent, reader: await loadReader(agent), dirs }
    if (named || (dirs.some((d) => existsSync(d)) && (await findSources(source)).length > 0)) agents.push(source)
    else notFound.push({ agent, dirs })
  }

  if (agents.length === 0) {
    // Nothing to collect: say where it looked, and touch no store, state or spool.
    const info = { kind: target.kind, location: describeSource(target) }
    events.onStart?.({ target: info, node, dryRun, agents: [], notFound, watch })
    return { target: info, node, dryRun, agents: {} }
  }

  const location = target.kind === "endpoint" ? target.url : target.location
  const stateDir = expandHome(flags.stateDir ?? defaultStateDir(env), env)
  const statePath = stateFileFor(stateDir, { kind: target.kind, location })
  const http = settings.usage.http
  const stopper = new Stopper()
  if (watch) stopper.listen()
  const state = await CollectState.load(statePath, target.kind === "endpoint" ? target.url : target.location)
  try {
    if (!dryRun) {
      // One collector per target and node: the second one stops (or, watching, waits its turn).
      let said = false
      for (;;) {
        const got = await state.tryLock()
        if (got.ok) break
        if (!watch) throw busy(got.heldBy)
        if (!said) events.onWaiting?.(got.heldBy)
        said = true
        await stopper.sleep(1000)
        // Stopped before its turn came: nothing collected, a clean end.
        if (stopper.stopped)
          return { target: { kind: target.kind, location: describeSource(target) }, node, dryRun, agents: {} }
      }
    }
    const sink = await openCollectSink(target, {
      dryRun,
      node,
      timeoutMs: http?.timeoutMs ?? 10_000,
      retryAttempts: http?.retryAttempts ?? 3,
      spoolDir: join(stateDir, `spool-${statePath.slice(statePath.lastIndexOf("/") + 1, -".json".length)}`),
    })
    try {
      // The progress bar (and the formatting it loads) only where it is drawn: one run, stdout a terminal.
      const createProgress = !watch && process.stdout.isTTY ? (await import("./progress.js")).createProgress : undefined
      const info = { kind: sink.kind, location: sink.location }
      events.onStart?.({ target: info, node, dryRun, agents: agents.map((a) => a.agent), notFound, watch })
      let report: CollectReport
      for (;;) {
        const reports = await collectRound({
          agents,
          state,
          sink,
          node,
          prices: settings.usage.prices,
          dryRun,
          progress: createProgress && ((agent, total) => createProgress({ label: agent, total, unit: "files" })),
          onAgent: (r) => events.onAgent?.(r, dryRun),
        })
        report = {
          target: info,
          node,
          dryRun,
          agents: Object.fromEntries(reports.map((r) => [r.agent, figures(r)])),
        }
        events.onRound?.(report)
        if (!watch || stopper.stopped) break
        await stopper.sleep(interval * 1000)
        if (stopper.stopped) break
      }
      return report
    } finally {
      await sink.close()
    }
  } finally {
    await state.unlock()
    stopper.unlisten()
  }
}
