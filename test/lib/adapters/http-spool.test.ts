import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import nock from "nock"
import type { HttpIngestAdapter } from "../../../src/lib/adapters/http-ingest-adapter.js"
import { Spool } from "../../../src/lib/adapters/spool.js"
import { removeDir, tempDir } from "../../helpers/tmp.js"
import {
  deadPid,
  HOST,
  type MemoryLogger,
  makeRecords,
  memoryLogger,
  spoolFiles,
  testAdapter,
} from "./http-test-helpers.js"

const BASE = "http://spool.test:3001"
type Body = { records: Array<{ id: string }> }

function collect(received: string[]) {
  return (_uri: string, body: unknown): [number, unknown] => {
    const ids = (body as Body).records.map((r) => r.id)
    received.push(...ids)
    return [200, { accepted: ids.length, duplicates: 0, rejected: [] }]
  }
}

function wireLine(id: string): string {
  return JSON.stringify({
    id,
    timestamp: "2026-11-20T10:00:00.000Z",
    provider: "anthropic",
    model: "claude-sonnet-4-5",
    inputTokens: 1,
    outputTokens: 1,
    estimatedCost: 0.001,
    taskType: "primary",
    node: "old",
  })
}

function startChild(env: Record<string, string>): { child: ChildProcess; saved: string[]; lines: Promise<void> } {
  const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "http-node-process.ts")], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  })
  const saved: string[] = []
  let buffer = ""
  const lines = new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk) => {
      buffer += chunk
      let nl = buffer.indexOf("\n")
      while (nl !== -1) {
        const line = buffer.slice(0, nl)
        buffer = buffer.slice(nl + 1)
        if (line.startsWith("saved ")) saved.push(line.slice(6))
        if (line === "all-saved") resolve()
        nl = buffer.indexOf("\n")
      }
    })
    child.once("exit", (code) => reject(new Error(`child exited early (${code})`)))
  })
  return { child, saved, lines }
}

describe("HttpIngestAdapter spool", () => {
  let dir: string
  let logger: MemoryLogger
  const adapters: HttpIngestAdapter[] = []

  before(() => nock.disableNetConnect())
  after(() => nock.enableNetConnect())
  beforeEach(() => {
    dir = tempDir()
    logger = memoryLogger()
  })
  afterEach(async () => {
    for (const a of adapters.splice(0)) await a.close()
    nock.cleanAll()
    removeDir(dir)
  })

  describe("the spool file", () => {
    it("groups appends into one write, reads lines back and truncates once everything is acknowledged", async () => {
      const written: number[] = []
      const spool = await Spool.open({ dir, fsync: false, logger, onWritten: (lines) => written.push(lines.length) })
      await Promise.all(["a", "b", "c"].map((id) => spool.append(wireLine(id))))
      expect(written).to.deep.equal([3])
      const { lines, ends } = await spool.read(0, 10)
      expect(lines.map((l) => JSON.parse(l).id)).to.deep.equal(["a", "b", "c"])
      await spool.acknowledge(ends[0])
      expect(readFileSync(`${spool.path}.ack`, "utf8")).to.equal(String(ends[0]))
      await spool.acknowledge(ends[2])
      expect(readFileSync(spool.path, "utf8")).to.equal("")
      await spool.append(wireLine("d"))
      const after = await spool.read(ends[2], 10)
      expect(after.lines.map((l) => JSON.parse(l).id)).to.deep.equal(["d"])
      await spool.close()
    })

    it("rewrites a large acknowledged prefix away, keeping offsets valid", async () => {
      const spool = await Spool.open({ dir, fsync: false, logger, compactBytes: 200 })
      const ids = Array.from({ length: 10 }, (_, i) => `r${i}`)
      await Promise.all(ids.map((id) => spool.append(wireLine(id))))
      const { ends } = await spool.read(0, 10)
      await spool.acknowledge(ends[5])
      const onDisk = readFileSync(spool.path, "utf8").trim().split("\n")
      expect(onDisk.map((l) => JSON.parse(l).id)).to.deep.equal(ids.slice(6))
      expect(readFileSync(`${spool.path}.ack`, "utf8")).to.equal("0")
      const rest = await spool.read(ends[5], 10)
      expect(rest.lines.map((l) => JSON.parse(l).id)).to.deep.equal(ids.slice(6))
      expect(rest.ends[3]).to.equal(ends[9])
      await spool.close()
    })

    it("refuses appends over its size cap", async () => {
      const spool = await Spool.open({ dir, fsync: false, logger, maxBytes: 300 })
      const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => spool.append(wireLine(`x${i}`))))
      expect(results.map((r) => r.status)).to.include("rejected")
      expect(results[0].status).to.equal("fulfilled")
      await spool.close()
    })

    it("is deleted on close when everything was acknowledged, and kept otherwise", async () => {
      const a = await Spool.open({ dir, fsync: false, logger })
      await a.append(wireLine("a"))
      await a.close()
      const b = await Spool.open({ dir, fsync: false, logger })
      await b.append(wireLine("b"))
      const { ends } = await b.read(0, 1)
      await b.acknowledge(ends[0])
      await b.close()
      expect(spoolFiles(dir)).to.deep.equal([a.path.split("/").pop()])
    })
  })

  it("replays a spool left by an earlier run and delivers it", async () => {
    const down = nock(BASE).post("/ingest/usage").replyWithError({ code: "ECONNREFUSED", message: "refused" })
    const first = testAdapter(dir, { endpoint: BASE, logger, retryAttempts: 0, retryBaseMs: 500 })
    const records = makeRecords(4)
    await Promise.all(records.map((r) => first.saveRecord(r)))
    await first.flush({ timeoutMs: 50 })
    await first.close()
    down.done()
    expect(first.stats().pending).to.equal(4)
    const received: string[] = []
    const up = nock(BASE).post("/ingest/usage").reply(collect(received))
    const second = testAdapter(dir, { endpoint: BASE, logger })
    adapters.push(second)
    await second.init()
    await second.flush({ timeoutMs: 5000 })
    up.done()
    expect(received).to.deep.equal(records.map((r) => r.id))
    expect(second.stats()).to.include({ takenOver: 4, pending: 0 })
    expect(spoolFiles(dir)).to.deep.equal([second.spoolPath!.split("/").pop()])
  })

  it("skips a torn last line left by a crash, and delivers the complete ones", async () => {
    const orphan = join(dir, `spool.${HOST}.${deadPid()}.deadbeef.ndjson`)
    writeFileSync(orphan, `${wireLine("ok1")}\n${wireLine("ok2")}\n{"id":"usage_torn","timest`)
    const received: string[] = []
    const up = nock(BASE).post("/ingest/usage").reply(collect(received))
    const adapter = testAdapter(dir, { endpoint: BASE, logger })
    adapters.push(adapter)
    await adapter.init()
    await adapter.flush({ timeoutMs: 5000 })
    up.done()
    expect(received).to.deep.equal(["ok1", "ok2"])
    expect(logger.text()).to.match(/torn last line/)
    expect(spoolFiles(dir)).to.have.length(1)
  })

  it("resumes a dead spool after its acknowledged offset", async () => {
    const orphan = join(dir, `spool.${HOST}.${deadPid()}.cafe.ndjson`)
    const acked = `${wireLine("done1")}\n`
    writeFileSync(orphan, `${acked}${wireLine("todo1")}\n`)
    writeFileSync(`${orphan}.ack`, String(Buffer.byteLength(acked)))
    const received: string[] = []
    const up = nock(BASE).post("/ingest/usage").reply(collect(received))
    const adapter = testAdapter(dir, { endpoint: BASE, logger })
    adapters.push(adapter)
    await adapter.init()
    await adapter.flush({ timeoutMs: 5000 })
    up.done()
    expect(received).to.deep.equal(["todo1"])
  })

  it("takes over a spool whose lock went stale (another host), not one whose lock is fresh", async () => {
    const stale = join(dir, "spool.otherhost.123.aaaa.ndjson")
    const fresh = join(dir, "spool.otherhost.124.bbbb.ndjson")
    writeFileSync(stale, `${wireLine("from-stale")}\n`)
    writeFileSync(fresh, `${wireLine("from-fresh")}\n`)
    mkdirSync(`${stale}.lock`)
    mkdirSync(`${fresh}.lock`)
    const old = new Date(Date.now() - 60_000)
    utimesSync(`${stale}.lock`, old, old)
    const received: string[] = []
    const up = nock(BASE).post("/ingest/usage").reply(collect(received))
    const adapter = testAdapter(dir, { endpoint: BASE, logger, staleMs: 5000 })
    adapters.push(adapter)
    await adapter.init()
    await adapter.flush({ timeoutMs: 5000 })
    up.done()
    expect(received).to.deep.equal(["from-stale"])
    expect(spoolFiles(dir)).to.include("spool.otherhost.124.bbbb.ndjson")
    expect(spoolFiles(dir)).to.not.include("spool.otherhost.123.aaaa.ndjson")
  })

  it("takes over a spool whose pid looks dead as soon as its lock goes stale, not at the next periodic look", async function () {
    this.timeout(20_000)
    const orphan = join(dir, `spool.${HOST}.${deadPid()}.feed.ndjson`)
    writeFileSync(orphan, `${wireLine("after-stale")}\n`)
    mkdirSync(`${orphan}.lock`)
    const received: string[] = []
    const up = nock(BASE).post("/ingest/usage").reply(collect(received))
    const adapter = testAdapter(dir, { endpoint: BASE, logger, staleMs: 2000, takeoverIntervalMs: 600_000 })
    adapters.push(adapter)
    await adapter.init()
    // Its lock is fresh: it may belong to a live process in another PID namespace.
    expect(adapter.stats().takenOver).to.equal(0)
    const deadline = Date.now() + 10_000
    while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    up.done()
    expect(received).to.deep.equal(["after-stale"])
    expect(adapter.stats().takenOver).to.equal(1)
  })

  describe("flush and the spools of killed processes", () => {
    it("delivers the spool of a process killed just before, waiting for its lock to go stale", async function () {
      this.timeout(20_000)
      const { child, saved, lines } = startChild({ SPOOL_DIR: dir, COUNT: "20", MODE: "hold", PREFIX: "killed" })
      try {
        await lines
        child.kill("SIGKILL")
        await new Promise((r) => child.once("exit", r))
        const received: string[] = []
        nock(BASE).persist().post("/ingest/usage").reply(collect(received))
        // No periodic look during the test: only flush may find it. The child's lock (staleMs 2000) is fresh.
        const adapter = testAdapter(dir, { endpoint: BASE, logger, staleMs: 2000, takeoverIntervalMs: 600_000 })
        adapters.push(adapter)
        await adapter.init()
        expect(adapter.stats().takenOver).to.equal(0)
        const started = Date.now()
        await adapter.flush({ timeoutMs: 5000 })
        expect(Date.now() - started).to.be.lessThan(4500)
        expect(received.sort()).to.deep.equal([...saved].sort())
        expect(saved).to.have.length(20)
        expect(adapter.stats()).to.include({ takenOver: 20, pending: 0 })
        expect(spoolFiles(dir)).to.deep.equal([adapter.spoolPath!.split("/").pop()])
      } finally {
        child.kill("SIGKILL")
      }
    })

    it("does not wait for the spool of a live process", async function () {
      this.timeout(20_000)
      const { child, lines } = startChild({ SPOOL_DIR: dir, COUNT: "5", MODE: "hold", PREFIX: "alive" })
      try {
        await lines
        const childSpools = spoolFiles(dir)
        expect(childSpools).to.have.length(1)
        const adapter = testAdapter(dir, { endpoint: BASE, logger, staleMs: 2000, takeoverIntervalMs: 600_000 })
        adapters.push(adapter)
        const received: string[] = []
        nock(BASE).post("/ingest/usage").reply(collect(received))
        await adapter.saveRecord(makeRecords(1)[0])
        const started = Date.now()
        await adapter.flush({ timeoutMs: 4000 })
        expect(Date.now() - started).to.be.lessThan(1500)
        expect(received).to.have.length(1)
        expect(adapter.stats().takenOver).to.equal(0)
        expect(spoolFiles(dir)).to.include(childSpools[0])
      } finally {
        child.kill("SIGKILL")
      }
    })

    it("does not wait past its deadline for a lock that goes stale later", async () => {
      const orphan = join(dir, `spool.${HOST}.${deadPid()}.1a7e.ndjson`)
      writeFileSync(orphan, `${wireLine("too-late")}\n`)
      mkdirSync(`${orphan}.lock`)
      const adapter = testAdapter(dir, { endpoint: BASE, logger, staleMs: 5000, takeoverIntervalMs: 600_000 })
      adapters.push(adapter)
      const started = Date.now()
      await adapter.flush({ timeoutMs: 1000 })
      expect(Date.now() - started).to.be.lessThan(500)
      expect(adapter.stats().takenOver).to.equal(0)
      expect(spoolFiles(dir)).to.include(orphan.split("/").pop())
    })
  })

  it("gives each process its own locked spool, and drains a killed process's spool", async function () {
    this.timeout(30_000)
    // The child cannot reach any service (port 9): its records stay in its own spool.
    const { child, saved, lines } = startChild({
      SPOOL_DIR: dir,
      ENDPOINT: "http://127.0.0.1:9",
      COUNT: "20",
      MODE: "hold",
      PREFIX: "child",
    })
    try {
      await lines
      const childSpools = spoolFiles(dir)
      expect(childSpools).to.have.length(1)
      const received: string[] = []
      const up = nock(BASE).post("/ingest/usage").times(2).reply(collect(received))
      // The killed child's lock (staleMs 2000 in the child) goes stale 2 s after its last refresh.
      const adapter = testAdapter(dir, { endpoint: BASE, logger, takeoverIntervalMs: 100, staleMs: 2000 })
      adapters.push(adapter)
      const mine = makeRecords(3)
      await Promise.all(mine.map((r) => adapter.saveRecord(r)))
      await adapter.flush({ timeoutMs: 5000 })
      // The live child's spool is left alone.
      expect(received).to.deep.equal(mine.map((r) => r.id))
      expect(spoolFiles(dir)).to.include(childSpools[0])
      child.kill("SIGKILL")
      await new Promise((r) => child.once("exit", r))
      const deadline = Date.now() + 10_000
      while (received.length < 23 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
      up.done()
      expect(received.slice(3).sort()).to.deep.equal([...saved].sort())
      expect(saved).to.have.length(20)
      expect(spoolFiles(dir)).to.not.include(childSpools[0])
    } finally {
      child.kill("SIGKILL")
    }
  })
})
