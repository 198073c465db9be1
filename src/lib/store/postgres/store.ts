/**
 * The PostgreSQL store (`pg` Pool): the scale-out backend. Several `usage serve` replicas can share one
 * database: identity is the primary key (ts, node, id), so a record delivered to two replicas counts once.
 *
 * An insert is ONE statement outside a transaction (a statement is atomic and, with the default
 * `synchronous_commit = on`, returns after the WAL is flushed, so a committed insert survives a crash of the
 * service or of the server): the records as one multi-row `INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO
 * NOTHING` (fixed parameters, whatever the row count, array literals built by array-literal.ts), and in data-
 * modifying CTEs the increments of all of them, summed in JavaScript beforehand (one row per key): the
 * rollups (30 minutes, 3 hours, day, month: src/lib/store/rollup.ts), the narrow rollups, the sessions and
 * their models, the sessionless rollups, the nodes' receipt times and a counter slot, each table's rows in
 * primary-key order so concurrent writers lock them in the same order. One round trip: the rollup rows'
 * locks, which concurrent commits share, are never held across a round trip to this busy process. When a
 * record is already stored (a retry) the statement fails on purpose and the insert runs again in a
 * transaction: the insert returning the duplicates, then the new records' increments.
 *
 * The aggregate and iterate queries are the same SQL as SQLite (src/lib/store/sql-query.ts), sent as named
 * prepared statements; `aggregateMany` sends a whole plan step's aggregates as one statement (one round
 * trip). Sessions run without parallel query workers (a rollup read is too small to gain from them). `pg` is imported when a store is opened, so loading this module loads no driver.
 */
import { createHash } from "node:crypto"
import type { Pool, PoolClient, QueryResultRow } from "pg"
import { UsageHubError } from "../../errors.js"
import type { StoredRecord, UsageRecord } from "../../record.js"
import type { GroupBy } from "../../summary-types.js"
import {
  fromRecordRow,
  RECORD_COLUMNS,
  type RecordRow,
  type RecordRowOut,
  rowIdentity,
  toRecordRow,
} from "../record-row.js"
import {
  DIMENSION_COLUMNS,
  foldKeyNodeSums,
  type KeyNodeSums,
  NARROW_COLUMNS,
  NARROW_DIMENSIONS,
  NARROW_LEVELS,
  narrowValues,
  ROLLUP_COLUMNS,
  ROLLUP_LEVELS,
  RollupDeltas,
  rollupIncrementSet,
  rollupValues,
  SUM_COLUMNS,
  sumValues,
} from "../rollup.js"
import {
  HOUR_MS,
  type NodeActivity,
  nodeActivity,
  SESSION_COLUMNS,
  SESSION_MODEL_KEY,
  SESSIONLESS_LEVELS,
  SessionDeltas,
  type SessionsFilter,
  type SessionsResult,
} from "../sessions.js"
import {
  aggregateQuery,
  type BucketSums,
  bucketBatches,
  bucketsQuery,
  foldSourceRows,
  iteratePageQuery,
  POSTGRES_DIALECT,
  PRUNE_CLEANUP,
  pruneCountQuery,
  pruneCountResult,
  prunePageQuery,
  SESSION_UPSERTS,
  SESSIONLESS,
  type SessionPageRow,
  STORE_TABLES,
  sessionBoundsQuery,
  sessionsFromPage,
  sessionsPageQuery,
  sourceOf,
} from "../sql-query.js"
import {
  type AggregateRequest,
  type AggregateRow,
  type InsertResult,
  type PruneFilter,
  type PruneResult,
  pruneResultOf,
  type RecordFilter,
  type StoreStats,
  type UsageStore,
} from "../store.js"
import { redactUrl, storeError } from "../store-error.js"
import { arrayLiteral } from "./array-literal.js"
import { loadDriver, type PgDriver } from "./driver.js"
import { COUNTER_SLOTS, migrate } from "./schema.js"

/** What `statement` tells its function about the checked-out connection. */
interface ConnectionState {
  broken(): boolean
  markBroken(error: Error): void
}

export interface PostgresStoreOptions {
  /** Schema holding the tables, created when missing (e.g. one per test run). Default: the search_path. */
  schema?: string
  /** Connections in the pool. Default 10. */
  poolSize?: number
  /** How long to wait for a connection. Default 10000 ms. */
  connectTimeoutMs?: number
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/

const RECORD_TYPES: Record<(typeof RECORD_COLUMNS)[number], string> = {
  node: "text",
  id: "text",
  ts: "bigint",
  provider: "text",
  model: "text",
  task_type: "text",
  session_id: "text",
  input_tokens: "bigint",
  output_tokens: "bigint",
  cache_read_tokens: "bigint",
  cache_write_tokens: "bigint",
  reasoning_tokens: "bigint",
  cost_nanos: "bigint",
  unpriced: "smallint",
  agent: "text",
  project: "text",
}

const ROLLUP_TYPES: Record<(typeof ROLLUP_COLUMNS)[number], string> = {
  provider: "text",
  bucket: "bigint",
  model: "text",
  node: "text",
  task_type: "text",
  agent: "text",
  project: "text",
  calls: "bigint",
  cost_usd: "bigint",
  cost_nanos: "bigint",
  input_tokens: "bigint",
  output_tokens: "bigint",
  cache_read_tokens: "bigint",
  cache_write_tokens: "bigint",
  reasoning_tokens: "bigint",
  unpriced_calls: "bigint",
}

/** `unnest($1::text[], $2::bigint[], …)` for columns starting at parameter `first`. */
function unnestOf(types: readonly string[], first: number): string {
  return `unnest(${types.map((type, i) => `$${first + i}::${type}[]`).join(", ")})`
}

/** The rows as one array literal per column (the parameters of an unnest insert). */
function columnArrays<Row>(rows: readonly Row[], columns: readonly (keyof Row)[]): string[] {
  return columns.map((column) => arrayLiteral(rows.map((row) => row[column])))
}

const SESSION_TYPES = SESSION_COLUMNS.map((c) => (c === "node" || c === "session_id" ? "text" : "bigint"))
const SESSION_MODEL_TYPES = [...SESSION_MODEL_KEY.map(() => "text"), "bigint"]

/**
 * The CTEs adding a transaction's increments, parameters from `first` on (incrementValues): every rollup
 * level, the narrow rollups, the new providers, a counter slot, the sessions, their models, the sessionless
 * rollups and the nodes' receipt times. Inserts and prunes all send these CTEs, so every writer locks the
 * tables in one order (and each table's rows in key order).
 */
function incrementCtes(first: number): string[] {
  let next = first
  const source = (types: readonly string[]) => {
    const text = `SELECT * FROM ${unnestOf(types, next)}`
    next += types.length
    return text
  }
  const rollupTypes = ROLLUP_COLUMNS.map((c) => ROLLUP_TYPES[c])
  const parts = ROLLUP_LEVELS.map(
    (level, i) => `r${i} AS (INSERT INTO ${level.table} (${ROLLUP_COLUMNS.join(", ")}) ${source(rollupTypes)}
  ON CONFLICT (${DIMENSION_COLUMNS.join(", ")}) DO UPDATE SET ${rollupIncrementSet(level.table)})`,
  )
  // The narrow rollups after the wide ones.
  for (const [i, level] of NARROW_LEVELS.entries()) {
    parts.push(`n${i} AS (INSERT INTO ${level.table} (${NARROW_COLUMNS.join(", ")}) ${source(NARROW_COLUMNS.map((c) => ROLLUP_TYPES[c]))}
  ON CONFLICT (${NARROW_DIMENSIONS.join(", ")}) DO UPDATE SET ${rollupIncrementSet(level.table)})`)
  }
  parts.push(`p AS (INSERT INTO usage_providers (provider) ${source(["text"])} ON CONFLICT DO NOTHING)`)
  parts.push(`c AS (UPDATE usage_counters SET records = records + $${next}::bigint WHERE slot = $${next + 1}::integer)`)
  next += 2
  parts.push(`s AS (${SESSION_UPSERTS.sessions(source(SESSION_TYPES), "LEAST", "GREATEST")})`)
  parts.push(`m AS (${SESSION_UPSERTS.models(source(SESSION_MODEL_TYPES))})`)
  for (const [i, level] of SESSIONLESS_LEVELS.entries())
    parts.push(`l${i} AS (${SESSION_UPSERTS.sessionless(level.table, source(rollupTypes))})`)
  parts.push(
    `o AS (${SESSION_UPSERTS.nodes(`SELECT node, $${next + 1}::bigint FROM unnest($${next}::text[]) AS node`, "GREATEST")})`,
  )
  return parts
}

/** One statement adding a transaction's increments (negative for a prune, with no receipt time). */
const UPDATE_INCREMENTS = `WITH ${incrementCtes(1).join(",\n")}\nSELECT 1`

/** The unnest parameters of the records' identity columns. */
const RECORD_KEY = (["node", "id", "ts"] as const).map((c) => `$${RECORD_COLUMNS.indexOf(c) + 1}::${RECORD_TYPES[c]}[]`)

/** The records' insert (unnest, ON CONFLICT DO NOTHING), then `dup`: the 1-based positions of those not inserted. */
const INSERT_CTES = `ins AS (INSERT INTO usage_records (${RECORD_COLUMNS.join(", ")})
SELECT * FROM ${unnestOf(
  RECORD_COLUMNS.map((c) => RECORD_TYPES[c]),
  1,
)}
ON CONFLICT DO NOTHING RETURNING node, id, ts),
dup AS (SELECT k.i FROM unnest(${RECORD_KEY.join(", ")}) WITH ORDINALITY AS k(node, id, ts, i)
  WHERE NOT EXISTS (SELECT FROM ins WHERE ins.ts = k.ts AND ins.node = k.node AND ins.id = k.id))`

/** What the error of INSERT_ALL_NEW says when a record was a duplicate. */
const DUPLICATES_MARKER = "usage-hub: duplicate records, statement rolled back"
const DUPLICATES_ERROR = new RegExp(`${DUPLICATES_MARKER}: (\\d+)`)

/**
 * The insert and the increments of all its records in ONE statement, sent outside a transaction (a statement
 * is atomic on its own): one round trip, and the rollup rows' locks held only while it runs and commits,
 * never across a round trip to this process. When a record was a stored duplicate the statement fails (its
 * main query, which runs before the increments, casts a text naming DUPLICATES_MARKER to an integer), so
 * nothing of it is written, and the error names how many. All of them (a sender's retry): done, nothing to
 * write. Some: the caller inserts again in a transaction (INSERT_RECORDS, then UPDATE_INCREMENTS with the new
 * records' increments).
 */
const INSERT_ALL_NEW = `WITH ${INSERT_CTES},
${incrementCtes(RECORD_COLUMNS.length + 1).join(",\n")}
SELECT ('${DUPLICATES_MARKER}: ' || n)::integer FROM (SELECT count(*) AS n FROM dup) AS d WHERE n > 0`

/** The insert alone, returning the positions of the duplicates (in a transaction, after INSERT_ALL_NEW failed). */
const INSERT_RECORDS = `WITH ${INSERT_CTES}\nSELECT i FROM dup`

/** The parameters of incrementCtes: `receivedAt` undefined (a prune) updates no node. */
function incrementValues(deltas: RollupDeltas, sessions: SessionDeltas, receivedAt?: number): unknown[] {
  const values: unknown[] = []
  const arrays = (rows: readonly (readonly unknown[])[], width: number) => {
    for (let c = 0; c < width; c++) values.push(arrayLiteral(rows.map((row) => row[c])))
  }
  // rollupValues caps token sums at the largest bigint; one array per column for unnest.
  for (const level of ROLLUP_LEVELS) arrays(deltas.rows(level).map(rollupValues), ROLLUP_COLUMNS.length)
  const narrow = deltas.narrowed()
  for (const level of NARROW_LEVELS) arrays(narrow.rows(level).map(narrowValues), NARROW_COLUMNS.length)
  values.push(arrayLiteral(deltas.providers()), deltas.records, Math.floor(Math.random() * COUNTER_SLOTS))
  arrays(
    sessions.sessionRows().map((row) => sumValues(row, SESSION_COLUMNS)),
    SESSION_TYPES.length,
  )
  arrays(
    sessions.modelRows().map((m) => [m.node, m.session_id, m.provider, m.model, m.agent, m.project, m.calls]),
    SESSION_MODEL_TYPES.length,
  )
  for (const level of SESSIONLESS_LEVELS)
    arrays(sessions.sessionless.rows(level).map(rollupValues), ROLLUP_COLUMNS.length)
  values.push(arrayLiteral(receivedAt === undefined ? [] : sessions.nodes()), receivedAt ?? 0)
  return values
}

/** A statement's name: prepared once per connection. */
const statementName = (text: string) => `uh_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`
const UPDATE_INCREMENTS_NAME = statementName(UPDATE_INCREMENTS)
const INSERT_ALL_NEW_NAME = statementName(INSERT_ALL_NEW)
const INSERT_RECORDS_NAME = statementName(INSERT_RECORDS)

/** Adds a transaction's increments (negative for a prune) in one statement; nothing when there are none. */
async function updateIncrements(
  client: PoolClient,
  deltas: RollupDeltas,
  sessions: SessionDeltas,
  receivedAt?: number,
): Promise<void> {
  if (deltas.records === 0) return
  await client.query({
    name: UPDATE_INCREMENTS_NAME,
    text: UPDATE_INCREMENTS,
    values: incrementValues(deltas, sessions, receivedAt),
  })
}

/** After a prune: the first and last call of each touched session, from its remaining records (one statement). */
async function recomputeSessionBounds(client: PoolClient, sessions: SessionDeltas): Promise<void> {
  const rows = sessions.sessionRows()
  if (rows.length === 0) return
  await client.query(
    `UPDATE usage_sessions s SET first_ts = b.first_ts, last_ts = b.last_ts
FROM (${sessionBoundsQuery("SELECT * FROM unnest($1::text[], $2::text[])")}) b
WHERE s.node = b.node AND s.session_id = b.session_id`,
    [rows.map((r) => r.node), rows.map((r) => r.session_id)],
  )
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** A bigint's text as a number when that is exact (as SQLite gives them), else the text: the fold's BigInt path. */
function safeInt8(text: string): number | string {
  const n = Number(text)
  return Number.isSafeInteger(n) ? n : text
}

/**
 * A `bucketsQuery` statement whose rows come back as ONE text value (PostgreSQL sends and `pg` parses ~70k
 * separate values for the ~6k rows of a Kolkata daily report at 1M records, most of its time; one value takes
 * 10-25 % less): per row its numbers (level, bucket, SUM_COLUMNS) then its key as JSON (newlines escaped),
 * comma-separated, rows separated by newlines. NULL when there is no row.
 */
function packedBucketsText(text: string): string {
  const numbers = ["l", "b", ...SUM_COLUMNS].map((c) => `COALESCE(${c}, 0)`).join(", ")
  return `SELECT string_agg(concat_ws(',', ${numbers}, COALESCE(to_json(k)::text, 'null')), E'\\n') FROM (${text}) AS bucket_rows`
}

/** The BucketSums rows of a packedBucketsText value: numbers where exact (else their text), keys parsed once. */
function unpackBucketRows(packed: string | null): BucketSums[] {
  if (packed === null) return []
  const keys = new Map<string, string>()
  const width = 2 + SUM_COLUMNS.length
  const rows: BucketSums[] = []
  for (const line of packed.split("\n")) {
    const row: (number | string)[] = new Array(width + 1)
    let from = 0
    for (let c = 0; c < width; c++) {
      const comma = line.indexOf(",", from)
      row[c < 2 ? c : c + 1] = safeInt8(line.slice(from, comma))
      from = comma + 1
    }
    const json = line.slice(from)
    let key = keys.get(json)
    if (key === undefined) {
      key = JSON.parse(json) as string
      keys.set(json, key)
    }
    row[2] = key
    rows.push(row as unknown as BucketSums)
  }
  return rows
}

/** Records a prune deletes per statement (all of them in one transaction). */
const PRUNE_PAGE = 5000

/** A record row as PostgreSQL returns it (BIGINT as text) with numbers, for the rollup increments. */
function toNumericRow(row: RecordRowOut): RecordRow {
  return {
    ...row,
    ts: Number(row.ts),
    input_tokens: Number(row.input_tokens),
    output_tokens: Number(row.output_tokens),
    cache_read_tokens: row.cache_read_tokens === null ? null : Number(row.cache_read_tokens),
    cache_write_tokens: row.cache_write_tokens === null ? null : Number(row.cache_write_tokens),
    reasoning_tokens: row.reasoning_tokens === null ? null : Number(row.reasoning_tokens),
    cost_nanos: Number(row.cost_nanos),
    unpriced: row.unpriced === null ? null : (Number(row.unpriced) as 0 | 1),
  }
}

export class PostgresStore implements UsageStore {
  readonly kind = "postgres" as const
  private closed = false

  /** Connects to `location` (postgres://…), creating `options.schema` when given, and migrates. */
  static async open(location: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const label = `PostgreSQL ${redactUrl(location)}${options.schema ? ` (schema ${options.schema})` : ""}`
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new UsageHubError(
        "STORE_ERROR",
        `invalid schema name ${JSON.stringify(options.schema)} (letters, digits, _)`,
      )
    }
    let Driver: PgDriver
    try {
      Driver = loadDriver()
    } catch (error) {
      throw storeError("cannot load the PostgreSQL driver (pg)", error)
    }
    let pool: Pool | undefined
    try {
      pool = new Driver.Pool({
        connectionString: location,
        max: options.poolSize ?? 10,
        connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
        // Reads sum a few rollup rows: parallel workers only add their start-up (a 30-day trend in one
        // statement: 16 -> 6 ms at 1M records). A URL's own `options` parameter replaces these.
        options: [options.schema ? `-c search_path=${options.schema}` : "", "-c max_parallel_workers_per_gather=0"]
          .filter(Boolean)
          .join(" "),
      })
      // A connection dropped by the server (failover, restart, pg_terminate_backend): the query in flight or the
      // next one reports it; the process must not crash. The pool listens on idle clients ("error"); every client
      // also gets a listener of its own for life, since pg emits on a client in states where neither the pool
      // nor the caller listens (checked out between queries, being removed after an error).
      pool.on("error", () => {})
      pool.on("connect", (client) => {
        client.on("error", () => {})
      })
      const client = await pool.connect()
      try {
        await migrate(client, label, options.schema)
      } finally {
        client.release()
      }
      return new PostgresStore(pool, label)
    } catch (error) {
      await pool?.end().catch(() => {})
      throw storeError(`cannot open ${label}`, error)
    }
  }

  private constructor(
    private readonly pool: Pool,
    readonly label: string,
  ) {}

  private async guard<T>(action: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new UsageHubError("STORE_ERROR", `${this.label}: ${action} after the store was closed`)
    try {
      return await fn()
    } catch (error) {
      throw storeError(`${this.label}: ${action} failed`, error)
    }
  }

  /** Runs `text` as a named prepared statement (parsed once per connection). */
  private async query<Row extends QueryResultRow>(text: string, values: unknown[]): Promise<Row[]> {
    const name = statementName(text)
    return (await this.pool.query<Row>({ name, text, values })).rows
  }

  /**
   * Runs `fn` on a checked-out client outside a transaction (each statement commits on its own). A
   * checked-out client whose connection dies (a backend terminated by a failover or restart) emits 'error' on
   * itself, not on the pool: without a listener that would crash the process. The listener turns it into a
   * failed call (the caller answers 5xx and the sender retries), and the broken client is destroyed on release
   * so the pool reconnects. `fn` can ask whether the connection broke, and say it did.
   */
  private async statement<T>(fn: (client: PoolClient, connection: ConnectionState) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    let broken: Error | undefined
    const onError = (error: Error) => {
      broken = error
    }
    client.on("error", onError)
    try {
      return await fn(client, { broken: () => broken !== undefined, markBroken: onError })
    } finally {
      // A healthy client goes back to the pool, which listens while it is idle; a broken one keeps this
      // listener (a late 'error' while it is being destroyed must not crash the process either).
      if (!broken) client.off("error", onError)
      client.release(broken ?? false)
    }
  }

  /** Runs `fn` in a transaction on a checked-out client, with `statement`'s handling of a broken connection. */
  private async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.statement(async (client, connection) => {
      await client.query("BEGIN")
      try {
        const result = await fn(client)
        await client.query("COMMIT")
        return result
      } catch (error) {
        // A failed ROLLBACK leaves the connection unusable: it is released as broken.
        if (!connection.broken()) await client.query("ROLLBACK").catch(connection.markBroken)
        throw error
      }
    })
  }

  async insert(records: readonly StoredRecord[]): Promise<InsertResult> {
    return (await this.insertBatches([records]))[0]
  }

  async insertBatches(batches: readonly (readonly StoredRecord[])[]): Promise<InsertResult[]> {
    return this.guard("insert", async () => {
      const results = batches.map(() => ({ accepted: 0, duplicates: 0 }))
      // The first occurrence of an identity in this transaction is a candidate, later ones are duplicates.
      const batchOf = new Map<string, number>()
      const rows: RecordRow[] = []
      batches.forEach((batch, i) => {
        for (const record of batch) {
          const row = toRecordRow(record)
          const key = rowIdentity(row)
          if (batchOf.has(key)) results[i].duplicates += 1
          else {
            batchOf.set(key, i)
            rows.push(row)
          }
        }
      })
      if (rows.length === 0) return results
      rows.sort((a, b) => a.ts - b.ts || compareText(a.node, b.node) || compareText(a.id, b.id))
      // The increments of every candidate, sent with the insert: right whenever none is a stored duplicate.
      let deltas = new RollupDeltas()
      let sessions = new SessionDeltas()
      for (const row of rows) {
        deltas.add(row)
        sessions.add(row)
      }
      const receivedAt = Date.now()
      const values = [...columnArrays(rows, RECORD_COLUMNS), ...incrementValues(deltas, sessions, receivedAt)]
      // How many records were already stored (the statement then wrote nothing).
      const stored = await this.statement(async (client) => {
        try {
          await client.query({ name: INSERT_ALL_NEW_NAME, text: INSERT_ALL_NEW, values })
          return 0
        } catch (error) {
          // invalid_text_representation (22P02), the cast's error, naming the marker.
          const cast = error instanceof Error && (error as { code?: string }).code === "22P02"
          const count = cast ? DUPLICATES_ERROR.exec(error.message) : null
          if (count === null) throw error
          return Number(count[1])
        }
      })
      if (stored === 0 || stored === rows.length) {
        for (const row of rows) {
          const result = results[batchOf.get(rowIdentity(row))!]
          if (stored === 0) result.accepted += 1
          else result.duplicates += 1
        }
        return results
      }
      await this.transaction(async (client) => {
        const { rows: duplicates } = await client.query<{ i: string }>({
          name: INSERT_RECORDS_NAME,
          text: INSERT_RECORDS,
          values: values.slice(0, RECORD_COLUMNS.length),
        })
        const duplicate = new Set(duplicates.map((d) => Number(d.i) - 1))
        deltas = new RollupDeltas()
        sessions = new SessionDeltas()
        rows.forEach((row, i) => {
          const result = results[batchOf.get(rowIdentity(row))!]
          if (duplicate.has(i)) result.duplicates += 1
          else {
            result.accepted += 1
            deltas.add(row)
            sessions.add(row)
          }
        })
        await updateIncrements(client, deltas, sessions, receivedAt)
      })
      return results
    })
  }

  /**
   * Deletes the matching records page by page in ONE transaction and adds their sums, negated, to every
   * rollup level (the insert's statement, with negative increments); then drops emptied rollup rows and
   * providers.
   */
  async prune(filter: PruneFilter, options: { dryRun?: boolean } = {}): Promise<PruneResult> {
    return this.guard("prune", async () => {
      if (options.dryRun) {
        const query = pruneCountQuery(filter, POSTGRES_DIALECT)
        const [row] = await this.query<Parameters<typeof pruneCountResult>[0] & QueryResultRow>(
          query.text,
          query.params,
        )
        return pruneCountResult(row)
      }
      return this.transaction(async (client) => {
        const deltas = new RollupDeltas()
        const sessions = new SessionDeltas()
        const removed: { ts: string; costNanos: string }[] = []
        const query = prunePageQuery(filter, PRUNE_PAGE, POSTGRES_DIALECT)
        for (;;) {
          const { rows } = await client.query<RecordRowOut & QueryResultRow>(query.text, query.params)
          for (const row of rows) {
            const numeric = toNumericRow(row)
            deltas.add(numeric, -1)
            sessions.add(numeric, -1)
            removed.push({ ts: String(row.ts), costNanos: String(row.cost_nanos) })
          }
          if (rows.length < PRUNE_PAGE) break
        }
        await updateIncrements(client, deltas, sessions)
        if (removed.length > 0) {
          await recomputeSessionBounds(client, sessions)
          for (const text of PRUNE_CLEANUP) await client.query(text)
        }
        return pruneResultOf(removed)
      })
    })
  }

  async aggregate(filter: RecordFilter, groupBy: GroupBy): Promise<AggregateRow[]> {
    return (await this.aggregateMany([{ filter, groupBy }]))[0]
  }

  /**
   * Several aggregates in ONE statement (one round trip): each request's aggregate query, tagged with its
   * index, `UNION ALL`ed; the rows are then folded per request exactly as `aggregate` folds them.
   */
  async aggregateMany(requests: readonly AggregateRequest[]): Promise<AggregateRow[][]> {
    return this.guard("aggregate", async () => {
      if (requests.length === 1) {
        const source = sourceOf(requests[0])
        const query = aggregateQuery(requests[0].filter, requests[0].groupBy, POSTGRES_DIALECT, source)
        if (!query) return [[]]
        return [foldSourceRows(await this.query<KeyNodeSums & QueryResultRow>(query.text, query.params), source)]
      }
      const answers: AggregateRow[][] = requests.map(() => [])
      const { batches, single } = bucketBatches(requests)
      // Narrow requests sharing a grouping: one statement per batch reading each bucket once.
      for (const batch of batches) {
        const query = bucketsQuery(
          batch.map((i) => requests[i]),
          POSTGRES_DIALECT,
        )
        if (!query) single.push(...batch)
        else {
          const text = packedBucketsText(query.text)
          const name = statementName(text)
          const result = await this.pool.query<[string | null]>({ name, text, values: query.params, rowMode: "array" })
          const rows = query.answers(unpackBucketRows(result.rows[0][0]))
          batch.forEach((i, j) => {
            answers[i] = rows[j]
          })
        }
      }
      const parts: string[] = []
      const params: (string | number)[] = []
      const sources = requests.map(sourceOf)
      for (const i of single) {
        const offset = params.length
        const query = aggregateQuery(
          requests[i].filter,
          requests[i].groupBy,
          { ...POSTGRES_DIALECT, param: (n) => `$${offset + n}` },
          sources[i],
        )
        if (!query) continue
        parts.push(`SELECT ${i} AS r, q.* FROM (${query.text}) AS q`)
        params.push(...query.params)
      }
      if (parts.length > 0) {
        const perRequest = new Map<number, KeyNodeSums[]>(single.map((i) => [i, []]))
        const rows = await this.query<KeyNodeSums & { r: number } & QueryResultRow>(parts.join(" UNION ALL "), params)
        for (const row of rows) perRequest.get(Number(row.r))!.push(row)
        for (const [i, list] of perRequest) answers[i] = foldSourceRows(list, sources[i])
      }
      return answers
    })
  }

  async *iterate(filter: RecordFilter, chunkSize = 1000): AsyncIterable<UsageRecord[]> {
    const limit = Math.max(1, Math.floor(chunkSize))
    let after: { ts: number; node: string; id: string } | undefined
    for (;;) {
      const rows = await this.guard("iterate", () => {
        const query = iteratePageQuery(filter, after, limit, POSTGRES_DIALECT)
        return this.query<RecordRowOut & QueryResultRow>(query.text, query.params)
      })
      if (rows.length === 0) return
      const last = rows[rows.length - 1]
      after = { ts: Number(last.ts), node: last.node, id: last.id }
      yield rows.map(fromRecordRow)
      if (rows.length < limit) return
    }
  }

  async sessions(filter: SessionsFilter): Promise<SessionsResult> {
    return this.guard("sessions", async () => {
      const page = sessionsPageQuery(filter, POSTGRES_DIALECT)
      const sessionless = aggregateQuery(filter, "node", POSTGRES_DIALECT, SESSIONLESS)
      const [rows, without] = await Promise.all([
        this.query<SessionPageRow & QueryResultRow>(page.text, page.params),
        sessionless ? this.query<KeyNodeSums & QueryResultRow>(sessionless.text, sessionless.params) : [],
      ])
      return sessionsFromPage(rows, foldKeyNodeSums(without), filter)
    })
  }

  async nodes(now: Date): Promise<NodeActivity[]> {
    const [received, lastHour] = await Promise.all([
      this.guard("nodes", () =>
        this.query<{ node: string; last_received_at: string } & QueryResultRow>(
          "SELECT node, last_received_at FROM usage_nodes",
          [],
        ),
      ),
      this.aggregate({ since: new Date(now.getTime() - HOUR_MS), until: now }, "node"),
    ])
    return nodeActivity(
      received.map((r) => ({ node: r.node, lastReceivedAt: Number(r.last_received_at) })),
      lastHour,
    )
  }

  async stats(): Promise<StoreStats> {
    return this.guard("stats", async () => {
      const [row] = await this.query<{ records: string; quarantined: string; bytes: string | null }>(
        `SELECT (SELECT COALESCE(SUM(records), 0) FROM usage_counters) AS records,
                (SELECT COUNT(*) FROM usage_quarantine) AS quarantined,
                (SELECT SUM(pg_total_relation_size(to_regclass(t))) FROM unnest($1::text[]) AS t) AS bytes`,
        [STORE_TABLES],
      )
      return { records: Number(row.records), quarantined: Number(row.quarantined), bytes: Number(row.bytes ?? 0) }
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.pool.end()
  }
}
