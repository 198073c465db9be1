import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import { existsSync, statSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { tempDir } from "../helpers/tmp.js"

const ROOT = join(import.meta.dirname, "..", "..")
const BIN = join(ROOT, "bin", "run.js")

interface Running {
  child: ChildProcess
  url: string
  line: string
  stderr: () => string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Runs the BUILT CLI's `usage serve` and waits for its start line. */
async function serve(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", ...args], {
    env: { ...process.env, USAGE_NOW: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let out = ""
  let err = ""
  child.stderr!.on("data", (d) => (err += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  )
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d
      const nl = out.indexOf("\n")
      if (nl >= 0) resolve(out.slice(0, nl))
    })
    exited.then(({ code }) => reject(new Error(`serve exited (${code}) before listening: ${err}`)))
  })
  const url = /listening on (\S+)/.exec(line)![1]
  return { child, url, line, stderr: () => err, exited }
}

const record = (node: string, i: number) => ({
  id: `usage_${node}_${i}`,
  timestamp: new Date(Date.UTC(2026, 10, 20, 10, 0, 0, i)).toISOString(),
  provider: "anthropic",
  model: "claude-sonnet-4-5",
  inputTokens: i,
  outputTokens: 1,
  estimatedCost: 0.001,
  taskType: "primary",
  node,
})

describe("usage serve (built CLI)", function () {
  this.timeout(30_000)

  before(function () {
    if (!existsSync(join(ROOT, "dist", "commands", "serve.js"))) {
      console.log("    (dist/ is not built: run `npm run build` first; skipping the CLI tests)")
      this.skip()
    }
  })

  it("logs one start line with the address and the store, and exits 0 on SIGTERM", async () => {
    const db = join(tempDir(), "nested", "usage.db")
    const svc = await serve(["--db", db])
    expect(svc.line).to.match(/^usage-hub listening on http:\/\/127\.0\.0\.1:\d+ \(sqlite .*usage\.db\)$/)
    expect(svc.line).to.include(db)
    const health = await fetch(`${svc.url}/healthz`)
    expect(((await health.json()) as { store: object }).store).to.include({ kind: "sqlite", status: "ok" })
    svc.child.kill("SIGTERM")
    expect(await svc.exited).to.deep.equal({ code: 0, signal: null })
    expect(svc.stderr()).to.equal("")
  })

  it("exits 0 on SIGINT too, closing the store", async () => {
    const db = join(tempDir(), "usage.db")
    const svc = await serve(["--db", db])
    svc.child.kill("SIGINT")
    expect(await svc.exited).to.deep.equal({ code: 0, signal: null })
    // The store was closed cleanly: the WAL was checkpointed away.
    expect(existsSync(`${db}-wal`)).to.equal(false)
  })

  it("keeps every acknowledged record across kill -9 and a restart", async () => {
    const db = join(tempDir(), "usage.db")
    const first = await serve(["--db", db])
    const acknowledged: string[] = []
    let stop = false
    const senders = Array.from({ length: 4 }, async (_, s) => {
      for (let b = 0; !stop; b++) {
        const batch = Array.from({ length: 100 }, (_, i) => record(`node-${s}`, b * 100 + i))
        try {
          const res = await fetch(`${first.url}/ingest/usage`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(batch),
          })
          if (res.status === 200 && ((await res.json()) as { accepted: number }).accepted === 100)
            acknowledged.push(...batch.map((r) => `${r.node}/${r.id}`))
        } catch {
          return // the service is gone: this batch was not acknowledged
        }
      }
    })
    while (acknowledged.length < 3000) await new Promise((r) => setTimeout(r, 5))
    first.child.kill("SIGKILL")
    stop = true
    expect((await first.exited).signal).to.equal("SIGKILL")
    await Promise.all(senders)

    const second = await serve(["--db", db])
    try {
      const res = await fetch(`${second.url}/api/usage/export?format=ndjson`)
      const stored = new Set(
        (await res.text())
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l))
          .map((r) => `${r.node}/${r.id}`),
      )
      const missing = acknowledged.filter((key) => !stored.has(key))
      expect(missing, `${missing.length} acknowledged records lost`).to.deep.equal([])
      expect(stored.size).to.be.at.least(acknowledged.length)
    } finally {
      second.child.kill("SIGTERM")
      await second.exited
    }
  })

  it("serves :memory: with tokens from the environment", async () => {
    const svc = await serve(["--db", ":memory:"], { USAGE_INGEST_TOKEN: "w1,w2", USAGE_READ_TOKEN: "r1" })
    try {
      expect(svc.line).to.match(/\(sqlite :memory:\)$/)
      const post = (token: string) =>
        fetch(`${svc.url}/ingest/usage`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify(record("n", 1)),
        })
      expect((await post("w2")).status).to.equal(200)
      expect((await post("r1")).status).to.equal(403)
      expect((await fetch(`${svc.url}/api/usage/summary`)).status).to.equal(401)
    } finally {
      svc.child.kill("SIGTERM")
      await svc.exited
    }
  })

  it("re-reads its token files on SIGHUP, and an emptied file revokes every token", async () => {
    const file = join(tempDir(), "ingest.tokens")
    writeFileSync(file, "old-token-0123456789\n")
    const { mtime } = statSync(file)
    const svc = await serve(["--db", ":memory:", "--ingest-token", file], { USAGE_READ_TOKEN: "" })
    const post = async (token: string) =>
      (
        await fetch(`${svc.url}/ingest/usage`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify(record("n", 1)),
        })
      ).status
    try {
      expect(await post("old-token-0123456789")).to.equal(200)
      // Same size, same mtime: only SIGHUP tells the service.
      writeFileSync(file, "new-token-0123456789\n")
      utimesSync(file, mtime, mtime)
      process.kill(svc.child.pid!, "SIGHUP")
      for (let i = 0; i < 100 && !svc.stderr().includes("re-read"); i++) await new Promise((r) => setTimeout(r, 20))
      expect(svc.stderr()).to.contain(`--ingest-token: re-read ${file}: 1 token`)
      expect(await post("new-token-0123456789")).to.equal(200)
      expect(await post("old-token-0123456789")).to.equal(401)
      writeFileSync(file, "# every token revoked\n")
      // The file is checked at most once a second: wait (bounded) until the revocation shows, not a fixed time.
      let status = await post("new-token-0123456789")
      for (let i = 0; i < 60 && status !== 401; i++) {
        await new Promise((r) => setTimeout(r, 50))
        status = await post("new-token-0123456789")
      }
      expect(status).to.equal(401)
      expect(svc.stderr()).to.contain(`${file} holds no token now: every request that needs this token is refused`)
    } finally {
      svc.child.kill("SIGTERM")
      expect((await svc.exited).code).to.equal(0)
    }
  })

  it("refuses a non-loopback address without an ingest token: one line, exit 2", () => {
    const run = spawnSync(process.execPath, [BIN, "serve", "--host", "0.0.0.0", "--db", ":memory:", "--port", "0"], {
      encoding: "utf8",
      env: { ...process.env, USAGE_INGEST_TOKEN: "" },
    })
    expect(run.status).to.equal(2)
    expect(run.stderr.trim().split("\n")).to.have.length(1)
    expect(run.stderr).to.match(/refusing to listen on 0\.0\.0\.0 without an ingest token.*--insecure/)
  })

  it("refuses a token shorter than 16 characters on a non-loopback address: one line, exit 2", () => {
    const run = spawnSync(
      process.execPath,
      [BIN, "serve", "--host", "0.0.0.0", "--db", ":memory:", "--port", "0", "--ingest-token", "a#bcdef"],
      { encoding: "utf8", env: { ...process.env, USAGE_INGEST_TOKEN: "", USAGE_READ_TOKEN: "" } },
    )
    expect(run.status).to.equal(2)
    expect(run.stderr.trim().split("\n")).to.have.length(1)
    expect(run.stderr).to.match(/--ingest-token holds a token shorter than 16 characters.*--insecure/)
    expect(run.stderr).not.to.contain("a#bcdef")
  })

  it("says which address is taken when the port is in use (exit 1)", async () => {
    const svc = await serve(["--db", ":memory:"])
    try {
      const port = new URL(svc.url).port
      const run = spawnSync(process.execPath, [BIN, "serve", "--db", ":memory:", "--port", port], { encoding: "utf8" })
      expect(run.status).to.equal(1)
      expect(run.stderr.trim()).to.equal(`Error: cannot listen on 127.0.0.1:${port}: address already in use`)
    } finally {
      svc.child.kill("SIGTERM")
      await svc.exited
    }
  })
})
