/**
 * Starts the real service for a benchmark: `node bin/run.js serve --db … --port 0` as a child process (the
 * same code path as production: oclif, settings, store, fastify), returning its URL and pid (to sample RSS).
 * Also the bare node:http reference server. Children run with TZ=UTC and, when given, USAGE_NOW, so query
 * results do not depend on the machine's zone or the day the benchmark runs.
 */
import { fileURLToPath } from "node:url"
import { startProcess } from "./proc.js"

export const ROOT = fileURLToPath(new URL("../../", import.meta.url))
export const BIN = fileURLToPath(new URL("../../bin/run.js", import.meta.url))
const BARE = fileURLToPath(new URL("./bare-http-server.js", import.meta.url))

export function childEnv(extra = {}) {
  const env = { ...process.env, TZ: "UTC", ...extra }
  // A developer's own config or store must not leak into the measurements.
  for (const key of [
    "USAGE_DB",
    "USAGE_ENDPOINT",
    "USAGE_CONFIG",
    "USAGE_TOKEN",
    "USAGE_INGEST_TOKEN",
    "USAGE_READ_TOKEN",
  ]) {
    if (!(key in extra)) delete env[key]
  }
  env.XDG_CONFIG_HOME = extra.XDG_CONFIG_HOME ?? fileURLToPath(new URL("../results/tmp/xdg-config", import.meta.url))
  env.NODE_ENV = "production"
  return env
}

/** `usage serve` on `db`; resolves once it listens. */
export function startService({ db, now, extraArgs = [], nodeArgs = [] }) {
  return startProcess(
    process.execPath,
    [...nodeArgs, BIN, "serve", "--db", db, "--port", "0", "--log-level", "warn", ...extraArgs],
    {
      cwd: ROOT,
      env: childEnv(now ? { USAGE_NOW: now } : {}),
      ready: /listening on (https?:\/\/\S+)/,
    },
  )
}

export function startBareServer() {
  return startProcess(process.execPath, [BARE], { cwd: ROOT, env: childEnv(), ready: /listening on (http:\/\/\S+)/ })
}
