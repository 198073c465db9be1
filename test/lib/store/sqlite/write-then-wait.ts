/**
 * Child process of the kill -9 spec: opens the SQLite store given as argv[2], inserts batches of 50 records
 * and prints "committed <n>" after each insert returns, until it is killed.
 */
import { SqliteStore } from "../../../../src/lib/store/sqlite/store.js"

const store = await SqliteStore.open(process.argv[2], { synchronous: process.argv[3] === "NORMAL" ? "NORMAL" : "FULL" })
let committed = 0
for (let batch = 0; ; batch++) {
  const records = Array.from({ length: 50 }, (_, i) => ({
    id: `usage_${batch}_${i}`,
    timestamp: new Date(Date.parse("2026-11-20T10:00:00Z") + batch * 1000 + i),
    provider: "anthropic",
    model: "claude-sonnet-4-5",
    inputTokens: 10,
    outputTokens: 1,
    estimatedCost: 0.001,
    taskType: "primary",
    node: "child",
  }))
  committed += (await store.insert(records)).accepted
  process.stdout.write(`committed ${committed}\n`)
  if (batch >= 1000) await new Promise((resolve) => setTimeout(resolve, 1000))
}
