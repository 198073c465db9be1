/**
 * The ingestion and aggregate figures on PostgreSQL (USAGE_BENCH_PG, else USAGE_TEST_PG, else
 * postgres://postgres@127.0.0.1:5432/test; the benchmark creates its own databases there and drops them):
 * - HTTP ingestion, 1000-record batches from 5 senders, to `usage serve --db postgres://…/<fresh db>`,
 *   against reference (6): multi-row INSERT (unnest, 1000 rows per statement and transaction) through pg into
 *   the same table, interleaved;
 * - summary and 30-day trends at 10k, 100k and 1M records (loaded through the store's insertBatches, then
 *   VACUUM ANALYZE as autovacuum would), against the full-scan GROUP BY on the same database; the CLI
 *   against the bare oclif import at 1M.
 */
import { chunks, DAY_MS, FIXTURE_END_MS, generateRecords, toStored } from "../lib/data.js"
import { log, storeApi } from "../lib/fixtures.js"
import { FULL_SCAN_SQL, trendScan } from "../lib/full-scan.js"
import { compareIngestion } from "../lib/ingest-run.js"
import { timeQuery } from "../lib/postgres-fixture.js"
import { cliRows, cliTimes, curveRows, queryRows, serverQueries, sizeLabel } from "../lib/query-run.js"
import { adminClient, createDatabase, dropDatabase, openRawPg } from "../lib/raw-postgres.js"
import { makeRow, missingRow } from "../lib/report.js"
import { startService } from "../lib/service.js"
import { summarize } from "../lib/stats.js"
import { SIZES, TREND_SINCE_MS } from "./queries.js"

const COMMAND = "npm run bench -- postgres"

async function loadFixture(url, count) {
  const { openStore } = await storeApi()
  const t0 = Date.now()
  const store = await openStore(url)
  try {
    const records = generateRecords({ count, startMs: FIXTURE_END_MS - 60 * DAY_MS, endMs: FIXTURE_END_MS, seed: 42 })
    for (const chunk of chunks(records, 20_000)) await store.insertBatches([chunk.map((r) => toStored(r))])
  } finally {
    await store.close()
  }
  log(`loaded ${sizeLabel(count)} records into PostgreSQL in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
}

export default {
  title: "PostgreSQL: HTTP ingestion vs multi-row INSERT through pg; summary/trends vs full scan; CLI",
  async run({ quick }) {
    let admin
    try {
      admin = await adminClient()
    } catch (error) {
      return [
        missingRow({
          id: "postgres",
          target: this.title,
          reason: `PostgreSQL unreachable: ${error.message}`,
          command: COMMAND,
        }),
      ]
    }
    const prefix = `usage_hub_bench_${process.pid}`
    const created = []
    const rows = []
    const { openStore } = await storeApi()
    try {
      // Ingestion.
      const serviceUrl = await createDatabase(admin, `${prefix}_service`)
      const rawUrl = await createDatabase(admin, `${prefix}_raw`)
      created.push(`${prefix}_service`, `${prefix}_raw`)
      await (await openStore(rawUrl)).close()
      const raw = await openRawPg(rawUrl)
      const service = await startService({ db: serviceUrl })
      let ingestion
      try {
        ingestion = await compareIngestion({
          service,
          reference: raw,
          reps: quick ? 2 : 5,
          batchesPerSender: quick ? 4 : 12,
          tag: "pg",
        })
      } finally {
        await service.stop()
        await raw.close()
      }
      rows.push(
        makeRow({
          id: "ingest.postgres.batches",
          target: "HTTP ingestion into PostgreSQL: 1000-record batches, 5 concurrent senders",
          unit: "rec/s",
          samples: ingestion.target,
          ref: { name: "pg multi-row INSERT (1000/txn)", samples: ingestion.reference },
          compare: "ratio",
          goals: [{ on: "compare", op: ">=", limit: 0.5 }],
          extra: { serviceMaxRssMiB: ingestion.rss.max / 2 ** 20 },
          command: COMMAND,
        }),
      )
      for (const name of [`${prefix}_service`, `${prefix}_raw`]) await dropDatabase(admin, name)

      // Aggregates.
      const sizes = quick ? SIZES.filter((n) => n <= 100_000) : SIZES.filter((n) => n <= 1_000_000)
      const curve = { summary: {}, trends: {}, fullScan: {} }
      for (const size of sizes) {
        const name = `${prefix}_q${size}`
        const url = await createDatabase(admin, name)
        created.push(name)
        await loadFixture(url, size)
        const { Client } = (await import("pg")).default
        const client = new Client({ connectionString: url })
        await client.connect()
        let fullScanMs
        let trendScanMs
        try {
          await client.query("VACUUM ANALYZE")
          const reps = quick ? 3 : size >= 1_000_000 ? 5 : 10
          fullScanMs = await timeQuery(client, FULL_SCAN_SQL, [], reps)
          const scan = trendScan("anthropic", TREND_SINCE_MS, true)
          trendScanMs = await timeQuery(client, scan.text, scan.values, reps)
        } finally {
          await client.end()
        }
        const { summaryMs, trendsMs, more } = await serverQueries(url, quick ? 10 : 30)
        curve.summary[size] = summarize(summaryMs).median
        curve.trends[size] = summarize(trendsMs).median
        curve.fullScan[size] = summarize(fullScanMs).median
        log(
          `${sizeLabel(size)}: summary ${curve.summary[size].toFixed(2)} ms, trends ${curve.trends[size].toFixed(2)} ms, full scan ${summarize(fullScanMs).median.toFixed(1)} ms`,
        )
        const common = { makeRow, backend: "postgres", size, command: COMMAND }
        rows.push(...queryRows({ ...common, summaryMs, trendsMs, fullScanMs, trendScanMs, more }))
        if (size >= 1_000_000 || (quick && size === sizes[sizes.length - 1])) {
          rows.push(...cliRows({ ...common, cli: await cliTimes(url, quick ? 3 : 10) }))
        }
        await dropDatabase(admin, name)
      }
      rows.push(...curveRows({ makeRow, backend: "postgres", curve, command: COMMAND }))
    } finally {
      for (const name of created) await dropDatabase(admin, name).catch(() => {})
      await admin.end()
    }
    return rows
  },
}
