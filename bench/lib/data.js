/**
 * Realistic, deterministic usage records for the benchmarks: 8 providers with 3 models each (legacy prices,
 * a few models unpriced), 10 nodes, 3 task types, sessions of a few dozen calls, UUIDv7-style ids, token
 * counts skewed toward small calls. A seeded PRNG makes every fixture reproducible, so cached fixtures and
 * fresh ones hold the same rows.
 */

/** Bump when the generated data changes (invalidates cached fixtures). */
export const DATA_VERSION = 1

export const FIXTURE_END_MS = Date.UTC(2026, 10, 20, 12, 0, 0)
export const FIXTURE_END_ISO = new Date(FIXTURE_END_MS).toISOString()
export const DAY_MS = 86_400_000

/** provider -> [model, inputPer1M, outputPer1M, unpriced?] */
const CATALOGUE = [
  [
    "anthropic",
    0.3,
    [
      ["claude-opus-4-5", 15, 75],
      ["claude-sonnet-4-5", 3, 15],
      ["claude-haiku-4-5", 0.25, 1.25],
    ],
  ],
  [
    "openai",
    0.2,
    [
      ["gpt-5.2", 10, 30],
      ["gpt-5.2-codex", 15, 60],
      ["gpt-5-nano", 0.15, 0.6],
    ],
  ],
  [
    "google",
    0.12,
    [
      ["gemini-3-flash", 0.075, 0.3],
      ["gemini-3-pro", 1.25, 5],
      ["gemini-2.5-ultra", 5, 20, true],
    ],
  ],
  [
    "github-copilot",
    0.1,
    [
      ["claude-sonnet-4-5", 3, 15],
      ["gpt-5.2", 10, 30],
      ["gemini-3-pro", 1.25, 5],
    ],
  ],
  [
    "opencode",
    0.08,
    [
      ["big-pickle", 0.5, 2],
      ["glm-4.6", 0.5, 2],
      ["kimi-k2-thinking", 5, 20],
    ],
  ],
  [
    "zai-coding-plan",
    0.08,
    [
      ["glm-4.6", 0.5, 2],
      ["glm-4.7", 2, 8],
      ["glm-4.5-air", 5, 20, true],
    ],
  ],
  [
    "openrouter",
    0.07,
    [
      ["qwen3-coder-480b", 4, 16],
      ["kimi-k2-0905", 3, 12],
      ["glm-4.7", 2, 8],
    ],
  ],
  [
    "moonshot",
    0.05,
    [
      ["kimi-k2-thinking", 5, 20],
      ["kimi-k2-0905", 3, 12],
      ["kimi-k2-turbo", 5, 20, true],
    ],
  ],
]

export const PROVIDERS = CATALOGUE.map(([p]) => p)
export const NODES = Array.from({ length: 10 }, (_, i) => `build-${String(i + 1).padStart(2, "0")}`)
export const TASK_TYPES = ["primary", "background-task", "subagent"]

const cumulative = (() => {
  let acc = 0
  return CATALOGUE.map(([, w]) => {
    acc += w
    return acc
  })
})()

/** mulberry32: a small, fast, seeded PRNG giving floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `digits` hex digits from the PRNG `rnd`. */
export const hex = (rnd, digits) => {
  let out = ""
  while (out.length < digits)
    out += Math.floor(rnd() * 0x100000000)
      .toString(16)
      .padStart(8, "0")
  return out.slice(0, digits)
}

/** A UUIDv7-shaped id whose time part is `ms` (deterministic given the PRNG). */
function uuidV7(ms, rnd) {
  const t = ms.toString(16).padStart(12, "0")
  const r = hex(rnd, 20)
  const variant = ((Number.parseInt(r[3], 16) & 0x3) | 0x8).toString(16)
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${r.slice(0, 3)}-${variant}${r.slice(4, 7)}-${r.slice(8, 20)}`
}

function pickProvider(x) {
  for (let i = 0; i < cumulative.length; i++) if (x < cumulative[i]) return i
  return cumulative.length - 1
}

/**
 * Generates `count` records spread evenly (with jitter) over [startMs, endMs), in time order. Each record is
 * a plain object: `timestamp` in epoch ms (see toWire / toStored). Options: seed, legacy (8-hex ids, no node),
 * idPrefix (to make ids unique across runs that share a seed), nodes (default the 10 cluster nodes; one node
 * for what a single machine's adapter sends).
 */
export function* generateRecords({ count, startMs, endMs, seed = 1, legacy = false, idPrefix = "", nodes = NODES }) {
  const rnd = prng(seed)
  const span = endMs - startMs
  const sessions = nodes.map(() => ({ id: "", left: 0 }))
  for (let i = 0; i < count; i++) {
    const ts = Math.floor(startMs + ((i + rnd()) * span) / count)
    const [provider, , models] = CATALOGUE[pickProvider(rnd())]
    const [model, inPrice, outPrice, unpriced] = models[Math.floor(rnd() * models.length)]
    const nodeIndex = Math.floor(rnd() * nodes.length)
    const session = sessions[nodeIndex]
    if (session.left <= 0) {
      session.id = `ses_${hex(rnd, 16)}`
      session.left = 5 + Math.floor(rnd() * 60)
    }
    session.left -= 1
    const u = rnd()
    const inputTokens = Math.floor(200 + u * u * 60_000)
    const v = rnd()
    const outputTokens = Math.floor(20 + v * v * 6_000)
    const record = {
      id: legacy ? `usage_${hex(rnd, 8)}` : `usage_${idPrefix}${uuidV7(ts, rnd)}`,
      timestamp: ts,
      provider,
      model,
      inputTokens,
      outputTokens,
      estimatedCost: (inputTokens / 1e6) * inPrice + (outputTokens / 1e6) * outPrice,
      taskType: TASK_TYPES[Math.floor(rnd() * rnd() * TASK_TYPES.length)],
      sessionID: session.id,
    }
    if (!legacy) {
      record.node = nodes[nodeIndex]
      if (provider === "anthropic") {
        record.cacheReadTokens = Math.floor(inputTokens * rnd() * 0.8)
        record.cacheWriteTokens = Math.floor(inputTokens * rnd() * 0.1)
      }
      if (model.startsWith("gpt-5.2") || model.includes("thinking"))
        record.reasoningTokens = Math.floor(outputTokens * rnd())
      if (unpriced) record.unpriced = true
    }
    yield record
  }
}

/** The wire form (ISO timestamp). */
export function toWire(record) {
  return { ...record, timestamp: new Date(record.timestamp).toISOString() }
}

/** The store form (Date timestamp, node set). */
export function toStored(record, node = "unknown") {
  return { ...record, timestamp: new Date(record.timestamp), node: record.node ?? node }
}

/** Collects a generator into arrays of `size`. */
export function* chunks(iterable, size) {
  let chunk = []
  for (const item of iterable) {
    chunk.push(item)
    if (chunk.length === size) {
      yield chunk
      chunk = []
    }
  }
  if (chunk.length > 0) yield chunk
}
