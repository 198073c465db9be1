import { copyFileSync, existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import type { StoredRecord } from "../../src/lib/record.js"
import { type RunningServer, startServer } from "../../src/lib/server/start.js"
import { openStoreAt } from "../../src/lib/store/open.js"
import type { UsageStore } from "../../src/lib/store/store.js"
import { BUN, linkedProject, ROOT, runScript } from "./helpers.js"

interface PluginRun {
  runtime: string
  missing: string[]
  fileIds: string[]
  httpIds?: string[]
  stats?: { acknowledged: number; pending: number; deadLettered: number }
  summaryCalls?: number
  periodStartIsDate?: boolean
  clientSource?: string
  loaded: string[]
  cacheSize: number
}

/** A project that depends on usage-hub: node_modules/usage-hub links to this repository. */
function pluginProject(): string {
  const dir = linkedProject("usage-plugin-", "plugin")
  copyFileSync(join(import.meta.dirname, "plugin-script.mjs"), join(dir, "plugin.mjs"))
  return dir
}

async function storedByNode(store: UsageStore, node: string): Promise<string[]> {
  const ids: string[] = []
  for await (const chunk of store.iterate({ node })) for (const r of chunk as StoredRecord[]) ids.push(r.id)
  return ids.sort()
}

describe("the package root as the plugin imports it", function () {
  this.timeout(60_000)
  let store: UsageStore
  let server: RunningServer

  before(function () {
    if (!existsSync(join(ROOT, "dist", "lib", "index.js"))) {
      console.log("    (dist/ is not built: run `npm run build`; skipping the package-root tests)")
      this.skip()
    }
  })
  beforeEach(async () => {
    store = await openStoreAt(":memory:", { create: true })
    server = await startServer({ store, host: "127.0.0.1", port: 0, tz: "UTC" })
  })
  afterEach(async () => {
    await server.close()
    await store.close()
  })

  const runtimes: Array<{ name: string; command: () => string | undefined }> = [
    { name: "Node", command: () => process.execPath },
    { name: "Bun", command: () => (existsSync(BUN) ? BUN : undefined) },
  ]

  for (const runtime of runtimes) {
    it(`records through the FileAdapter and the HttpIngestAdapter under ${runtime.name}`, async function () {
      const command = runtime.command()
      if (!command) {
        console.log(`    SKIPPED: ${runtime.name} is not installed (node_modules/.bin/bun missing; npm install bun)`)
        this.skip()
      }
      const dir = pluginProject()
      const legacyFile = join(dir, "oh-my-opencode-usage.json")
      const nodeId = `plugin-${runtime.name.toLowerCase()}`
      const result = await runScript(command!, "plugin.mjs", dir, {
        LEGACY_FILE: legacyFile,
        ENDPOINT: server.url,
        SPOOL_DIR: join(dir, "spool"),
        NODE_ID: nodeId,
        COUNT: "40",
        XDG_STATE_HOME: join(dir, "state"),
      })
      expect(result.code, result.err).to.equal(0)
      const out = JSON.parse(result.out.trim().split("\n").pop()!) as PluginRun
      expect(out.runtime.toLowerCase()).to.contain(runtime.name.toLowerCase())
      expect(out.missing, "names the package root must export").to.deep.equal([])
      expect(out.loaded, "Node-only modules loaded by the package root").to.deep.equal([])

      // FileAdapter: the legacy file holds the records, in the legacy layout.
      const file = JSON.parse(readFileSync(legacyFile, "utf8"))
      expect(file.version).to.equal(1)
      expect(file.records.map((r: { id: string }) => r.id)).to.deep.equal(out.fileIds)

      // HttpIngestAdapter: the service counted each record once, under this node.
      expect(out.stats).to.include({ acknowledged: 40, pending: 0, deadLettered: 0 })
      expect(await storedByNode(store, nodeId)).to.deep.equal([...out.httpIds!].sort())
      expect(out.summaryCalls).to.equal(40)
      expect(out.periodStartIsDate).to.equal(true)
      expect(out.clientSource).to.equal("central")
    })
  }
})
