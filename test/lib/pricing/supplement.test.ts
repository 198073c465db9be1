import { readFileSync } from "node:fs"
import { expect } from "chai"
import { lookupPrices, modelName } from "../../../src/lib/pricing/call-cost.js"
import { CATALOGUE } from "../../../src/lib/pricing/catalogue.js"
import { SUPPLEMENT } from "../../../src/lib/pricing/supplement.js"

/** ccusage 20.0.24's offline prices (test/fixtures/pricing/README.md). */
const CCUSAGE = JSON.parse(readFileSync(new URL("../../fixtures/pricing/ccusage-prices.json", import.meta.url), "utf8"))
  .prices as Record<string, Record<string, number>>

describe("price supplement", () => {
  it("cites a vendor's public pricing page on every line", () => {
    for (const [key, entry] of Object.entries(SUPPLEMENT)) {
      expect(entry.source, key).to.match(/^https:\/\/(docs\.claude\.com|platform\.openai\.com|ai\.google\.dev)\//)
      expect(key, key).to.match(/^(anthropic|openai|google)\/[a-z0-9.-]+$/)
      expect(modelName(key.slice(key.indexOf("/") + 1)).base, "keyed without a date").to.equal(
        key.slice(key.indexOf("/") + 1),
      )
    }
  })

  it("holds only what the catalogue lacks or prices otherwise (delete a line the catalogue has caught up with)", () => {
    for (const [key, entry] of Object.entries(SUPPLEMENT)) {
      const [vendor, model] = key.split("/") as [string, string]
      const same = Object.entries(CATALOGUE).filter(([k]) => {
        const slash = k.indexOf("/")
        return k.slice(0, slash) === vendor && modelName(k.slice(slash + 1)).base === model
      })
      for (const [k, [input, output, cacheRead, cacheWrite]] of same) {
        const repeats =
          input === entry.input &&
          output === entry.output &&
          (cacheRead ?? undefined) === entry.cacheRead &&
          (cacheWrite ?? undefined) === entry.cacheWrite
        expect(repeats, `${key} repeats the catalogue's ${k}`).to.equal(false)
      }
    }
  })

  it("wins over the catalogue for its provider/model", () => {
    expect(lookupPrices("google", "gemini-2.5-pro")).to.deep.include({
      source: "supplement",
      prices: { input: 1.25, output: 10, cacheRead: 0.125 },
    })
    expect(CATALOGUE["google/gemini-2.5-pro"]?.[2]).to.equal(0.31)
  })

  it("agrees with ccusage 20.0.24's offline prices on every line", () => {
    for (const [key, entry] of Object.entries(SUPPLEMENT)) {
      const model = key.slice(key.indexOf("/") + 1)
      const theirs = CCUSAGE[model]
      expect(theirs, `${model} in ccusage-prices.json`).to.be.an("object")
      const { source: _page, ...ours } = entry
      for (const [kind, price] of Object.entries(ours)) expect(price, `${model} ${kind}`).to.equal(theirs?.[kind])
      // The prices ccusage has that the line leaves to the defaults: cache writes, Anthropic's only.
      if (key.startsWith("anthropic/")) {
        expect(entry.cacheWrite, model).to.equal(theirs?.cacheWrite)
        expect(entry.cacheWrite1h, model).to.equal(theirs?.cacheWrite1h)
      }
    }
  })

  it("resolves the models the collectors met unpriced to ccusage's prices", () => {
    for (const [provider, model] of [
      ["anthropic", "claude-sonnet-4-5-20250929"],
      ["anthropic", "claude-haiku-4-5-20251001"],
      ["anthropic", "claude-opus-4-5"],
      ["anthropic", "claude-opus-4-1"],
      ["openai", "gpt-5-codex"],
      ["google", "gemini-2.5-flash-lite"],
    ] as const) {
      const found = lookupPrices(provider, model)?.prices
      const theirs = CCUSAGE[model] ?? {}
      expect(found, model).to.include({ input: theirs.input, output: theirs.output, cacheRead: theirs.cacheRead })
    }
  })
})
