/**
 * Helpers shared by the HttpIngestAdapter and spool tests: records, an adapter with short timings, a logger that
 * remembers what it was told, a reader of the dead-letter file, this host's spool tag and a pid that is not
 * running (to name the spool of a dead process).
 */
import { spawn } from "node:child_process"
import { existsSync, readdirSync, readFileSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import { HttpIngestAdapter, type HttpIngestAdapterOptions } from "../../../src/lib/adapters/http-ingest-adapter.js"

export { makeRecord, makeRecords } from "../../helpers/records.js"

/** This host's tag in spool file names (`spool.<host>.<pid>.<rand>.ndjson`). */
export const HOST = hostname()
  .replace(/[^A-Za-z0-9_-]/g, "_")
  .slice(0, 64)

/** A pid that is not running in this PID namespace. */
export function deadPid(): number {
  for (let pid = 4_000_000; ; pid--) {
    try {
      process.kill(pid, 0)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ESRCH") return pid
    }
  }
}

export interface MemoryLogger {
  info(message: string): void
  warn(message: string): void
  error(message: string): void
  lines: string[]
  text(): string
}

export function memoryLogger(): MemoryLogger {
  const lines: string[] = []
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
    text: () => lines.join("\n"),
  }
}

/** An adapter with test timings: short retries, no fsync, the given spool dir. */
export function testAdapter(
  spoolDir: string,
  options: Partial<HttpIngestAdapterOptions> & { endpoint: string },
): HttpIngestAdapter {
  return new HttpIngestAdapter({
    nodeId: "test-node",
    flushIntervalMs: 20,
    timeoutMs: 1000,
    retryAttempts: 2,
    retryBaseMs: 10,
    maxRetryDelayMs: 100,
    fsync: false,
    spoolDir,
    logger: memoryLogger(),
    ...options,
  })
}

/** The dead-letter entries of a spool directory. */
export function deadLetters(dir: string): Array<{ reason: string; status?: number; record: { id: string } }> {
  const path = join(dir, "dead-letter.ndjson")
  if (!existsSync(path)) return []
  return readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l))
}

/** Undelivered lines in all spool files of a directory (ignoring ack sidecars: whole files). */
export function spoolFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => /^spool\..*\.ndjson$/.test(n))
}

/**
 * Runs a node process (http-node-process.ts, lock staleness 2000 ms) that spools `count` records into
 * `spoolDir` it cannot deliver (port 9), and SIGKILLs it once they are all on disk: its spool stays locked
 * until the lock goes stale (about 2 s).
 */
export async function killedNodeProcess(spoolDir: string, count: number): Promise<void> {
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "http-node-process.ts")], {
    env: { ...process.env, SPOOL_DIR: spoolDir, COUNT: String(count), MODE: "hold", PREFIX: "killed" },
    stdio: ["ignore", "pipe", "ignore"],
  })
  try {
    await new Promise<void>((resolve, reject) => {
      let out = ""
      child.stdout!.on("data", (chunk) => {
        out += chunk
        if (out.includes("all-saved\n")) resolve()
      })
      child.once("exit", (code) => reject(new Error(`node process exited early (${code})`)))
    })
  } finally {
    child.kill("SIGKILL")
  }
  await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once("exit", resolve)))
}
