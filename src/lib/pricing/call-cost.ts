/**
 * The cost of one collected call that came without a cost from its agent (the collectors, the OpenCode plugin,
 * Claude Code's OTLP events without `cost_usd`): priced with input, output, cache-read and cache-write prices,
 * never from the legacy table (whose old prices stay for the legacy tracker only). Prices come from, in order:
 * the given prices (a config's `usage.prices`), the supplement (supplement.ts: current models the catalogue lacks,
 * and corrections), the model catalogue (catalogue.ts). A model name resolves the way ccusage's (LiteLLM) names
 * do: case aside, without a date suffix (`-20250929`, `@20250514`, `-2024-08-06`, `-latest`) and without a
 * provider prefix (`anthropic/claude-sonnet-4-5`). A model nobody prices gets the fallback estimate and is flagged
 * `unpriced`. docs/configuration.md "Pricing".
 */
import { CATALOGUE } from "./catalogue.js"
import { FALLBACK_PRICING } from "./pricing.js"
import { SUPPLEMENT } from "./supplement.js"

/** USD per 1M tokens. */
export interface CallPrices {
  input: number
  output: number
  cacheRead?: number
  /** A cache write (Anthropic: the 5-minute one). */
  cacheWrite?: number
  /** A 1-hour cache write (Anthropic); twice the input price when not given, as Anthropic charges. */
  cacheWrite1h?: number
}

export interface CallTokens {
  provider: string
  model: string
  inputTokens: number
  outputTokens: number
  reasoningTokens?: number
  cacheReadTokens?: number
  cacheWriteTokens?: number
  /** The part of `cacheWriteTokens` written for 1 hour (Claude Code's `ephemeral_1h_input_tokens`). */
  cacheWrite1hTokens?: number
  /** `outputTokens` already counts the reasoning tokens (Codex, as OpenAI bills): they are not priced again. */
  reasoningInOutput?: boolean
}

/** Where a model's prices came from. */
export type CallPriceSource = "given" | "supplement" | "catalogue"

export interface ResolvedPrices {
  prices: CallPrices
  source: CallPriceSource
  /** The supplement's or the catalogue's `provider/model` key (the given prices' model name). */
  key: string
}

/** A model name as the tables key it: lower case, its provider prefix apart, and its id without a date suffix. */
export function modelName(model: string): { prefix?: string; id: string; base: string } {
  const lower = model.trim().toLowerCase()
  const slash = lower.lastIndexOf("/")
  const id = lower.slice(slash + 1)
  const base = id.replace(/(?:[-@]\d{8}|-\d{4}-\d{2}-\d{2}|-latest)$/, "")
  return slash > 0 ? { prefix: lower.slice(0, slash), id, base } : { id, base }
}

/** The vendor of a model family, whose own price is preferred over a reseller's. */
function vendorOf(id: string): string | undefined {
  if (id.startsWith("claude")) return "anthropic"
  if (/^(gpt|o\d|codex|chatgpt)/.test(id)) return "openai"
  if (/^(gemini|gemma)/.test(id)) return "google"
  return undefined
}

interface Candidate {
  key: string
  provider: string
  id: string
  base: string
  prices: CallPrices
  source: "supplement" | "catalogue"
}

interface Index {
  byKey: Map<string, Candidate>
  byName: Map<string, Candidate[]>
}

let index: Index | undefined

/** Both tables by lower-case key (the supplement first, so it wins a key), and by model id and by base id. */
function tables(): Index {
  if (index) return index
  const byKey = new Map<string, Candidate>()
  const byName = new Map<string, Candidate[]>()
  const add = (key: string, prices: CallPrices, source: Candidate["source"]) => {
    const lower = key.toLowerCase()
    if (byKey.has(lower)) return
    const slash = lower.indexOf("/")
    const { id, base } = modelName(lower.slice(slash + 1))
    const candidate = { key, provider: lower.slice(0, slash), id, base, prices, source }
    byKey.set(lower, candidate)
    for (const name of new Set([id, base])) {
      const list = byName.get(name) ?? []
      list.push(candidate)
      byName.set(name, list)
    }
  }
  for (const [key, { source: _page, ...prices }] of Object.entries(SUPPLEMENT)) add(key, prices, "supplement")
  for (const [key, [input, output, cacheRead, cacheWrite]] of Object.entries(CATALOGUE)) {
    add(
      key,
      { input, output, ...(cacheRead !== null && { cacheRead }), ...(cacheWrite !== null && { cacheWrite }) },
      "catalogue",
    )
  }
  index = { byKey, byName }
  return index
}

/**
 * The prices of a model from the supplement or the catalogue: first under the call's provider (or the model's own
 * prefix), by the name as given, then without its date suffix; else any provider's entry of that name, preferring
 * the call's provider, then the supplement, then the model family's vendor, then the exact name over a dated one,
 * then the newest date.
 */
export function lookupPrices(provider: string, model: string): ResolvedPrices | undefined {
  const { byKey, byName } = tables()
  const p = provider.trim().toLowerCase()
  const { prefix, id, base } = modelName(model)
  const keys = [`${p}/${prefix ? `${prefix}/` : ""}${id}`, `${p}/${id}`, `${p}/${base}`]
  if (prefix) keys.push(`${prefix}/${id}`, `${prefix}/${base}`)
  for (const key of keys) {
    const hit = byKey.get(key)
    if (hit) return { prices: hit.prices, source: hit.source, key: hit.key }
  }
  const vendor = prefix ?? vendorOf(base)
  const rank = (c: Candidate) =>
    (c.provider === p ? 0 : 8) +
    (c.source === "supplement" ? 0 : 4) +
    (c.provider === vendor ? 0 : 2) +
    (c.id === id ? 0 : 1)
  const pool = [...(byName.get(id) ?? []), ...(id === base ? [] : (byName.get(base) ?? []))].filter(
    (c) => c.id === id || c.base === base,
  )
  const best = pool.sort((a, b) => rank(a) - rank(b) || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0))[0]
  return best && { prices: best.prices, source: best.source, key: best.key }
}

/** Given prices by the model's name as logged, else by its id, else by its id without a date suffix. */
function givenPrices(model: string, prices: Readonly<Record<string, CallPrices>>): ResolvedPrices | undefined {
  const { id, base } = modelName(model)
  for (const name of [model, id, base]) {
    if (Object.hasOwn(prices, name)) return { prices: prices[name] as CallPrices, source: "given", key: name }
  }
  return undefined
}

/**
 * input x input price + output (+ reasoning, unless already in output) x output price + cache reads at the cache
 * read price + cache writes at the cache write price (the 1-hour part at the 1-hour price); a cache price the
 * table does not list is the input price (twice the input price for a 1-hour write). `prices` (by model name)
 * win over the supplement and the catalogue.
 */
export function priceCall(
  call: CallTokens,
  prices: Readonly<Record<string, CallPrices>> = {},
): { cost: number; unpriced: boolean } {
  const known = givenPrices(call.model, prices) ?? lookupPrices(call.provider, call.model)
  const p = known?.prices ?? { input: FALLBACK_PRICING.inputPer1M, output: FALLBACK_PRICING.outputPer1M }
  const output = call.outputTokens + (call.reasoningInOutput ? 0 : (call.reasoningTokens ?? 0))
  const cacheWrite = call.cacheWriteTokens ?? 0
  const cacheWrite1h = Math.min(call.cacheWrite1hTokens ?? 0, cacheWrite)
  const cost =
    (call.inputTokens * p.input +
      output * p.output +
      (call.cacheReadTokens ?? 0) * (p.cacheRead ?? p.input) +
      (cacheWrite - cacheWrite1h) * (p.cacheWrite ?? p.input) +
      cacheWrite1h * (p.cacheWrite1h ?? 2 * p.input)) /
    1_000_000
  return { cost, unpriced: known === undefined }
}
