/**
 * The cost of one collected call that came without a cost from its agent (the OpenCode plugin, Claude Code's
 * OTLP events without `cost_usd`): priced from the model catalogue with its cache prices, never from the legacy
 * table (whose old prices stay for the legacy tracker only). Given prices (USD per 1M tokens, e.g. a config's
 * `usage.prices`) win. A model nobody prices gets the fallback estimate and is flagged `unpriced`.
 */
import { CATALOGUE } from "./catalogue.js"
import { FALLBACK_PRICING } from "./pricing.js"

/** USD per 1M tokens. */
export interface CallPrices {
  input: number
  output: number
  cacheRead?: number
  cacheWrite?: number
}

export interface CallTokens {
  provider: string
  model: string
  inputTokens: number
  outputTokens: number
  reasoningTokens?: number
  cacheReadTokens?: number
  cacheWriteTokens?: number
}

type Entry = readonly [number, number, number | null, number | null]

/** Catalogue entries by bare model id (first provider in alphabetical order wins), built on first use. */
let byModelId: Map<string, Entry> | undefined

function catalogueEntry(provider: string, model: string): Entry | undefined {
  const exact = CATALOGUE[`${provider}/${model}`]
  if (exact) return exact
  if (!byModelId) {
    byModelId = new Map()
    for (const [key, value] of Object.entries(CATALOGUE)) {
      const id = key.slice(key.indexOf("/") + 1)
      if (!byModelId.has(id)) byModelId.set(id, value)
    }
  }
  return byModelId.get(model)
}

/** The catalogue's prices of a model: its exact name, else without a trailing `-<digits>` or `-latest`. */
export function cataloguePrices(provider: string, model: string): CallPrices | undefined {
  const entry = catalogueEntry(provider, model) ?? catalogueEntry(provider, model.replace(/-\d+$|-latest$/, ""))
  if (!entry) return undefined
  const [input, output, cacheRead, cacheWrite] = entry
  return { input, output, ...(cacheRead !== null && { cacheRead }), ...(cacheWrite !== null && { cacheWrite }) }
}

/**
 * input x input price + (output + reasoning) x output price + cache reads and writes at their prices (the input
 * price where the catalogue lists none). `prices` (by model name) win over the catalogue.
 */
export function priceCall(
  call: CallTokens,
  prices: Readonly<Record<string, CallPrices>> = {},
): { cost: number; unpriced: boolean } {
  const known = prices[call.model] ?? cataloguePrices(call.provider, call.model)
  const p = known ?? { input: FALLBACK_PRICING.inputPer1M, output: FALLBACK_PRICING.outputPer1M }
  const cost =
    (call.inputTokens * p.input +
      (call.outputTokens + (call.reasoningTokens ?? 0)) * p.output +
      (call.cacheReadTokens ?? 0) * (p.cacheRead ?? p.input) +
      (call.cacheWriteTokens ?? 0) * (p.cacheWrite ?? p.input)) /
    1_000_000
  return { cost, unpriced: known === undefined }
}
