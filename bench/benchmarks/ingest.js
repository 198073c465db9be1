/**
 * HTTP ingestion into SQLite: 5 concurrent senders POST batches of 1000 records (`{"node", "records"}` JSON,
 * keep-alive) to `usage serve --db <fresh file>`; each answer waits for its commit. Reference (1): raw
 * better-sqlite3 inserts of the same records into the same table (identity key, no rollups, one prepared
 * statement, transactions of 1000), run interleaved with the target in the same process run.
 */
import { removeDb, storeApi, tmpPath } from "../lib/fixtures.js"
import { compareIngestion } from "../lib/ingest-run.js"
import { openRaw } from "../lib/raw-sqlite.js"
import { makeRow } from "../lib/report.js"
import { startService } from "../lib/service.js"

export default {
  title: "HTTP ingestion into SQLite, batches of 1000 from 5 senders, vs raw better-sqlite3 inserts",
  async run({ quick }) {
    const { openStore } = await storeApi()
    const serviceDb = tmpPath("ingest-service.db")
    const rawDb = tmpPath("ingest-raw.db")
    removeDb(serviceDb)
    removeDb(rawDb)
    await (await openStore(rawDb)).close()
    const raw = openRaw(rawDb)
    const service = await startService({ db: serviceDb })
    let result
    try {
      result = await compareIngestion({
        service,
        reference: { insertAll: async (rows) => raw.insertAll(rows, 1000) },
        reps: quick ? 2 : 5,
        batchesPerSender: quick ? 6 : 12,
      })
    } finally {
      await service.stop()
      raw.close()
      removeDb(serviceDb)
      removeDb(rawDb)
    }
    return [
      makeRow({
        id: "ingest.sqlite.batches",
        target: "HTTP ingestion into SQLite: 1000-record batches, 5 concurrent senders",
        unit: "rec/s",
        samples: result.target,
        ref: { name: "raw better-sqlite3 (txn of 1000)", samples: result.reference },
        compare: "ratio",
        goals: [{ on: "compare", op: ">=", limit: 0.5 }],
        extra: { serviceMaxRssMiB: result.rss.max / 2 ** 20 },
        command: "npm run bench -- ingest",
      }),
      makeRow({
        id: "ingest.sqlite.batches.cpu",
        target: "the same, as CPU µs per record: the service process vs the raw reference (robust on a busy machine)",
        unit: "µs/rec",
        samples: result.cpu.service,
        ref: { name: "raw better-sqlite3 CPU", samples: result.cpu.reference },
        compare: "speedup",
        command: "npm run bench -- ingest",
      }),
    ]
  },
}
