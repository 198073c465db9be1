import { spawn } from "node:child_process"
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { hostname } from "node:os"
import { join } from "node:path"
import { expect } from "chai"
import type { StoredRecord } from "../../src/lib/record.js"
import { type RunningServer, startServer } from "../../src/lib/server/start.js"
import { openStoreAt } from "../../src/lib/store/open.js"
import type { UsageStore } from "../../src/lib/store/store.js"
import { LEGACY_FIXTURES } from "../helpers/fixtures.js"
import { tempDir } from "../helpers/tmp.js"
import { killedNodeProcess } from "../lib/adapters/http-test-helpers.js"

const ROOT = join(import.meta.dirname, "..", "..")
const BIN = join(ROOT, "bin", "run.js")
const LEGACY = LEGACY_FIXTURES

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

interface UsageOptions {
  env?: Record<string, string>
  /** Piped to stdin, then closed (default ""). */
  input?: string
  /** stdin is /dev/null instead of a pipe. */
  devNull?: boolean
  /** stdin is a pipe that is never closed (reading it would hang). */
  openStdin?: boolean
  state: string
  /** Killed after this long (a hang fails the test instead of stalling it); code is then null. Default 20 s. */
  timeoutMs?: number
}

/** Runs the BUILT CLI with its own config/state dirs (no config file, an empty spool). */
function usage(args: string[], options: UsageOptions): Promise<Run> {
  return new Promise((resolve) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      XDG_STATE_HOME: options.state,
      XDG_CONFIG_HOME: join(options.state, "config"),
      ...options.env,
    }
    for (const key of Object.keys(env)) if (key.startsWith("USAGE_") && !options.env?.[key]) delete env[key]
    const devNull = options.devNull ? openSync("/dev/null", "r") : undefined
    const child = spawn(process.execPath, [BIN, ...args], {
      env,
      stdio: [devNull ?? "pipe", "pipe", "pipe"],
    })
    if (devNull !== undefined) closeSync(devNull)
    let stdout = ""
    let stderr = ""
    child.stdout!.on("data", (d) => (stdout += d))
    child.stderr!.on("data", (d) => (stderr += d))
    if (!options.openStdin) child.stdin?.end(options.input ?? "")
    const timer = setTimeout(() => {
      stderr += `\n(killed: still running after ${options.timeoutMs ?? 20_000} ms)`
      child.kill("SIGKILL")
    }, options.timeoutMs ?? 20_000)
    child.on("exit", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

const lines = (text: string) => text.split("\n").filter((line) => line.trim() !== "")

function legacyCount(name: string): number {
  return JSON.parse(readFileSync(join(LEGACY, name), "utf8")).records.length
}

async function storedRecords(store: UsageStore): Promise<StoredRecord[]> {
  const out: StoredRecord[] = []
  for await (const chunk of store.iterate({})) out.push(...(chunk as StoredRecord[]))
  return out
}

const ndjsonRecord = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: `usage_nd_${i}`,
    timestamp: new Date(Date.UTC(2026, 10, 20, 9, 0, i)).toISOString(),
    provider: "openai",
    model: "gpt-5.2",
    inputTokens: 10,
    outputTokens: 2,
    estimatedCost: 0.0002,
    taskType: "subagent",
    ...extra,
  })

describe("usage push (built CLI)", function () {
  this.timeout(30_000)
  let store: UsageStore
  let server: RunningServer
  let state: string

  before(function () {
    if (!existsSync(join(ROOT, "dist", "commands", "push.js"))) {
      console.log("    (dist/ is not built: run `npm run build` first; skipping the push CLI tests)")
      this.skip()
    }
  })
  beforeEach(async () => {
    state = tempDir("usage-push-")
    store = await openStoreAt(":memory:", { create: true })
    server = await startServer({ store, host: "127.0.0.1", port: 0, tz: "UTC", ingestToken: "in-token" })
  })
  afterEach(async () => {
    await server.close()
    await store.close()
  })

  it("sends legacy files with --node, reports what was accepted, and counts nothing twice on a second push", async () => {
    const files = [join(LEGACY, "small.json"), join(LEGACY, "shared-ids.json")]
    const total = legacyCount("small.json") + legacyCount("shared-ids.json")
    const first = await usage(
      ["push", ...files, "--endpoint", server.url, "--token", "in-token", "--node", "build-07", "--json"],
      {
        state,
      },
    )
    expect(first.code, first.stderr).to.equal(0)
    const report = JSON.parse(first.stdout)
    expect(report).to.include({
      read: total,
      accepted: total,
      duplicates: 0,
      rejected: 0,
      pending: 0,
      node: "build-07",
    })
    expect(report.sources.map((s: { format: string }) => s.format)).to.deep.equal(["legacy", "legacy"])
    const stored = await storedRecords(store)
    expect(stored).to.have.length(total)
    expect(new Set(stored.map((r) => r.node))).to.deep.equal(new Set(["build-07"]))

    const again = await usage(
      ["push", files[0], "--endpoint", server.url, "--token", "in-token", "--node", "build-07"],
      {
        state,
      },
    )
    expect(again.code, again.stderr).to.equal(0)
    expect(again.stdout).to.match(/accepted:\s+0\n\s+duplicates: 60/)
    expect((await store.stats()).records).to.equal(total)
  })

  it("reads NDJSON on stdin, keeps a record's own node, stamps the hostname on the others and reports rejected lines", async () => {
    const input = [
      ndjsonRecord(1),
      ndjsonRecord(2, { node: "laptop" }),
      "{oops",
      ndjsonRecord(3, { inputTokens: -5 }),
    ].join("\n")
    const run = await usage(["push", "-", "--endpoint", server.url, "--token", "in-token"], { state, input })
    expect(run.code, run.stderr).to.equal(0)
    expect(run.stdout).to.match(/accepted:\s+2/)
    expect(run.stdout).to.match(/rejected:\s+2 \(2 invalid in the files, 0 refused by the service\)/)
    expect(run.stdout).to.match(/stdin #2 \(line 3\): not valid JSON/)
    expect(run.stdout).to.match(/stdin #3 \(line 4\): inputTokens/)
    const nodes = (await storedRecords(store)).map((r) => [r.id, r.node]).sort()
    expect(nodes).to.deep.equal([
      ["usage_nd_1", hostname()],
      ["usage_nd_2", "laptop"],
    ])
  })

  it("lists rejected records in --json as migrate-file does: rejectedCount and rejectedRecords {file, index, error}", async () => {
    const input = [ndjsonRecord(11), "{oops", ndjsonRecord(12, { inputTokens: -5 })].join("\n")
    const run = await usage(["push", "-", "--endpoint", server.url, "--token", "in-token", "--json"], {
      state,
      input,
    })
    expect(run.code, run.stderr).to.equal(0)
    const json = JSON.parse(run.stdout)
    expect(json).to.include({ accepted: 1, rejected: 2, rejectedCount: 2 })
    expect(json.rejectedRecords.map((r: { file: string; index: number }) => [r.file, r.index])).to.deep.equal([
      ["-", 1],
      ["-", 2],
    ])
    expect(json.rejectedRecords[0].error).to.match(/not valid JSON/)
    expect(json.rejectedRecords[1].error).to.match(/inputTokens/)
    expect(json.rejections).to.have.length(2)
  })

  describe("stdin without file arguments", () => {
    it("reads piped NDJSON as - (not as a file name)", async () => {
      const input = `${ndjsonRecord(1)}\n${ndjsonRecord(2)}\n`
      const run = await usage(["push", "--node", "x", "--endpoint", server.url, "--token", "in-token", "--json"], {
        state,
        input,
        timeoutMs: 10_000,
      })
      expect(run.code, run.stderr).to.equal(0)
      expect(JSON.parse(run.stdout)).to.include({ read: 2, accepted: 2, pending: 0 })
      expect(JSON.parse(run.stdout).sources).to.deep.equal([{ source: "-", format: "ndjson", records: 2, rejected: 0 }])
      expect((await storedRecords(store)).map((r) => r.node)).to.deep.equal(["x", "x"])
    })

    it("pushes nothing from an empty pipe and exits 0 with one line saying so", async () => {
      const run = await usage(["push", "--endpoint", server.url, "--token", "in-token"], {
        state,
        input: "",
        timeoutMs: 10_000,
      })
      expect(run.code, run.stderr).to.equal(0)
      expect(lines(run.stdout)).to.deep.equal([
        `Nothing to push: stdin held no records; nothing was sent to ${server.url}`,
      ])
      expect((await store.stats()).records).to.equal(0)
    })

    it("pushes nothing from </dev/null and exits 0 instead of hanging", async () => {
      const run = await usage(["push", "--endpoint", server.url, "--token", "in-token"], {
        state,
        devNull: true,
        timeoutMs: 10_000,
      })
      expect(run.code, run.stderr).to.equal(0)
      expect(lines(run.stdout)).to.have.length(1)
      expect(run.stdout).to.match(/^Nothing to push: stdin held no records/)
    })
  })

  describe("spools left by killed processes", () => {
    // The killed node process locks its spool with a 2 s staleness; push is told the directory's staleness.
    const env = { USAGE_SPOOL_STALE_MS: "2000" }

    it("--spool-dir without files drains the directory, without reading stdin, and says what came from taken-over spools", async () => {
      const spoolDir = join(state, "node-spool")
      await killedNodeProcess(spoolDir, 12)
      const run = await usage(["push", "--spool-dir", spoolDir, "--endpoint", server.url, "--token", "in-token"], {
        state,
        env,
        openStdin: true,
        timeoutMs: 15_000,
      })
      expect(run.code, run.stderr).to.equal(0)
      expect(lines(run.stdout)[0]).to.equal(`Drained ${spoolDir} to ${server.url}: 12 records from taken-over spools`)
      expect(run.stdout).to.match(/accepted:\s+12\n/)
      expect(
        (await storedRecords(store)).map((r) => r.id).filter((id) => id.startsWith("usage_killed_")),
      ).to.have.length(12)
      expect(readdirSync(spoolDir).filter((n) => n.startsWith("spool."))).to.deep.equal([])
    })

    it("--spool-dir without files says so in one line when there is nothing to drain", async () => {
      const spoolDir = join(state, "empty-spool")
      const run = await usage(["push", "--spool-dir", spoolDir, "--endpoint", server.url, "--token", "in-token"], {
        state,
        openStdin: true,
        timeoutMs: 15_000,
      })
      expect(run.code, run.stderr).to.equal(0)
      expect(lines(run.stdout)).to.deep.equal([
        `Nothing to push: no spool left by a finished process in ${spoolDir}; nothing was sent to ${server.url}`,
      ])
    })

    it("a push of files also delivers a killed process's spool, counted in its summary line", async () => {
      await killedNodeProcess(join(state, "usage-hub"), 5)
      const run = await usage(["push", "-", "--endpoint", server.url, "--token", "in-token"], {
        state,
        env,
        input: `${ndjsonRecord(1)}\n`,
        timeoutMs: 15_000,
      })
      expect(run.code, run.stderr).to.equal(0)
      expect(lines(run.stdout)[0]).to.match(
        /^Pushed 1 records to .*: stdin \(ndjson, 1\), and 5 records from taken-over spools$/,
      )
      expect(run.stdout).to.match(/accepted:\s+6\n/)
    })
  })

  it("refuses a truncated legacy file in one line naming it, importing nothing", async () => {
    const run = await usage(["push", join(LEGACY, "truncated.json"), "--endpoint", server.url, "--token", "in-token"], {
      state,
    })
    expect(run.code).to.equal(1)
    expect(run.stderr.trim().split("\n")).to.have.length(1)
    expect(run.stderr).to.match(/^Error: .*truncated\.json is not a legacy usage file/)
    expect((await store.stats()).records).to.equal(0)
  })

  it("exits 1 saying what was delivered when the service is unreachable, and the next push sends the rest", async () => {
    const url = server.url
    await server.close()
    const down = await usage(
      ["push", join(LEGACY, "small.json"), "--endpoint", url, "--token", "in-token", "--wait", "1"],
      {
        state,
      },
    )
    expect(down.code).to.equal(1)
    expect(down.stderr).to.match(
      /^Error: delivered 0 of 60 records to http:\/\/127\.0\.0\.1:\d+; 60 stay spooled in .* next push/,
    )
    const spools = readdirSync(join(state, "usage-hub")).filter((n) => n.endsWith(".ndjson"))
    expect(spools).to.have.length(1)

    server = await startServer({
      store,
      host: "127.0.0.1",
      port: Number(new URL(url).port),
      tz: "UTC",
      ingestToken: "in-token",
    })
    writeFileSync(join(state, "one.ndjson"), `${ndjsonRecord(7)}\n`)
    const up = await usage(["push", join(state, "one.ndjson"), "--endpoint", url, "--token", "in-token", "--json"], {
      state,
    })
    expect(up.code, up.stderr).to.equal(0)
    expect(JSON.parse(up.stdout)).to.include({ read: 1, takenOver: 60, accepted: 61, pending: 0 })
    expect((await store.stats()).records).to.equal(61)
  })

  it("keeps records spooled and says the token is wrong when the service refuses it", async () => {
    const run = await usage(
      ["push", join(LEGACY, "empty.json"), "-", "--endpoint", server.url, "--token", "wrong", "--wait", "1"],
      {
        state,
        input: `${ndjsonRecord(1)}\n`,
      },
    )
    expect(run.code).to.equal(1)
    expect(run.stderr).to.match(/refused the token \(40[13]\): the ingest token is wrong/)
    expect(run.stderr).to.match(/delivered 0 of 1 records/)
    expect((await store.stats()).records).to.equal(0)
  })

  it("asks for an endpoint when none is configured (exit 2)", async () => {
    const run = await usage(["push", join(LEGACY, "small.json")], { state })
    expect(run.code).to.equal(2)
    expect(run.stderr).to.match(/no service to push to: pass --endpoint/)
  })
})
