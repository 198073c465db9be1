import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import type { StoredRecord } from "../../src/lib/record.js"
import { startServer } from "../../src/lib/server/start.js"
import { openStoreAt } from "../../src/lib/store/open.js"
import { BUN, linkedProject, ROOT, runScript } from "./helpers.js"

const SCRIPT = join(import.meta.dirname, "opencode-plugin-script.mjs")

/** A project whose node_modules/usage-hub links to this repository, and a usage-hub config on a FileAdapter file. */
function project(): { dir: string; config: string; file: string } {
  const dir = linkedProject("usage-opencode-", "opencode-project")
  const file = join(dir, "usage.json")
  const config = join(dir, "config.json")
  writeFileSync(config, JSON.stringify({ usage: { backend: "file", file: { path: file } } }))
  return { dir, config, file }
}

const runs = [
  { name: "Bun, the source module", command: BUN, module: () => join(ROOT, "src", "lib", "opencode-plugin.ts") },
  { name: "Bun, usage-hub/opencode", command: BUN, module: () => "usage-hub/opencode", built: true },
  { name: "Node, usage-hub/opencode", command: process.execPath, module: () => "usage-hub/opencode", built: true },
]

describe("usage-hub/opencode, the OpenCode plugin, on a fake event stream", function () {
  this.timeout(60_000)

  for (const r of runs) {
    it(`records one record per completed assistant message (${r.name})`, async function () {
      if (!existsSync(r.command)) {
        console.log("    SKIPPED: bun is not installed (node_modules/.bin/bun missing; npm install bun)")
        this.skip()
      }
      if (r.built && !existsSync(join(ROOT, "dist", "lib", "opencode-plugin.js"))) {
        console.log("    SKIPPED: dist/ is not built (npm run build)")
        this.skip()
      }
      const { dir, config, file } = project()
      const result = await runScript(r.command, SCRIPT, dir, {
        PLUGIN_MODULE: r.module(),
        USAGE_CONFIG: config,
        PROJECT_DIR: dir,
        XDG_CONFIG_HOME: join(dir, "xdg"),
      })
      expect(result.code, result.err).to.equal(0)
      const out = JSON.parse(result.out.trim().split("\n").pop()!)
      // OpenCode calls every export of a plugin module: only the plugin function, under two names.
      expect(out.exports).to.deep.equal({ UsageHubOpenCodePlugin: "function", default: "function" })
      expect(out.sameFunction).to.equal(true)
      expect(out.loaded, "Node-only modules loaded by the plugin").to.deep.equal([])

      const stored = JSON.parse(readFileSync(file, "utf8"))
      expect(stored.version).to.equal(1)
      const byId = Object.fromEntries(stored.records.map((rec: Record<string, unknown>) => [rec.id, rec]))
      expect(Object.keys(byId).sort()).to.deep.equal(["opencode:msg_a", "opencode:msg_b", "opencode:msg_c"])
      expect(byId["opencode:msg_a"]).to.include({
        timestamp: "2026-11-20T10:00:01.000Z",
        provider: "anthropic",
        model: "claude-sonnet-4-20250514",
        inputTokens: 1200,
        outputTokens: 340,
        reasoningTokens: 25,
        cacheReadTokens: 15000,
        cacheWriteTokens: 2100,
        estimatedCost: 0.0123,
        taskType: "build",
        sessionID: "ses_7f3a1c",
        agent: "opencode",
        project: "usage-hub",
      })
      // No cost from OpenCode: priced with the catalogue's cache prices (3 / 15 / 0.3 / 3.75 per 1M).
      expect(byId["opencode:msg_b"].taskType).to.equal("plan")
      expect(byId["opencode:msg_b"].estimatedCost).to.be.closeTo(
        (1000 * 3 + 100 * 15 + 2000 * 0.3 + 400 * 3.75) / 1e6,
        1e-12,
      )
      expect(byId["opencode:msg_b"].unpriced).to.equal(undefined)
      expect(byId["opencode:msg_c"]).to.include({ provider: "local", model: "my-finetune-7b", unpriced: true })
    })
  }

  it("sends each completed message once through an HTTP backend (the service sees no duplicate)", async function () {
    if (!existsSync(BUN)) this.skip()
    const store = await openStoreAt(":memory:", { create: true })
    const server = await startServer({ store, host: "127.0.0.1", port: 0, tz: "UTC" })
    try {
      const { dir, config } = project()
      const http = { endpoint: server.url, nodeId: "dev-laptop", flushIntervalMs: 20, spoolDir: join(dir, "spool") }
      writeFileSync(config, JSON.stringify({ usage: { backend: "http", http } }))
      const result = await runScript(BUN, SCRIPT, dir, {
        PLUGIN_MODULE: join(ROOT, "src", "lib", "opencode-plugin.ts"),
        USAGE_CONFIG: config,
        PROJECT_DIR: dir,
        WAIT_MS: "1500",
      })
      expect(result.code, result.err).to.equal(0)
      const ids: string[] = []
      for await (const chunk of store.iterate({})) {
        for (const r of chunk as StoredRecord[]) ids.push(`${r.node} ${r.id} ${r.agent}`)
      }
      expect(ids.sort()).to.deep.equal([
        "dev-laptop opencode:msg_a opencode",
        "dev-laptop opencode:msg_b opencode",
        "dev-laptop opencode:msg_c opencode",
      ])
      const metrics = await (await fetch(`${server.url}/metrics`)).text()
      expect(metrics).to.match(/usage_hub_records_accepted_total 3\b/)
      expect(metrics).to.not.match(/usage_hub_records_duplicate_total [1-9]/)
    } finally {
      await server.close()
      await store.close()
    }
  })
})
