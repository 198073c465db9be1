/**
 * The PostgreSQL store (`pg` Pool): the scale-out backend. Several `usage serve` replicas can share one
 * database: identity is the primary key (ts, node, id), so a record delivered to two replicas counts once.
 *
 * An insert transaction sends the new records as one multi-row `INSERT … SELECT FROM unnest(arrays)
 * ON CONFLICT DO NOTHING RETURNING node, id, ts` (one statement, fixed parameters, whatever the row count);
 * the rows it returns are the new ones, and their sums go to the rollups (30 minutes, 3 hours, day, month:
 * src/lib/store/rollup.ts) in the same transaction, in primary-key order so concurrent replicas lock rollup
 * rows in the same order. Durability is PostgreSQL's: with the default `synchronous_commit = on`, COMMIT
 * returns after the WAL is flushed, so a committed insert survives a crash of the service or of the server.
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
import { COUNTER_SLOTS, migrate } from "./schema.js"

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

/**
 * A value as a parameter: an integer past 2^53 (a cost of up to 1e18 nano-dollars, a token sum) as its exact
 * decimal digits, since `String(n)` gives the shortest text that reads back as the same double, not its value
 * (123456789123456784 would be sent as ...780).
 */
function exactParam(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString()
  return typeof value === "number" && !Number.isSafeInteger(value) && Number.isInteger(value)
    ? BigInt(value).toString()
    : value
}

/** The rows as one array per column (the parameters of an unnest insert). */
function columnArrays<Row>(rows: readonly Row[], columns: readonly (keyof Row)[]): unknown[][] {
  return columns.map((column) => rows.map((row) => exactParam(row[column])))
}

const INSERT_RECORDS = `INSERT INTO usage_records (${RECORD_COLUMNS.join(", ")})
SELECT * FROM ${unnestOf(
  RECORD_COLUMNS.map((c) => RECORD_TYPES[c]),
  1,
)}
ON CONFLICT DO NOTHING RETURNING node, id, ts`

/** One statement adding the increments to every rollup level, the new providers and a counter slot. */
const UPDATE_ROLLUPS = (() => {
  let next = 1
  const levels = ROLLUP_LEVELS.map((level, i) => {
    const source = unnestOf(
      ROLLUP_COLUMNS.map((c) => ROLLUP_TYPES[c]),
      next,
    )
    next += ROLLUP_COLUMNS.length
    return `r${i} AS (INSERT INTO ${level.table} (${ROLLUP_COLUMNS.join(", ")}) SELECT * FROM ${source}
  ON CONFLICT (${DIMENSION_COLUMNS.join(", ")}) DO UPDATE SET ${rollupIncrementSet(level.table)})`
  })
  // The narrow rollups after the wide ones (every writer locks rows in this table order, each in key order).
  for (const [i, level] of NARROW_LEVELS.entries()) {
    const source = unnestOf(
      NARROW_COLUMNS.map((c) => ROLLUP_TYPES[c]),
      next,
    )
    next += NARROW_COLUMNS.length
    levels.push(`n${i} AS (INSERT INTO ${level.table} (${NARROW_COLUMNS.join(", ")}) SELECT * FROM ${source}
  ON CONFLICT (${NARROW_DIMENSIONS.join(", ")}) DO UPDATE SET ${rollupIncrementSet(level.table)})`)
  }
  const providers = `p AS (INSERT INTO usage_providers (provider) SELECT unnest($${next}::text[]) ON CONFLICT DO NOTHING)`
  return `WITH ${[...levels, providers].join(",\n")}
UPDATE usage_counters SET records = records + $${next + 1} WHERE slot = $${next + 2}`
})()

const SESSION_TYPES = SESSION_COLUMNS.map((c) => (c === "node" || c === "session_id" ? "text" : "bigint"))
const SESSION_MODEL_TYPES = [...SESSION_MODEL_KEY.map(() => "text"), "bigint"]

/**
 * One statement adding a transaction's session increments (in key order) to the sessions, their models, the
 * sessionless rollups and the nodes' receipt times (`$last - 1`: the nodes, `$last`: the receipt time).
 */
const UPDATE_SESSIONS = (() => {
  let next = 1
  const source = (types: readonly string[]) => {
    const text = `SELECT * FROM ${unnestOf(types, next)}`
    next += types.length
    return text
  }
  const parts = [
    `s AS (${SESSION_UPSERTS.sessions(source(SESSION_TYPES), "LEAST", "GREATEST")})`,
    `m AS (${SESSION_UPSERTS.models(source(SESSION_MODEL_TYPES))})`,
    ...SESSIONLESS_LEVELS.map(
      (level, i) =>
        `l${i} AS (${SESSION_UPSERTS.sessionless(level.table, source(ROLLUP_COLUMNS.map((c) => ROLLUP_TYPES[c])))})`,
    ),
  ]
  const nodes = SESSION_UPSERTS.nodes(`SELECT unnest($${next}::text[]), $${next + 1}::bigint`, "GREATEST")
  return `WITH ${parts.join(",\n")}\n${nodes}`
})()

/** Adds a transaction's session increments (negative for a prune, with no receipt time) in one statement. */
async function updateSessions(client: PoolClient, sessions: SessionDeltas, receivedAt?: number): Promise<void> {
  const values: unknown[] = []
  const arrays = (rows: readonly (readonly unknown[])[], width: number) =>
    Array.from({ length: width }, (_, c) => rows.map((row) => exactParam(row[c])))
  values.push(
    ...arrays(
      sessions.sessionRows().map((row) => sumValues(row, SESSION_COLUMNS)),
      SESSION_TYPES.length,
    ),
  )
  values.push(
    ...arrays(
      sessions.modelRows().map((m) => [m.node, m.session_id, m.provider, m.model, m.agent, m.project, m.calls]),
      SESSION_MODEL_TYPES.length,
    ),
  )
  for (const level of SESSIONLESS_LEVELS)
    values.push(...arrays(sessions.sessionless.rows(level).map(rollupValues), ROLLUP_COLUMNS.length))
  values.push(receivedAt === undefined ? [] : sessions.nodes(), receivedAt ?? 0)
  await client.query({ text: UPDATE_SESSIONS, values })
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

/**
 * Imports pg. When loaded, pg asks whether it runs in Cloudflare Workers: without a global `navigator`
 * (Node 20) it constructs a `Response`, which loads Node's fetch (~20 ms of a CLI run). A `navigator` with a
 * Node user agent, present only during the import, gives the same answer (not Workers) without it.
 */
async function loadDriver(): Promise<typeof import("pg").default> {
  const global = globalThis as { navigator?: unknown }
  if (global.navigator !== undefined) return (await import("pg")).default
  global.navigator = { userAgent: `Node.js/${process.versions.node}` }
  try {
    return (await import("pg")).default
  } finally {
    delete global.navigator
  }
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

/** Adds a transaction's rollup increments (negative for a prune) to every level, the providers and a counter. */
async function updateRollups(client: PoolClient, deltas: RollupDeltas): Promise<void> {
  if (deltas.records === 0) return
  const values: unknown[] = []
  for (const level of ROLLUP_LEVELS) {
    // rollupValues caps token sums at the largest bigint; one array per column for unnest.
    const rows = deltas.rows(level).map(rollupValues)
    values.push(...ROLLUP_COLUMNS.map((_, c) => rows.map((row) => exactParam(row[c]))))
  }
  const narrow = deltas.narrowed()
  for (const level of NARROW_LEVELS) {
    const rows = narrow.rows(level).map(narrowValues)
    values.push(...NARROW_COLUMNS.map((_, c) => rows.map((row) => exactParam(row[c]))))
  }
  values.push(deltas.providers(), deltas.records, Math.floor(Math.random() * COUNTER_SLOTS))
  await client.query({ text: UPDATE_ROLLUPS, values })
}

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
    let Driver: typeof import("pg").default
    try {
      Driver = await loadDriver()
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
    const name = `uh_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`
    return (await this.pool.query<Row>({ name, text, values })).rows
  }

  /**
   * Runs `fn` in a transaction on a checked-out client. A checked-out client whose connection dies (a backend
   * terminated by a failover or restart) emits 'error' on itself, not on the pool: without a listener that
   * would crash the process. The listener turns it into a failed transaction (the caller answers 5xx and the
   * sender retries), and the broken client is destroyed on release so the pool reconnects.
   */
  private async transaction<T>(fn: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    let broken: Error | undefined
    const onError = (error: Error) => {
      broken = error
    }
    client.on("error", onError)
    try {
      await client.query("BEGIN")
      const result = await fn(client)
      await client.query("COMMIT")
      return result
    } catch (error) {
      if (!broken) {
        await client.query("ROLLBACK").catch((rollbackError: Error) => {
          broken = rollbackError
        })
      }
      throw error
    } finally {
      // A healthy client goes back to the pool, which listens while it is idle; a broken one keeps this
      // listener (a late 'error' while it is being destroyed must not crash the process either).
      if (!broken) client.off("error", onError)
      client.release(broken ?? false)
    }
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
      await this.transaction(async (client) => {
        const inserted = await client.query({
          text: INSERT_RECORDS,
          values: columnArrays(rows, RECORD_COLUMNS),
        })
        const isNew = new Set(inserted.rows.map(rowIdentity))
        const deltas = new RollupDeltas()
        const sessions = new SessionDeltas()
        for (const row of rows) {
          const key = rowIdentity(row)
          const result = results[batchOf.get(key)!]
          if (isNew.has(key)) {
            result.accepted += 1
            deltas.add(row)
            sessions.add(row)
          } else result.duplicates += 1
        }
        await updateRollups(client, deltas)
        if (deltas.records > 0) await updateSessions(client, sessions, Date.now())
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
        await updateRollups(client, deltas)
        if (removed.length > 0) {
          await updateSessions(client, sessions)
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
          const name = `uh_${createHash("sha1").update(text).digest("hex").slice(0, 20)}`
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
