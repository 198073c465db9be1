/**
 * Fault tests of HttpIngestAdapter delivery against the REAL service: the service down then up, killed with
 * SIGKILL mid-stream and restarted, the node process killed while records are buffered, five node processes
 * sharing one spool directory. In each, every record whose saveRecord resolved is counted exactly once.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import { createServer } from "node:net"
import { join } from "node:path"
import { expect } from "chai"
import { HttpIngestAdapter } from "../../../src/lib/adapters/http-ingest-adapter.js"
import type { StoredRecord } from "../../../src/lib/record.js"
import { type RunningServer, startServer } from "../../../src/lib/server/start.js"
import { openStoreAt } from "../../../src/lib/store/open.js"
import type { UsageStore } from "../../../src/lib/store/store.js"
import { tempDir } from "../../helpers/tmp.js"
import { makeRecord, memoryLogger } from "./http-test-helpers.js"

const ROOT = join(import.meta.dirname, "..", "..", "..")
const BIN = join(ROOT, "bin", "run.js")
const NODE_PROCESS = join(import.meta.dirname, "http-node-process.ts")

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once("error", reject)
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

async function identities(store: UsageStore): Promise<string[]> {
  const out: string[] = []
  for await (const chunk of store.iterate({}))
    for (const r of chunk as StoredRecord[]) out.push(`${r.node}/${r.id}/${r.timestamp.getTime()}`)
  return out
}

async function storedIds(store: UsageStore): Promise<string[]> {
  const out: string[] = []
  for await (const chunk of store.iterate({})) for (const r of chunk) out.push(r.id)
  return out.sort()
}

/** Each saved id stored exactly once, and nothing else. */
async function expectExactlyOnce(store: UsageStore, saved: string[]): Promise<void> {
  const ids = await storedIds(store)
  expect(new Set(saved).size).to.equal(saved.length)
  expect(ids).to.deep.equal([...saved].sort())
  const keys = await identities(store)
  expect(new Set(keys).size).to.equal(keys.length)
}

interface Child {
  child: ChildProcess
  saved: string[]
  allSaved: Promise<void>
  exited: Promise<number | null>
  stdout: () => string
  stderr: () => string
}

function nodeProcess(env: Record<string, string>): Child {
  const child = spawn(process.execPath, ["--import", "tsx", NODE_PROCESS], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  })
  const saved: string[] = []
  let out = ""
  let err = ""
  let pending = ""
  let markAllSaved: () => void = () => {}
  const allSaved = new Promise<void>((resolve) => {
    markAllSaved = resolve
  })
  child.stdout!.on("data", (d) => {
    out += d
    pending += d
    const lines = pending.split("\n")
    pending = lines.pop() ?? ""
    for (const line of lines) {
      if (line.startsWith("saved ")) saved.push(line.slice(6))
      if (line === "all-saved") markAllSaved()
    }
  })
  child.stderr!.on("data", (d) => (err += d))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return { child, saved, allSaved, exited, stdout: () => out, stderr: () => err }
}

/** `usage serve` from the built CLI, as its own process (so it can be SIGKILLed). */
async function serveProcess(db: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, "serve", "--db", db, "--port", String(port)], {
    env: { ...process.env, USAGE_INGEST_TOKEN: "", USAGE_READ_TOKEN: "" },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let err = ""
  child.stderr!.on("data", (d) => (err += d))
  await new Promise<void>((resolve, reject) => {
    let out = ""
    child.stdout!.on("data", (d) => {
      out += d
      if (out.includes("listening on")) resolve()
    })
    child.once("exit", (code) => reject(new Error(`serve exited (${code}): ${err}`)))
  })
  return child
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Waits until every spool lock in `dir` is stale for a taker with `staleMs` (a killed process's lock stays). */
async function locksStale(dir: string, staleMs: number): Promise<void> {
  const mtimes = readdirSync(dir)
    .filter((n) => n.endsWith(".lock"))
    .map((n) => statSync(join(dir, n)).mtimeMs)
  if (mtimes.length > 0) await sleep(Math.max(0, Math.max(...mtimes) + staleMs + 100 - Date.now()))
}

describe("HttpIngestAdapter against the real service", function () {
  this.timeout(40_000)
  const cleanup: Array<() => Promise<unknown> | unknown> = []
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn()
  })

  it("delivers everything once when the service comes up after the records were saved", async () => {
    const dir = tempDir("usage-deliv-")
    const port = await freePort()
    const adapter = new HttpIngestAdapter({
      endpoint: `http://127.0.0.1:${port}`,
      nodeId: "n-down-up",
      spoolDir: dir,
      batchSize: 50,
      flushIntervalMs: 20,
      retryBaseMs: 20,
      maxRetryDelayMs: 200,
      fsync: false,
      logger: memoryLogger(),
    })
    cleanup.push(() => adapter.close())
    const saved: string[] = []
    await Promise.all(
      Array.from({ length: 300 }, () => {
        const r = makeRecord()
        return adapter.saveRecord(r).then(() => saved.push(r.id))
      }),
    )
    await adapter.flush({ timeoutMs: 300 })
    expect(adapter.stats().pending).to.equal(300)
    expect(adapter.stats().failedAttempts).to.be.greaterThan(0)

    const store = await openStoreAt(join(dir, "central.db"), { create: true })
    const server = await startServer({ store, host: "127.0.0.1", port, tz: "UTC" })
    cleanup.push(() => store.close())
    cleanup.push(() => server.close())
    await adapter.flush({ timeoutMs: 10_000 })
    expect(adapter.stats()).to.include({ pending: 0, acknowledged: 300, deadLettered: 0 })
    await expectExactlyOnce(store, saved)
  })

  it("loses nothing and counts nothing twice when the service is SIGKILLed mid-stream and restarted", async function () {
    if (!existsSync(join(ROOT, "dist", "commands", "serve.js"))) {
      console.log("    (dist/ is not built: run `npm run build`; skipping the SIGKILL service test)")
      this.skip()
    }
    const dir = tempDir("usage-kill-")
    const db = join(dir, "central.db")
    const port = await freePort()
    let service = await serveProcess(db, port)
    cleanup.push(() => service.kill("SIGKILL"))
    const adapter = new HttpIngestAdapter({
      endpoint: `http://127.0.0.1:${port}`,
      nodeId: "n-kill",
      spoolDir: dir,
      batchSize: 25,
      flushIntervalMs: 5,
      retryBaseMs: 20,
      maxRetryDelayMs: 150,
      timeoutMs: 2000,
      fsync: false,
      logger: memoryLogger(),
    })
    cleanup.push(() => adapter.close())
    const saved: string[] = []
    const saves: Promise<void>[] = []
    const produce = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const r = makeRecord()
        saves.push(adapter.saveRecord(r).then(() => void saved.push(r.id)))
        if (i % 20 === 0) await sleep(2)
      }
    }
    const streaming = produce(1500)
    // Kill the service once part of the stream has been acknowledged.
    while (adapter.stats().acknowledged < 200) await sleep(5)
    service.kill("SIGKILL")
    await new Promise((r) => service.once("exit", r))
    await sleep(300)
    service = await serveProcess(db, port)
    await streaming
    await Promise.all(saves)
    while (adapter.stats().pending > 0) await adapter.flush({ timeoutMs: 10_000 })
    expect(adapter.stats().failedAttempts).to.be.greaterThan(0)
    service.kill("SIGTERM")
    await new Promise((r) => service.once("exit", r))
    const store = await openStoreAt(db, { create: false })
    cleanup.push(() => store.close())
    expect(saved).to.have.length(1500)
    await expectExactlyOnce(store, saved)
  })

  describe("node processes", () => {
    let store: UsageStore
    let server: RunningServer
    beforeEach(async () => {
      store = await openStoreAt(":memory:", { create: true })
      server = await startServer({ store, host: "127.0.0.1", port: 0, tz: "UTC" })
    })
    afterEach(async () => {
      await server.close()
      await store.close()
    })

    it("a node process SIGKILLed with records buffered loses none: the next process drains its spool", async () => {
      const dir = tempDir("usage-nodekill-")
      // Records stay buffered: nothing is sent before a minute or 10,000 records.
      const first = nodeProcess({
        ENDPOINT: server.url,
        SPOOL_DIR: dir,
        COUNT: "500",
        PREFIX: "buffered",
        FLUSH_MS: "60000",
        BATCH: "10000",
        MODE: "hold",
        NODE_ID: "n-killed",
      })
      cleanup.push(() => first.child.kill("SIGKILL"))
      await first.allSaved
      first.child.kill("SIGKILL")
      await first.exited
      expect((await store.stats()).records).to.equal(0)
      // Its lock stays behind; the next process takes the spool over once that lock is stale (2 s in the child),
      // never on the strength of the pid alone (it could be alive in another PID namespace).
      await locksStale(dir, 2000)
      const second = nodeProcess({ ENDPOINT: server.url, SPOOL_DIR: dir, COUNT: "0", MODE: "drain", NODE_ID: "n-next" })
      cleanup.push(() => second.child.kill("SIGKILL"))
      expect(await second.exited, second.stderr()).to.equal(0)
      const stats = JSON.parse(/stats (.*)/.exec(second.stdout())![1])
      expect(stats).to.include({ takenOver: 500, pending: 0 })
      expect(first.saved).to.have.length(500)
      await expectExactlyOnce(store, first.saved)
    })

    it("five node processes sharing a spool directory each deliver all their records once", async () => {
      const dir = tempDir("usage-five-")
      const nodes = Array.from({ length: 5 }, (_, i) =>
        nodeProcess({
          ENDPOINT: server.url,
          SPOOL_DIR: dir,
          COUNT: "400",
          PREFIX: `five${i}`,
          NODE_ID: `node-${i}`,
          INTERVAL_MS: "1",
          BATCH: "40",
          MODE: "drain",
        }),
      )
      for (const n of nodes) cleanup.push(() => n.child.kill("SIGKILL"))
      const codes = await Promise.all(nodes.map((n) => n.exited))
      expect(codes, nodes.map((n) => n.stderr()).join("\n")).to.deep.equal([0, 0, 0, 0, 0])
      const saved = nodes.flatMap((n) => n.saved)
      expect(saved).to.have.length(2000)
      await expectExactlyOnce(store, saved)
      const summary = (await (await fetch(`${server.url}/api/usage/summary?since=2026-01-01`)).json()) as {
        nodes: string[]
      }
      expect(summary.nodes).to.deep.equal(["node-0", "node-1", "node-2", "node-3", "node-4"])
    })
  })
})
