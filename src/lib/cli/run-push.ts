/**
 * `usage push`: what the command does once its flags are parsed. Picks the sources (the files; none: a piped
 * stdin, or with `--spool-dir` only that directory's spools), resolves the endpoint (`--endpoint`,
 * USAGE_ENDPOINT, else `usage.http.endpoint`; one rule: src/lib/endpoint.ts), the token, the node and the
 * spool directory over environment and config, then delivers through `pushUsage` (src/lib/import/push.ts)
 * with a progress line on stderr when asked. Warnings from the delivery go to stderr, one line each.
 */
import type { Readable } from "node:stream"
import { type Env, expandHome, resolveSettings } from "../config-resolution.js"
import { checkEndpoint } from "../endpoint.js"
import { UsageHubError } from "../errors.js"
import { importNode } from "../import/import-node.js"
import { type PushResult, pushUsage } from "../import/push.js"
import { createProgress } from "./progress.js"

export interface PushFlags {
  /** Paths, or "-" for NDJSON on stdin. None: stdin when piped, or only `spool-dir` when given. */
  files: string[]
  endpoint?: string
  token?: string
  node?: string
  config?: string
  "spool-dir"?: string
  /** Records per request (default 5000). */
  "batch-size"?: number
  /** Seconds to keep retrying while the service makes no progress (default 10). */
  wait?: number
}

export interface PushIo {
  /** Default process.stdin: read for "-"; a terminal there, with no files, is bad usage. */
  stdin?: Readable & { isTTY?: boolean }
  /** Show a progress line on stderr (a terminal, and not --json). */
  progress?: boolean
  /** Default process.env (USAGE_SPOOL_STALE_MS; the config's layering reads process.env). */
  env?: Env
  /** Per request, ms (default the config's http.timeoutMs). */
  timeoutMs?: number
}

const NOTHING_TO_PUSH =
  "nothing to push: give legacy JSON or NDJSON files, - to read NDJSON from stdin, or --spool-dir DIR to drain a spool directory"

export async function runPush(flags: PushFlags, io: PushIo = {}): Promise<PushResult> {
  const stdin = io.stdin ?? process.stdin
  const env = io.env ?? process.env
  let sources = flags.files
  // No files: with --spool-dir, only drain that directory (stdin is not read: safe from cron); else a piped
  // stdin is read as -.
  if (sources.length === 0 && !flags["spool-dir"]) {
    if (stdin.isTTY) throw new UsageHubError("BAD_USAGE", NOTHING_TO_PUSH)
    sources = ["-"]
  }
  const settings = resolveSettings({ configPath: flags.config, env })
  const node = importNode(flags.node, settings)
  const http = settings.usage.http
  const endpoint = flags.endpoint ?? http?.endpoint
  if (!endpoint) {
    throw new UsageHubError(
      "BAD_USAGE",
      "no service to push to: pass --endpoint URL, or set USAGE_ENDPOINT or usage.http.endpoint in the config",
    )
  }
  const checked = checkEndpoint(
    endpoint,
    flags.endpoint !== undefined ? "--endpoint" : env.USAGE_ENDPOINT ? "USAGE_ENDPOINT" : "usage.http.endpoint",
  )
  const spoolDir = flags["spool-dir"] ?? http?.spoolDir
  const progress = createProgress({ label: "push", enabled: Boolean(io.progress) })
  const say = (message: string) => {
    progress.done()
    process.stderr.write(`${message}\n`)
  }
  try {
    return await pushUsage({
      staleMs: staleMsFromEnv(env),
      sources,
      endpoint: checked,
      token: flags.token ?? http?.token,
      node,
      spoolDir: spoolDir ? expandHome(spoolDir, env) : undefined,
      batchSize: flags["batch-size"],
      timeoutMs: io.timeoutMs ?? http?.timeoutMs,
      waitMs: flags.wait === undefined ? undefined : flags.wait * 1000,
      stdin,
      onProgress: (p) => progress.update(p.delivered, p.delivered + p.pending),
      logger: { warn: say, error: say },
    })
  } finally {
    progress.done()
  }
}

/** `USAGE_SPOOL_STALE_MS`: the spool lock staleness of a directory whose processes use another than 10 s (tests). */
function staleMsFromEnv(env: Env): number | undefined {
  const raw = env.USAGE_SPOOL_STALE_MS
  if (raw === undefined || raw === "") return undefined
  const ms = Number(raw)
  if (!Number.isSafeInteger(ms) || ms < 2000) {
    throw new UsageHubError("BAD_USAGE", `USAGE_SPOOL_STALE_MS must be a whole number of ms, at least 2000: ${raw}`)
  }
  return ms
}
