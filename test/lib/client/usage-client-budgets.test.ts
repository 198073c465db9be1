import { expect } from "chai"
import { createUsageClient } from "../../../src/lib/client/usage-client.js"
import { parseServiceConfig } from "../../../src/lib/config.js"
import { tempDir } from "../../helpers/tmp.js"
import { NOW, startTestService, type TestService, wireRecord } from "../server/helpers.js"

describe("createUsageClient(...).getBudgets()", () => {
  let service: TestService | undefined

  afterEach(async () => {
    await service?.stop()
    service = undefined
  })

  it("gives the cluster's budgets from the service, source central", async () => {
    service = await startTestService({
      service: parseServiceConfig({ budgets: [{ name: "team", amount: 4, period: "day" }] }),
    })
    await service.post([wireRecord({ estimatedCost: 1, timestamp: NOW.toISOString() })])
    const client = createUsageClient({ backend: "http", http: { endpoint: service.url, spoolDir: tempDir() } })
    const answer = await client.getBudgets()
    expect(answer.source).to.equal("central")
    expect(answer.data).to.have.length(1)
    expect(answer.data[0]).to.include({ name: "team", amount: 4, spent: 1, share: 0.25, status: "ok" })
  })

  it("gives an empty list, source local, when the service is unreachable or not configured", async () => {
    const unreachable = createUsageClient({
      backend: "http",
      http: { endpoint: "http://127.0.0.1:9", spoolDir: tempDir(), timeoutMs: 2000 },
    })
    expect(await unreachable.getBudgets()).to.deep.equal({ data: [], source: "local" })
    const file = createUsageClient({ backend: "file", file: { path: `${tempDir()}/usage.json` } })
    expect(await file.getBudgets()).to.deep.equal({ data: [], source: "local" })
  })
})
