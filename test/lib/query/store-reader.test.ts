import { expect } from "chai"
import { fixedClock } from "../../../src/lib/clock.js"
import { UsageHubError } from "../../../src/lib/errors.js"
import { centralElseLocal } from "../../../src/lib/query/fallback.js"
import { storeReader, summaryQuery } from "../../../src/lib/query/store-reader.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"
import { record } from "../../helpers/records.js"

const NOW = new Date("2026-03-10T12:00:00Z")

describe("storeReader", () => {
  const store = new MemoryStore([
    record({ id: "a", timestamp: new Date("2026-03-09T23:30:00Z") }),
    record({ id: "b", timestamp: new Date("2026-03-10T08:00:00Z"), node: "node-b" }),
  ])

  it("answers summaries at its clock, in its zone unless the query names one", async () => {
    const reader = storeReader({ store, clock: fixedClock(NOW), tz: "Asia/Tokyo" })
    const summary = await reader.summary()
    expect(summary.tz).to.equal("Asia/Tokyo")
    expect(summary.generatedAt).to.deep.equal(NOW)
    expect(summary.summaries.anthropic.callCount).to.equal(2)
    expect((await reader.summary({ tz: "UTC" })).tz).to.equal("UTC")
  })

  it("answers daily trends in its zone: a record near midnight lands on that zone's day", async () => {
    const utc = await storeReader({ store, clock: fixedClock(NOW), tz: "UTC" }).trends({
      provider: "anthropic",
      rangeDays: 2,
    })
    const tokyo = await storeReader({ store, clock: fixedClock(NOW), tz: "Asia/Tokyo" }).trends({
      provider: "anthropic",
      rangeDays: 2,
    })
    expect(utc.dataPoints.map((d) => d.calls)).to.deep.equal([1, 1])
    expect(tokyo.dataPoints.map((d) => d.calls)).to.deep.equal([0, 2])
  })

  it("reads a store given on demand (a view built per query)", async () => {
    let built = 0
    const reader = storeReader({
      store: () => {
        built += 1
        return store
      },
      clock: fixedClock(NOW),
    })
    await reader.summary()
    await reader.trends({ provider: "anthropic" })
    expect(built).to.equal(2)
  })

  it("turns since/until of query parameters into dates", () => {
    expect(summaryQuery({ since: "2026-03-01T00:00:00Z", node: "n" })).to.deep.equal({
      node: "n",
      since: new Date("2026-03-01T00:00:00Z"),
      until: undefined,
    })
  })
})

describe("centralElseLocal (the fallback rule)", () => {
  const central = async () => "central"
  const local = async () => "local"

  it("asks the service, and answers locally when it is unreachable", async () => {
    const context = { endpoint: "http://hub", warn: () => {} }
    expect(await centralElseLocal(context, central, local)).to.deep.equal({ data: "central", source: "central" })
    const down = async () => {
      throw new UsageHubError("UNREACHABLE", "down")
    }
    expect(await centralElseLocal(context, down, local)).to.deep.equal({ data: "local", source: "local" })
  })

  it("does not ask the service within 5 s of a failed delivery", async () => {
    let asked = 0
    const context = { endpoint: "http://hub", warn: () => {}, lastCentralFailure: () => 10_000, now: () => 14_999 }
    const counted = async () => {
      asked += 1
      return "central"
    }
    expect((await centralElseLocal(context, counted, local)).source).to.equal("local")
    expect((await centralElseLocal({ ...context, now: () => 15_000 }, counted, local)).source).to.equal("central")
    expect(asked).to.equal(1)
  })

  it("warns that the read token was refused, and rethrows errors that are not the service's", async () => {
    const warnings: string[] = []
    const context = { endpoint: "http://hub", warn: (m: string) => warnings.push(m) }
    const refused = async () => {
      throw new UsageHubError("UNAUTHORIZED", "401 invalid_token")
    }
    expect((await centralElseLocal(context, refused, local)).source).to.equal("local")
    expect(warnings).to.deep.equal([
      "usage-hub: http://hub refused the read token (401 invalid_token); answering from local data",
    ])
    const bad = async () => {
      throw new UsageHubError("BAD_USAGE", "no such provider")
    }
    let thrown: unknown
    await centralElseLocal(context, bad, local).catch((error) => {
      thrown = error
    })
    expect((thrown as UsageHubError).code).to.equal("BAD_USAGE")
  })
})
