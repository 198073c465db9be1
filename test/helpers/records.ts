/**
 * Test records: a deterministic PRNG (so a failure reproduces) and one plain record to vary per test, with its
 * variants: without a node (as a writer gets it before stamping its own), with a fresh id, and its JSON form.
 */
import type { StoredRecord, UsageRecord } from "../../src/lib/record.js"

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

type RecordOver = Partial<UsageRecord> & { id: string; timestamp: Date }

/** `record(...)` without a node unless `over` gives one: as a writer gets it before stamping its own. */
export function unstampedRecord(over: RecordOver): UsageRecord {
  const { node, ...rest } = record(over as Partial<StoredRecord> & { id: string; timestamp: Date })
  return over.node === undefined ? rest : { ...rest, node }
}

/** The JSON form a file or a request carries (ISO timestamp), without a node unless `over` gives one. */
export function recordJson(over: RecordOver & Record<string, unknown>): Record<string, unknown> {
  const r = unstampedRecord(over)
  return { ...r, timestamp: r.timestamp.toISOString() }
}

let seq = 0

/** An unstamped record with a fresh id (`usage_t<pid>_<n>`) and a timestamp just before now, `over` on top. */
export function makeRecord(over: Partial<UsageRecord> = {}): UsageRecord {
  seq += 1
  return unstampedRecord({ id: `usage_t${process.pid}_${seq}`, timestamp: new Date(Date.now() - 1000 + seq), ...over })
}

export function makeRecords(n: number, over: Partial<UsageRecord> = {}): UsageRecord[] {
  return Array.from({ length: n }, () => makeRecord(over))
}
