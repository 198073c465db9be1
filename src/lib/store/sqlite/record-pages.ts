/**
 * The records matching a filter, page by page in (ts, node, id) order by keyset (never OFFSET), as SQLite reads
 * them: shared by SqliteStore.iterate and the export worker (export-worker.ts), which reads on its own connection.
 * Rows come as arrays (RECORD_COLUMNS order): no row object per row on the export path.
 */
import type { UsageRecord } from "../../record.js"
import { fromRawRecordRow, RECORD_COLUMNS } from "../record-row.js"
import { iteratePageQuery, SQLITE_DIALECT } from "../sql-query.js"
import type { RecordFilter } from "../store.js"

const [TS, NODE, ID] = (["ts", "node", "id"] as const).map((c) => RECORD_COLUMNS.indexOf(c))

/** Runs a query whose statement returns rows as arrays (`.raw(true)`). */
export type RawQuery = (text: string, params: (string | number)[]) => unknown[][]

/** Pages of at most `pageRows` records; each page is read only when the previous one has been taken. */
export function* recordPages(run: RawQuery, filter: RecordFilter, pageRows: number): Generator<UsageRecord[]> {
  const limit = Math.max(1, Math.floor(pageRows))
  let after: { ts: number; node: string; id: string } | undefined
  for (;;) {
    const query = iteratePageQuery(filter, after, limit, SQLITE_DIALECT)
    const rows = run(query.text, query.params)
    if (rows.length === 0) return
    const last = rows[rows.length - 1]
    after = { ts: Number(last[TS]), node: last[NODE] as string, id: last[ID] as string }
    yield rows.map(fromRawRecordRow)
    if (rows.length < limit) return
  }
}
