/**
 * The ingestion workload: `senders` machines, each sending its own records (one node per sender, live
 * timestamps over the last hour) in batches of `batchSize`, as `{"node", "records": [...]}` JSON bodies built
 * before the clock starts. The same records, as table rows, feed the raw-insert references, so a reference
 * and its target insert identical data in the same order.
 */
import { generateRecords, toWire } from "./data.js"
import { toRow } from "./raw-sqlite.js"

/**
 * Builds one repetition's batches, interleaved by sender (batch i comes from sender i % senders).
 * Returns [{ body, records, rows, node }].
 */
export function buildBatches({ rep, senders = 5, batchesPerSender, batchSize = 1000, nowMs = Date.now(), tag = "" }) {
  const perSender = Array.from({ length: senders }, (_, k) => [
    ...generateRecords({
      count: batchesPerSender * batchSize,
      startMs: nowMs - 3_600_000,
      endMs: nowMs,
      seed: 10_000 * (rep + 1) + k,
      nodes: [`sender-${k + 1}`],
      idPrefix: `${tag}r${rep}s${k}-`,
    }),
  ])
  const batches = []
  for (let b = 0; b < batchesPerSender; b++) {
    for (let k = 0; k < senders; k++) {
      const records = perSender[k].slice(b * batchSize, (b + 1) * batchSize)
      const node = `sender-${k + 1}`
      const wire = records.map((r) => {
        const { node: _node, ...rest } = toWire(r)
        return rest
      })
      batches.push({
        body: JSON.stringify({ node, records: wire }),
        records: records.length,
        rows: records.map(toRow),
        node,
      })
    }
  }
  return batches
}

export const JSON_HEADERS = { "content-type": "application/json" }
