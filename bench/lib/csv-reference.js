/**
 * Reference (5), the formatting floor of a CSV export: iterate the records with better-sqlite3 in the export's
 * order (ts, node, id) and join the fields with commas, unquoted, the timestamp as ISO 8601 and the cost in
 * USD, written to stdout in ~1 MB pieces. Run as a child process: `node bench/lib/csv-reference.js DB`.
 */
import { writeSync } from "node:fs"
import Database from "better-sqlite3"

const db = new Database(process.argv[2], { readonly: true })
const rows = db
  .prepare(
    `SELECT id, ts, provider, model, input_tokens, output_tokens, cost_nanos, task_type, session_id, node,
            cache_read_tokens, cache_write_tokens, reasoning_tokens
       FROM usage_records ORDER BY ts, node, id`,
  )
  .raw()
  .iterate()
const out = (text) => {
  let buffer = Buffer.from(text)
  while (buffer.length > 0) {
    const n = writeSync(1, buffer)
    buffer = buffer.subarray(n)
  }
}
let piece =
  "id,timestamp,provider,model,inputTokens,outputTokens,estimatedCost,taskType,sessionID,node,cacheReadTokens,cacheWriteTokens,reasoningTokens\n"
for (const r of rows) {
  r[1] = new Date(r[1]).toISOString()
  r[6] = r[6] / 1e9
  piece += `${r.join(",")}\n`
  if (piece.length > 1_000_000) {
    out(piece)
    piece = ""
  }
}
out(piece)
db.close()
