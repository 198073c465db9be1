/**
 * Reference (1), the ceiling of ingestion into SQLite: better-sqlite3 inserting into the store's own
 * `usage_records` table (same schema: primary key (ts, node, id), WITHOUT ROWID, STRICT; created by the
 * store's migration) with the store's pragmas (WAL, synchronous FULL), one prepared statement with
 * positional parameters, ON CONFLICT DO NOTHING (identity), transactions of 1000, no rollups.
 */
import Database from "better-sqlite3"

/** The records table's columns, in bind order: the store's own list (the reference writes the same table). */
export { RECORD_COLUMNS } from "../../dist/lib/store/record-row.js"

import { RECORD_COLUMNS } from "../../dist/lib/store/record-row.js"

/** A generated record (data.js) as the positional row of usage_records. */
export function toRow(r) {
  return [
    r.node ?? "unknown",
    r.id,
    r.timestamp,
    r.provider,
    r.model,
    r.taskType,
    r.sessionID ?? null,
    r.inputTokens,
    r.outputTokens,
    r.cacheReadTokens ?? null,
    r.cacheWriteTokens ?? null,
    r.reasoningTokens ?? null,
    Math.round(r.estimatedCost * 1e9),
    r.unpriced === undefined ? null : r.unpriced ? 1 : 0,
    r.agent ?? null,
    r.project ?? null,
  ]
}

/** Opens an existing store file for the raw reference, with the store's pragmas. */
export function openRaw(path, synchronous = "FULL") {
  const db = new Database(path)
  db.pragma("journal_mode = WAL")
  db.pragma(`synchronous = ${synchronous}`)
  const insert = db.prepare(
    `INSERT INTO usage_records (${RECORD_COLUMNS.join(", ")}) VALUES (${RECORD_COLUMNS.map(() => "?").join(", ")}) ON CONFLICT DO NOTHING`,
  )
  const insertMany = db.transaction((rows) => {
    let n = 0
    for (const row of rows) n += insert.run(row).changes
    return n
  })
  return {
    db,
    /** Inserts `rows` in transactions of `txSize`; returns { inserted, ms }. */
    insertAll(rows, txSize = 1000) {
      const t0 = performance.now()
      let inserted = 0
      for (let i = 0; i < rows.length; i += txSize) inserted += insertMany(rows.slice(i, i + txSize))
      return { inserted, ms: performance.now() - t0 }
    },
    close: () => db.close(),
  }
}
