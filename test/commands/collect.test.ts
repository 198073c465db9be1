import { spawn } from "node:child_process"
import { appendFileSync, cpSync, existsSync, readdirSync, statSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { openStoreAt } from "../../src/lib/store/open.js"
import { tempDir } from "../helpers/tmp.js"
import { BIN, cleanEnv, ensureBuilt, lines, ROOT, runCli, startService } from "./helpers.js"

const AGENTS = join(ROOT, "test", "fixtures", "agents")
const DIRS = [
  "--claude-dir",
  join(AGENTS, "claude", "config"),
  "--codex-dir",
  join(AGENTS, "codex", "home"),
  "--opencode-dir",
  join(AGENTS, "opencode", "data"),
  "--gemini-dir",
  join(AGENTS, "gemini", "tmp"),
]

/** Every file under a folder with its size and mtime: to check nothing is written into the agents' folders. */
function listing(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name)
    const st = statSync(path)
    out.push(`${path} ${entry.isFile() ? st.size : "dir"} ${entry.isFile() ? st.mtimeMs : ""}`)
  }
  return out.sort()
}

async function countStored(db: string): Promise<number> {
  const store = await openStoreAt(db, { create: false })
  let n = 0
  for await (const chunk of store.iterate({}, 1000)) n += chunk.length
  await store.close()
  return n
}

/** A Claude Code assistant line (the fixture's format) of a new call. */
function claudeLine(id: string, timestamp: string): string {
  return `${JSON.stringify({
    parentUuid: null,
    isSidechain: false,
    userType: "external",
    cwd: "/home/alice/src/website",
    sessionId: "c41f7a22-93b5-4e08-8d6a-0b1c2d3e4f50",
    version: "2.0.0",
    message: {
      id,
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-20250514",
      content: [{ type: "text", text: "ok" }],
      usage: { input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 5 },
    },
    requestId: `req_${id}`,
    type: "assistant",
    uuid: `uuid-${id}`,
    timestamp,
  })}\n`
}

describe("usage collect", function () {
  this.timeout(60_000)
  before(() => ensureBuilt())

  it("collects every agent's fixture into --db, and a second run adds nothing", async () => {
    const before = listing(AGENTS)
    const work = tempDir()
    const db = join(work, "usage.db")
    const state = ["--state-dir", join(work, "state")]
    const first = await runCli(["collect", "--db", db, ...state, ...DIRS])
    expect(first.code, first.stderr).to.equal(0)
    const out = lines(first.stdout)
    expect(out[0]).to.match(/^Collecting opencode, claude, codex, gemini into store .*usage\.db \(node test-node\)$/)
    expect(out).to.include(
      "claude: 4 files, 15 calls found, 12 new, 3 duplicates, skipped 3 (1 not JSON, 1 sidechain replay, 1 synthetic model)",
    )
    expect(out.some((l) => l.startsWith("codex: 5 files, 11 calls found, 10 new, 1 duplicate,"))).to.equal(true)
    expect(first.stderr).to.match(/^Warning: .*not JSON/m)
    const stored = await countStored(db)
    expect(stored).to.equal(8 + 12 + 10 + 6)

    const second = await runCli(["collect", "--db", db, ...state, ...DIRS])
    expect(second.code, second.stderr).to.equal(0)
    expect(lines(second.stdout).slice(1)).to.deep.equal([
      "opencode: 6 files, 0 calls found, 0 new, 0 duplicates",
      "claude: 4 files, 0 calls found, 0 new, 0 duplicates",
      "codex: 5 files, 0 calls found, 0 new, 0 duplicates",
      "gemini: 3 files, 0 calls found, 0 new, 0 duplicates",
    ])
    expect(await countStored(db)).to.equal(stored)

    // Without its state (another home), every call is read again and found already there.
    const stateless = await runCli(["collect", "--db", db, ...DIRS])
    expect(stateless.code, stateless.stderr).to.equal(0)
    expect(lines(stateless.stdout)).to.include(
      "claude: 4 files, 15 calls found, 0 new, 15 duplicates, skipped 3 (1 not JSON, 1 sidechain replay, 1 synthetic model)",
    )
    expect(await countStored(db)).to.equal(stored)
    expect(listing(AGENTS)).to.deep.equal(before)
  })

  it("--dry-run counts what would be new and writes neither the store nor the state", async () => {
    const work = tempDir()
    const db = join(work, "usage.db")
    const state = join(work, "state")
    const result = await runCli(["collect", "claude", "--db", db, "--state-dir", state, "--dry-run", ...DIRS])
    expect(result.code, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/claude: 4 files, 15 calls found, 12 would be new, 3 duplicates/)
    expect(existsSync(db)).to.equal(false)
    expect(existsSync(state)).to.equal(false)
  })

  it("--json prints the figures per agent", async () => {
    const db = join(tempDir(), "usage.db")
    const result = await runCli(["collect", "codex", "gemini", "--db", db, "--json", ...DIRS])
    expect(result.code, result.stderr).to.equal(0)
    const report = JSON.parse(result.stdout)
    expect(report).to.have.keys(["target", "node", "dryRun", "agents"])
    expect(report.target).to.deep.equal({ kind: "store", location: db })
    expect(Object.keys(report.agents)).to.deep.equal(["codex", "gemini"])
    expect(report.agents.codex).to.deep.equal({
      files: 5,
      calls: 11,
      new: 10,
      duplicates: 1,
      pending: 0,
      skipped: { "not JSON": 1, "subagent replay of the parent's history": 2 },
      notes: { "model assumed gpt-5": 3 },
    })
    expect(report.agents.gemini).to.include({ files: 3, calls: 6, new: 6 })
  })

  it("refuses an unknown agent and a bad --interval as bad usage (exit 2)", async () => {
    const bad = await runCli(["collect", "cursor"])
    expect(bad.code).to.equal(2)
    expect(lines(bad.stderr)[0]).to.equal('Error: unknown agent "cursor": use opencode, claude, codex, gemini')
    const interval = await runCli(["collect", "--watch", "--interval", "soon"])
    expect(interval.code).to.equal(2)
    expect(lines(interval.stderr)[0]).to.equal('Error: --interval: give a number of seconds (got "soon")')
  })

  it("--watch delivers an appended call within one interval, refuses a second collector, and stops on SIGTERM", async () => {
    const work = tempDir()
    const claude = join(work, "claude")
    cpSync(join(AGENTS, "claude", "config"), claude, { recursive: true })
    const db = join(work, "usage.db")
    const args = ["collect", "claude", "--claude-dir", claude, "--db", db, "--state-dir", join(work, "state")]
    const env = cleanEnv()
    const child = spawn(process.execPath, [BIN, ...args, "--watch", "--interval", "1"], { env, stdio: "pipe" })
    let stdout = ""
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8")
    })
    child.stderr.on("data", () => {})
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)))
    const waitFor = async (re: RegExp, ms: number) => {
      const until = Date.now() + ms
      while (!re.test(stdout)) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${re}; stdout: ${stdout}`)
        await new Promise((r) => setTimeout(r, 50))
      }
    }
    try {
      await waitFor(/claude: 4 files, 15 calls found, 12 new/, 20_000)
      // A second collector on the same target is refused while the first runs.
      const second = await runCli(args)
      expect(second.code).to.equal(1)
      expect(lines(second.stderr)[0]).to.equal(`Error: another usage collect is running (pid ${child.pid})`)

      const appendedAt = Date.now()
      appendFileSync(websiteLog(claude), claudeLine("msg_W1", "2026-03-04T10:00:00.000Z"))
      await waitFor(/claude: 4 files, 1 call found, 1 new/, 5_000)
      // Within one interval (1 s), plus a round's work.
      expect(Date.now() - appendedAt).to.be.below(2_500)
    } finally {
      child.kill("SIGTERM")
    }
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), 10_000))])
    expect(code).to.equal(0)
    expect(await countStored(db)).to.equal(13)
    // The state was saved: a one-shot run afterwards finds nothing new.
    const after = await runCli(args)
    expect(after.code, after.stderr).to.equal(0)
    expect(after.stdout).to.include("claude: 4 files, 0 calls found, 0 new, 0 duplicates")
  })
})

/** The log of the fixture's website project (one file). */
function websiteLog(claude: string): string {
  const dir = join(claude, "projects", "-home-alice-src-website")
  return join(dir, readdirSync(dir).find((n) => n.endsWith(".jsonl")) as string)
}

describe("usage collect --endpoint", function () {
  this.timeout(60_000)

  it("delivers through the adapter's spool to the service; again, nothing new", async () => {
    const service = await startService({ db: ":memory:", ingestToken: "ingest-secret" })
    try {
      const work = tempDir()
      const args = ["collect", "codex", "--endpoint", service.url, "--state-dir", join(work, "state"), ...DIRS]
      const env = { env: { USAGE_TOKEN: "ingest-secret" } }
      const first = await runCli([...args, "--json"], env)
      expect(first.code, first.stderr).to.equal(0)
      expect(JSON.parse(first.stdout).agents.codex).to.include({ calls: 11, new: 10, duplicates: 1, pending: 0 })
      const second = await runCli(args, env)
      expect(second.code, second.stderr).to.equal(0)
      expect(second.stdout).to.include("codex: 5 files, 0 calls found, 0 new, 0 duplicates")
      // Without the state: every call read again, all of them already at the service.
      const stateless = await runCli(
        [...args.filter((a, i) => a !== "--state-dir" && args[i - 1] !== "--state-dir")],
        env,
      )
      expect(stateless.stdout).to.include("codex: 5 files, 11 calls found, 0 new, 11 duplicates")
    } finally {
      await service.close()
    }
  })

  it("keeps the calls in its spool and exits 1 when the service cannot be reached; the cursors move on", async () => {
    const work = tempDir()
    const config = join(work, "config.json")
    writeFileSync(config, JSON.stringify({ usage: { http: { timeoutMs: 300, retryAttempts: 0 } } }))
    const args = [
      "collect",
      "gemini",
      "--endpoint",
      "http://127.0.0.1:9",
      "--config",
      config,
      "--state-dir",
      join(work, "state"),
      ...DIRS,
    ]
    const first = await runCli(args)
    expect(first.code).to.equal(1)
    expect(first.stdout).to.include("gemini: 3 files, 6 calls found, 0 new, 0 duplicates, skipped 3")
    expect(first.stdout).to.include("6 pending")
    expect(first.stderr).to.match(
      /^Warning: 6 not delivered yet \(.*\): kept in .*spool-[0-9a-f]+, the next usage collect delivers them$/m,
    )
    // The spool holds them; the next run reads nothing again, and still has them to deliver.
    const second = await runCli(args)
    expect(second.code).to.equal(1)
    expect(second.stdout).to.include("gemini: 3 files, 0 calls found, 0 new, 0 duplicates, 6 pending")
  })
})
