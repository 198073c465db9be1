/**
 * Running the BUILT CLI (`node bin/run.js …`) as a subprocess, in a clean environment: a temporary HOME and
 * XDG directories (no config or store of the machine leaks in), time pinned with USAGE_NOW, TZ set. The CLI
 * is built once per test run when src/ is newer than dist/. Also: records from the legacy fixtures, seeded
 * stores, a real service in process (startServer on port 0) and fresh PostgreSQL databases.
 */
import { execFileSync, spawn } from "node:child_process"
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { parseRecord, type StoredRecord } from "../../src/lib/record.js"
import type { UsageStore } from "../../src/lib/store/store.js"
import { LEGACY_FIXTURES } from "../helpers/fixtures.js"
import { freshDatabase, PG_TEST_URL } from "../helpers/postgres.js"
import { tempDir } from "../helpers/tmp.js"

export const ROOT = fileURLToPath(new URL("../../", import.meta.url))
export const BIN = join(ROOT, "bin", "run.js")
export const FIXTURES = LEGACY_FIXTURES
export const PG_URL = PG_TEST_URL
/** Pinned "now" of the command tests: Thursday 2026-11-12 12:00 UTC. */
export const NOW = "2026-11-12T12:00:00.000Z"

function newestMtime(dir: string, ext: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path, ext))
    else if (entry.name.endsWith(ext)) newest = Math.max(newest, statSync(path).mtimeMs)
  }
  return newest
}

let built = false

/** Builds dist/ (tsc) when a source file is newer than the newest built file. */
export function ensureBuilt(): void {
  if (built) return
  const distCommands = join(ROOT, "dist", "commands")
  const stale =
    !existsSync(distCommands) || newestMtime(join(ROOT, "src"), ".ts") > newestMtime(join(ROOT, "dist"), ".js")
  if (stale) {
    try {
      execFileSync(
        process.execPath,
        [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
        {
          cwd: ROOT,
          stdio: "pipe",
        },
      )
    } catch (error) {
      // Type errors still emit JavaScript; only a missing build is fatal.
      if (!existsSync(join(distCommands, "summary.js"))) throw error
    }
  }
  // bin/run.js starts from the bundle of @oclif/core that the build writes (scripts/bundle-oclif.mjs).
  if (!existsSync(join(ROOT, "dist", "oclif.cjs")))
    execFileSync(process.execPath, [join(ROOT, "scripts", "bundle-oclif.mjs")], { cwd: ROOT, stdio: "pipe" })
  built = true
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

export interface CliOptions {
  env?: Record<string, string | undefined>
  cwd?: string
  input?: string
}

/** A clean environment: own HOME and XDG dirs, pinned clock and zone, no USAGE_* of the caller. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const home = tempDir("usage-hub-cli-home-")
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    XDG_STATE_HOME: join(home, ".local", "state"),
    USAGE_NOW: NOW,
    TZ: "UTC",
    USAGE_NODE: "test-node",
    ...extra,
  }
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined))
}

/** Runs `node bin/run.js ...args` asynchronously (an in-process service can answer meanwhile). */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  ensureBuilt()
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? ROOT,
      env: cleanEnv(options.env),
      stdio: ["pipe", "pipe", "pipe"],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk))
    child.on("error", reject)
    child.on("close", (code) =>
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      }),
    )
    child.stdin.end(options.input ?? "")
  })
}

/** The non-empty lines of a text. */
export function lines(text: string): string[] {
  return text.split("\n").filter((line) => line.trim() !== "")
}

/** The records of a legacy fixture, parsed independently of the import code, stamped with `node`. */
export function fixtureRecords(name: string, node = "test-node"): StoredRecord[] {
  const doc = JSON.parse(readFileSync(join(FIXTURES, name), "utf8")) as { records: unknown[] }
  return doc.records.map((raw) => {
    const parsed = parseRecord(raw)
    if (!parsed.ok) throw new Error(`fixture ${name}: ${parsed.error}`)
    return { ...parsed.record, node: parsed.record.node ?? node }
  })
}

/** A SQLite store file holding `records` (written through the store, not the CLI). */
export async function seededSqlite(records: StoredRecord[]): Promise<string> {
  const { openStore } = await import("../../src/lib/store/index.js")
  const path = join(tempDir(), "usage.db")
  const store = await openStore(path)
  await store.insert(records)
  await store.close()
  return path
}

/** A fresh PostgreSQL database (dropped after the run), or undefined when PostgreSQL is not reachable. */
export const freshPostgres = (): ReturnType<typeof freshDatabase> => freshDatabase(PG_URL)

/** Inserts records into a store at a location (SQLite path or postgres://). */
export async function seedStore(location: string, records: StoredRecord[]): Promise<void> {
  const { openStore } = await import("../../src/lib/store/index.js")
  const store: UsageStore = await openStore(location)
  try {
    await store.insert(records)
  } finally {
    await store.close()
  }
}

/** The real service in this process over a store location, on a free loopback port. */
export async function startService(options: { db: string; readToken?: string; ingestToken?: string; tz?: string }) {
  const { startServer } = await import("../../src/lib/server/start.js")
  const { fixedClock } = await import("../../src/lib/clock.js")
  return startServer({ ...options, port: 0, clock: fixedClock(NOW), tz: options.tz ?? "UTC" })
}
