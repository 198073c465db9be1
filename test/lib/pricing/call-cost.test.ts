import { expect } from "chai"
import { type CallTokens, lookupPrices, modelName, priceCall } from "../../../src/lib/pricing/call-cost.js"

const M = 1_000_000

function call(model: string, tokens: Partial<CallTokens> = {}, provider = "anthropic"): CallTokens {
  return { provider, model, inputTokens: 0, outputTokens: 0, ...tokens }
}

describe("call cost (pricing of collected calls)", () => {
  describe("model names", () => {
    it("splits a provider prefix off and strips a date suffix the way ccusage's names resolve", () => {
      expect(modelName("claude-sonnet-4-5-20250929")).to.deep.equal({
        id: "claude-sonnet-4-5-20250929",
        base: "claude-sonnet-4-5",
      })
      expect(modelName("claude-sonnet-4@20250514").base).to.equal("claude-sonnet-4")
      expect(modelName("gpt-4o-2024-08-06").base).to.equal("gpt-4o")
      expect(modelName("claude-3-5-sonnet-latest").base).to.equal("claude-3-5-sonnet")
      expect(modelName("Anthropic/Claude-Opus-4-5")).to.deep.equal({
        prefix: "anthropic",
        id: "claude-opus-4-5",
        base: "claude-opus-4-5",
      })
    })

    it("keeps a version number: claude-opus-4-5 is not claude-opus-4", () => {
      expect(modelName("claude-opus-4-5").base).to.equal("claude-opus-4-5")
      expect(lookupPrices("anthropic", "claude-opus-4-5")?.prices).to.include({ input: 5, output: 25 })
    })

    it("finds a dated catalogue entry from the undated name, under the call's provider first", () => {
      expect(lookupPrices("anthropic", "claude-opus-4-1")).to.include({ key: "anthropic/claude-opus-4-1-20250805" })
      expect(lookupPrices("anthropic", "claude-sonnet-4@20250514")).to.include({
        key: "anthropic/claude-sonnet-4-20250514",
      })
      // A dated name the supplement keys without its date.
      expect(lookupPrices("anthropic", "claude-haiku-4-5-20251001")).to.include({
        key: "anthropic/claude-haiku-4-5",
        source: "supplement",
      })
    })

    it("prefers the vendor's price over a reseller's when the call's provider has none", () => {
      // opencode/claude-opus-4-1 and anthropic/claude-opus-4-1-20250805 both match; the vendor's is taken.
      expect(lookupPrices("my-proxy", "claude-opus-4-1")).to.include({ key: "anthropic/claude-opus-4-1-20250805" })
      expect(lookupPrices("my-proxy", "gemini-2.5-pro")).to.include({ key: "google/gemini-2.5-pro" })
    })

    it("takes a reseller's own price when the call went through it", () => {
      expect(lookupPrices("openrouter", "google/gemini-2.5-pro")).to.include({
        key: "openrouter/google/gemini-2.5-pro",
        source: "catalogue",
      })
      expect(lookupPrices("azure", "gpt-5")).to.include({ key: "azure/gpt-5" })
    })

    it("resolves a model named with its provider prefix", () => {
      expect(lookupPrices("openrouter", "anthropic/claude-sonnet-4-5")).to.include({
        key: "anthropic/claude-sonnet-4-5",
      })
      expect(lookupPrices("opencode", "openai/gpt-5.1-codex")).to.include({ key: "openai/gpt-5.1-codex" })
      expect(lookupPrices("google", "models/gemini-2.5-flash-lite")).to.include({ key: "google/gemini-2.5-flash-lite" })
    })

    it("ignores case", () => {
      expect(lookupPrices("Anthropic", "Claude-Sonnet-4-5")).to.include({ key: "anthropic/claude-sonnet-4-5" })
    })

    it("knows nothing of a model no table has", () => {
      expect(lookupPrices("anthropic", "claude-nobody-knows")).to.equal(undefined)
      expect(lookupPrices("x", "my-own-model-20250101")).to.equal(undefined)
    })
  })

  describe("priceCall", () => {
    it("prices input, output, cache reads and 5-minute and 1-hour cache writes at their own prices", () => {
      // claude-sonnet-4-5: 3 / 15 / 0.3 / 3.75 / 6 per 1M.
      const { cost, unpriced } = priceCall(
        call("claude-sonnet-4-5-20250929", {
          inputTokens: M,
          outputTokens: M,
          cacheReadTokens: M,
          cacheWriteTokens: 3 * M,
          cacheWrite1hTokens: M,
        }),
      )
      expect(cost).to.be.closeTo(3 + 15 + 0.3 + 2 * 3.75 + 6, 1e-9)
      expect(unpriced).to.equal(false)
    })

    it("prices a 1-hour cache write at twice the input price when the table lists no 1-hour price", () => {
      // The catalogue's claude-opus-4-1: 15 input, 18.75 per 5-minute write, no 1-hour price.
      const cost = priceCall(call("claude-opus-4-1-20250805", { cacheWriteTokens: 2 * M, cacheWrite1hTokens: M })).cost
      expect(cost).to.be.closeTo(18.75 + 30, 1e-9)
    })

    it("prices reasoning at the output price, unless the output already counts it", () => {
      const tokens = { outputTokens: M, reasoningTokens: M }
      expect(priceCall(call("gemini-2.5-flash", tokens, "google")).cost).to.be.closeTo(5, 1e-9)
      expect(priceCall(call("gpt-5-codex", { ...tokens, reasoningInOutput: true }, "openai")).cost).to.be.closeTo(
        10,
        1e-9,
      )
    })

    it("prices cache tokens at the input price where the table lists no cache price", () => {
      // openai/gpt-5-chat-latest: 1.25 / 10, no cache prices.
      const cost = priceCall(call("gpt-5-chat-latest", { cacheReadTokens: M, cacheWriteTokens: M }, "openai")).cost
      expect(cost).to.be.closeTo(2.5, 1e-9)
    })

    it("lets given prices win, by the model's name as logged or without its date", () => {
      const prices = { "claude-sonnet-4-5": { input: 1, output: 2 } }
      expect(priceCall(call("claude-sonnet-4-5-20250929", { inputTokens: M, outputTokens: M }), prices)).to.deep.equal({
        cost: 3,
        unpriced: false,
      })
      const exact = { "claude-sonnet-4-5-20250929": { input: 7, output: 0 }, ...prices }
      expect(priceCall(call("claude-sonnet-4-5-20250929", { inputTokens: M }), exact).cost).to.equal(7)
    })

    it("gives a model nobody prices the fallback estimate, flagged unpriced", () => {
      expect(priceCall(call("claude-nobody-knows", { inputTokens: M, outputTokens: M }))).to.deep.equal({
        cost: 25,
        unpriced: true,
      })
    })
  })
})
