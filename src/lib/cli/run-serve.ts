/**
 * `usage serve`: what the command does once its flags are parsed: runs the service (src/lib/server/run.ts:
 * settings, start, signals, retention, shutdown) with its start line and retention lines on stdout and its
 * warnings on stderr, one line each. The service reads its environment variables (USAGE_DB, USAGE_INGEST_TOKEN,
 * USAGE_READ_TOKEN, USAGE_SQLITE_SYNCHRONOUS, USAGE_RETAIN, USAGE_CONFIG) in src/lib/server/settings.ts, after
 * the flags.
 */
import type { ConnectionFlags } from "../server/connection-limits.js"
import { runService, type ServeIo, type ServeResult, type StreamFlags } from "../server/run.js"
import type { ServeFlags } from "../server/settings.js"

export type ServeCommandFlags = ServeFlags & ConnectionFlags & StreamFlags

export function runServe(flags: ServeCommandFlags, io: Partial<ServeIo> = {}): Promise<ServeResult> {
  return runService(flags, {
    log: (line) => process.stdout.write(`${line}\n`),
    warn: (line) => process.stderr.write(`${line}\n`),
    ...io,
  })
}
