import { copyFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { HttpIngestAdapter } from "../../../src/lib/adapters/http-ingest-adapter.js"
import { createUsageClient } from "../../../src/lib/client/usage-client.js"
import { fixedClock } from "../../../src/lib/clock.js"
import { readAllUsageRecords } from "../../../src/lib/import/read-usage-file.js"
import { type RunningServer, startServer } from "../../../src/lib/server/start.js"
import { openStoreAt } from "../../../src/lib/store/open.js"
import type { UsageStore } from "../../../src/lib/store/store.js"
import { LEGACY_FIXTURES } from "../../helpers/fixtures.js"
import { tempDir } from "../../helpers/tmp.js"

const LEGACY = LEGACY_FIXTURES
const NOW = new Date("2026-11-10T18:00:00.000Z")
const clock = fixedClock(NOW)

describe("createUsageClient", () => {
  let store: UsageStore
  let server: RunningServer
  let spoolDir: string

  beforeEach(async () => {
    spoolDir = tempDir("usage-client-")
    store = await openStoreAt(":memory:", { create: true })
    server = await startServer({ store, host: "127.0.0.1", port: 0, tz: "UTC", clock, readToken: "rd" })
  })
  afterEach(async () => {
    await server.close()
    await store.close()
  })

  async function loadFixture(node: string) {
    const { records } = await readAllUsageRecords(join(LEGACY, "small.json"), { node })
    await store.insert(records)
    return records
  }

  it("answers from the service when backend is http, with the same results as the local query code", async () => {
    const records = await loadFixture("n1")
    const config = {
      backend: "http" as const,
      http: { endpoint: server.url, token: "ingest-only", readToken: "rd", spoolDir },
    }
    const client = createUsageClient(config, { clock, tz: "UTC" })
    expect(client.mode).to.equal("central")
    const central = await client.getAllSummaries()
    expect(central.source).to.equal("central")
    expect(central.data.anthropic.periodStart).to.be.instanceOf(Date)

    // The same records answered locally (an adapter that knows them, service down) give the same summaries.
    const adapter = new HttpIngestAdapter({ endpoint: "http://127.0.0.1:9", spoolDir, fsync: false, logger: quiet })
    try {
      await Promise.all(records.map((r) => adapter.saveRecord(r)))
      const offline = createUsageClient(
        { backend: "http", http: { endpoint: "http://127.0.0.1:9", spoolDir } },
        { clock, tz: "UTC", adapter },
      )
      const local = await offline.getAllSummaries()
      expect(local.source).to.equal("local")
      expect(local.data).to.deep.equal(central.data)
      const trendsCentral = await client.getProviderTrends("anthropic", 30)
      const trendsLocal = await offline.getProviderTrends("anthropic", 30)
      expect(trendsCentral.source).to.equal("central")
      expect(trendsLocal).to.deep.equal({ ...trendsCentral, source: "local" })
      const all = await client.getAllRecords()
      expect(all.data).to.have.length(records.length)
      expect(all.data[0].timestamp).to.be.instanceOf(Date)
    } finally {
      await adapter.close()
    }
  })

  it("falls back to the undelivered records of the spool directory when the service is down", async () => {
    const adapter = new HttpIngestAdapter({ endpoint: "http://127.0.0.1:9", spoolDir, fsync: false, logger: quiet })
    const { records } = await readAllUsageRecords(join(LEGACY, "small.json"), { node: "n1" })
    await Promise.all(records.map((r) => adapter.saveRecord(r)))
    await adapter.close()
    const client = createUsageClient(
      { backend: "http", http: { endpoint: "http://127.0.0.1:9", spoolDir } },
      { clock, tz: "UTC" },
    )
    const answer = await client.getAllRecords()
    expect(answer.source).to.equal("local")
    expect(answer.data.map((r) => r.id).sort()).to.deep.equal(records.map((r) => r.id).sort())
  })

  it("answers locally when the service refuses the read token, and says so", async () => {
    const warnings: string[] = []
    const client = createUsageClient(
      { backend: "http", http: { endpoint: server.url, readToken: "wrong", spoolDir } },
      { clock, tz: "UTC", warn: (message) => warnings.push(message) },
    )
    const answer = await client.getAllSummaries()
    expect(answer).to.deep.equal({ data: {}, source: "local" })
    expect(warnings).to.have.length(1)
    expect(warnings[0]).to.include(`${server.url} refused the read token`)
  })

  it("answers locally without asking the service right after the adapter's delivery failed", async () => {
    const endpoint = "http://127.0.0.1:9"
    const adapter = new HttpIngestAdapter({ endpoint, spoolDir, fsync: false, logger: quiet, retryAttempts: 0 })
    try {
      await adapter.saveRecord((await loadFixture("n1"))[0])
      await adapter.flush({ timeoutMs: 300 })
      expect(adapter.stats().failedAttempts).to.be.greaterThan(0)
      let asked = 0
      const counting: typeof fetch = (input, init) => {
        asked += 1
        return fetch(input, init)
      }
      const client = createUsageClient(
        { backend: "http", http: { endpoint, spoolDir } },
        { clock, tz: "UTC", adapter, fetch: counting },
      )
      const answer = await client.getAllRecords()
      expect(answer.source).to.equal("local")
      expect(answer.data).to.have.length(1)
      expect(asked).to.equal(0)
    } finally {
      await adapter.close()
    }
  })

  it("answers from the legacy file when backend is file, reading it afresh", async () => {
    const dir = tempDir("usage-client-file-")
    const path = join(dir, "usage.json")
    copyFileSync(join(LEGACY, "small.json"), path)
    const client = createUsageClient({ file: { path } }, { clock, tz: "UTC" })
    expect(client.mode).to.equal("local")
    const first = await client.getAllSummaries()
    expect(first.source).to.equal("local")
    const calls = Object.values(first.data).reduce((n, s) => n + s.callCount, 0)
    expect(calls).to.be.greaterThan(0)
    copyFileSync(join(LEGACY, "empty.json"), path)
    expect((await client.getAllSummaries()).data).to.deep.equal({})
  })
})

const quiet = { warn() {}, error() {} }
