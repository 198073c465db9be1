/** Test records: a deterministic PRNG (so a failure reproduces) and one plain record to vary per test. */
import type { StoredRecord } from "../../src/lib/record.js"

/** mulberry32: a small seeded PRNG giving floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** An anthropic call of node-a (1000 in, 100 out, $0.0045), with `over` on top. */
export function record(over: Partial<StoredRecord> & { id: string; timestamp: Date }): StoredRecord {
  return {
    provider: "anthropic",
    model: "claude-sonnet-4-5",
    inputTokens: 1000,
    outputTokens: 100,
    estimatedCost: 0.0045,
    taskType: "primary",
    node: "node-a",
    ...over,
  }
}
