/**
 * Child process of the sessions snapshot spec: opens the SQLite store given as argv[2] with a fold every 3
 * pending rows and commits single records of three sessions until argv[3] ms have passed, so that its appends
 * and folds commit all the time; prints "ready" after the first commit and "inserted <n>" at the end.
 */
import { SqliteStore } from "../../../../src/lib/store/sqlite/store.js"

const store = await SqliteStore.open(process.argv[2], { foldAfterRows: 3 })
const end = Date.now() + Number(process.argv[3])
let i = 0
while (Date.now() < end) {
  await store.insert([
    {
      id: `r${i}`,
      node: "writer",
      timestamp: new Date(Date.parse("2026-11-20T10:00:00Z") + i),
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      taskType: "primary",
      inputTokens: 1,
      outputTokens: 1,
      estimatedCost: 0,
      sessionID: `s${i % 3}`,
    },
  ])
  if (i++ === 0) process.stdout.write("ready\n")
}
await store.close()
process.stdout.write(`inserted ${i}\n`)
