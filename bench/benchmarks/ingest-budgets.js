/**
 * Budget evaluation's cost to ingestion: the batch workload of the ingest benchmark (5 senders, 1000-record
 * batches) into `usage serve --config <50 budgets>` on a fresh SQLite file, against the same service without
 * budgets (reference), interleaved in one run. The budgets mix the four periods and filter by provider, model,
 * node and agent-less totals; a few are small enough to cross their thresholds (claims in the store).
 */
import { writeFileSync } from "node:fs"
import { PROVIDERS } from "../lib/data.js"
import { log, removeDb, tmpPath } from "../lib/fixtures.js"
import { buildBatches, JSON_HEADERS } from "../lib/ingest-data.js"
import { closedLoop, createPool } from "../lib/load.js"
import { makeRow } from "../lib/report.js"
import { startService } from "../lib/service.js"

const PERIODS = ["day", "week", "month", "billing"]

/** 50 budgets: per provider (all periods), per sender node, per provider and node, and a few overall. */
function budgets() {
  const out = []
  for (let i = 0; out.length < 50; i++) {
    const provider = PROVIDERS[i % PROVIDERS.length]
    const period = PERIODS[i % PERIODS.length]
    const node = i % 3 === 0 ? `sender-${(i % 5) + 1}` : undefined
    const small = i % 10 === 0
    out.push({
      name: `budget-${i}`,
      amount: small ? 5 : 1_000_000,
      period,
      ...(period === "billing" || i % 2 === 0 ? { provider } : {}),
      ...(node ? { node } : {}),
    })
  }
  return out
}

export default {
  title: "HTTP ingestion into SQLite with 50 budgets evaluated, vs the same service without budgets",
  async run({ quick }) {
    const config = tmpPath("budgets-config.json")
    writeFileSync(config, JSON.stringify({ usage: {}, service: { budgets: budgets() } }))
    const dbs = [tmpPath("ingest-budgets.db"), tmpPath("ingest-nobudgets.db")]
    for (const db of dbs) removeDb(db)
    const withBudgets = await startService({ db: dbs[0], extraArgs: ["--config", config] })
    const without = await startService({ db: dbs[1] })
    const pools = [createPool(withBudgets.url, 5), createPool(without.url, 5)]
    const target = []
    const reference = []
    const reps = quick ? 2 : 5
    try {
      for (let rep = -1; rep < reps; rep++) {
        const batches = buildBatches({ rep: rep + 1, senders: 5, batchesPerSender: rep < 0 ? 2 : quick ? 6 : 12 })
        const run = async (pool) => {
          const result = await closedLoop({
            pool,
            concurrency: 5,
            maxRequests: batches.length,
            checkAccepted: true,
            request: (i) => ({
              path: "/ingest/usage",
              headers: JSON_HEADERS,
              body: batches[i].body,
              records: batches[i].records,
            }),
          })
          if (result.errors > 0 || result.mismatches > 0)
            throw new Error(`ingest failed: ${result.firstError ?? "mismatch"}`)
          return result.recordsPerSecond
        }
        // Alternate which goes first, as the ingest benchmark does.
        let b
        let n
        if (rep % 2 === 0) {
          b = await run(pools[0])
          n = await run(pools[1])
        } else {
          n = await run(pools[1])
          b = await run(pools[0])
        }
        if (rep < 0) continue
        target.push(b)
        reference.push(n)
        log(`rep ${rep + 1}: with 50 budgets ${b.toFixed(0)} rec/s, without ${n.toFixed(0)} rec/s`)
      }
    } finally {
      for (const pool of pools) await pool.close()
      await withBudgets.stop()
      await without.stop()
      for (const db of dbs) removeDb(db)
    }
    return [
      makeRow({
        id: "ingest.sqlite.budgets-50",
        target: "HTTP ingestion into SQLite with 50 budgets evaluated as records commit",
        unit: "rec/s",
        samples: target,
        ref: { name: "the same service without budgets", samples: reference },
        compare: "ratio",
        goals: [{ on: "compare", op: ">=", limit: 0.9 }],
        command: "npm run bench -- ingest-budgets",
      }),
    ]
  },
}
