/**
 * The SQLite store (better-sqlite3): the default store of `usage serve` and of the CLI.
 *
 * Durability: WAL journal, `synchronous = FULL` by default (the CLI's writes). A commit returns only after
 * the WAL is fsynced, so a committed insert survives a crash of the process (kill -9) AND a power loss or
 * kernel crash. `synchronous: "NORMAL"` (option; the default of `usage serve`, which `--synchronous full`
 * overrides) fsyncs only at checkpoints: a committed insert (a 2xx from the service) still survives kill -9
 * of the process (the WAL frames are in the OS page cache when the commit returns), which is DESIGN's
 * promise, and the database is never corrupted, but the last commits before a power loss may be rolled
 * back. The service groups concurrent requests into one transaction (insertBatches), one commit per group.
 *
 * Each insert transaction checks identity (primary key (ts, node, id): ON CONFLICT DO NOTHING), stores the
 * new rows and appends their sums per 30-minute bucket and dimensions to `usage_rollup_pending`, in ONE
 * IMMEDIATE transaction. The pending increments are folded into the rollups (30 minutes, 3 hours, day,
 * month: src/lib/store/rollup.ts) in bulk: by the insert transaction that takes them past `foldAfterRows`,
 * before an aggregate when the write lock is free at once (whichever connection wrote them), and on close.
 * A commit thus writes a few appended pages instead of one rollup row per level and key, and many commits'
 * increments to the same key become one upsert (an insert of history spread over many buckets skips the
 * pending table). A commit of a few dozen records appends its session increments the same way (folded by
 * SQL statements, session-fold.ts); a bigger one upserts them. Reads never depend on a fold: each aggregate reads the pending rows with the rollups in
 * ONE statement, so it sees one committed state (inserts and folds keep rollups + pending = records in
 * every state), needs no write access, and never waits for a writer. A crash between an insert and its
 * fold leaves the increments pending, read as they are and folded later.
 * Aggregates read a few rollup buckets plus the records of edges off every bucket boundary; `iterate`
 * pages by keyset.
 * The driver is imported when a store is opened, so loading this module loads no native addon.
 */
import { existsSync, mkdirSync } from "node:fs"
import { dirname, resolve } from "node:path"
import type Database from "better-sqlite3"
import { UsageHubError } from "../../errors.js"
import type { StoredRecord, UsageRecord } from "../../record.js"
import type { GroupBy } from "../../summary-types.js"
import { RECORD_COLUMNS, type RecordRow, toRecordRow } from "../record-row.js"
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
  type RollupRow,
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
  SESSION_GROUP_COLUMNS,
  SESSION_MODEL_KEY,
  SESSIONLESS_LEVELS,
  SessionDeltas,
  type SessionGroup,
  type SessionGroupIn,
  type SessionSums,
  type SessionsFilter,
  type SessionsResult,
  sessionLimit,
} from "../sessions.js"
import {
  aggregateQuery,
  type BucketSums,
  bucketBatches,
  bucketsQuery,
  foldSourceRows,
  PRUNE_CLEANUP,
  pruneCountQuery,
  pruneCountResult,
  prunePageQuery,
  SESSION_UPSERTS,
  SESSIONLESS,
  type SessionPageRow,
  SQLITE_DIALECT,
  sessionBoundsQuery,
  sessionsFromPage,
  sessionsPageQuery,
  sourceOf,
  storedSessionsQuery,
  UPDATE_SESSION_BOUNDS,
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
import { storeError } from "../store-error.js"
import { sqliteNativeBinding } from "./native-binding.js"
import { recordPages } from "./record-pages.js"
import { migrate } from "./schema.js"
import { FOLD_PENDING_MODELS, FOLD_PENDING_SESSIONS } from "./session-fold.js"

/** Whether a session row has a token sum a 64-bit integer cannot hold (bound saturated, through sumValues). */
function saturates(r: SessionSums): boolean {
  return (
    r.input_tokens >= 2 ** 63 ||
    r.output_tokens >= 2 ** 63 ||
    r.cache_read_tokens >= 2 ** 63 ||
    r.cache_write_tokens >= 2 ** 63 ||
    r.reasoning_tokens >= 2 ** 63
  )
}

export interface SqliteStoreOptions {
  /** FULL (default): commits survive power loss. NORMAL: commits survive a process crash, not a power loss. */
  synchronous?: "FULL" | "NORMAL"
  /** Create the file (and its directory) when missing. Default true; false: a missing file is an error. */
  create?: boolean
  /** How long to wait for another process's write lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number
  /**
   * Pending rollup rows (or pending session rows, counted apart) this connection lets accumulate before an
   * insert transaction folds them. Default 10,000 (about a second of single-record POSTs at full speed).
   */
  foldAfterRows?: number
}

const FOLD_AFTER_ROWS = 10_000
/**
 * A commit with at most this many session rows appends them to the pending tables (folded in SQL, session-fold.ts);
 * a bigger one upserts them. In process, per record: group commits of 30 single records (~30 rows) 26-30 µs
 * appending against 34-35 upserting; 200-record batches (~100 rows) the same either way; 2000 records (~900 rows)
 * 15 appending against 13.7 upserting.
 */
const PENDING_SESSION_ROWS = 128
/** A node's receipt time is written at most this often per connection. */
const NODE_RECEIPT_RESOLUTION_MS = 1000
/** (node, session_id) pairs from a JSON array of pairs (the one parameter). */
const JSON_KEYS = "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)"
/**
 * An insert whose increments make this many 30-minute rows or more (history spread over many buckets, as
 * `migrate-file` writes) folds them straight into the rollups: few of them would share a row with the next
 * commits', so a pending row would only be written, read and deleted on top of the same upserts.
 */
const DIRECT_ROLLUP_ROWS = 1000
/** The level whose increments are appended to the pending table (the finest). */
const PENDING_LEVELS = ROLLUP_LEVELS.slice(0, 1)

const MAX_CACHED_STATEMENTS = 256
/** Records a prune deletes per statement (all of them in one transaction). */
const PRUNE_PAGE = 5000
/** Rows per multi-row session upsert or pending append (at most 17 values each: 1088 parameters, far below SQLite's 32766). */
const UPSERT_CHUNK_ROWS = 64
/** The multi-row statements: session upserts, session x model upserts, pending session appends. */
type ChunkKind = "sessions" | "models" | "pending"
const CHUNK_WIDTH: Record<ChunkKind, number> = {
  sessions: SESSION_COLUMNS.length,
  models: SESSION_MODEL_KEY.length + 1,
  pending: SESSION_GROUP_COLUMNS.length,
}

/** `n` positional parameters: "?, ?, ...". */
const places = (n: number) => Array.from({ length: n }, () => "?").join(", ")

export class SqliteStore implements UsageStore {
  readonly kind = "sqlite" as const
  private closed = false
  private readonly statements = new Map<string, Database.Statement>()
  private readonly insertRecord: Database.Statement
  private readonly upsertRollup: Map<string, Database.Statement>
  private readonly appendPending: Database.Statement
  private readonly sumPending: Database.Statement
  private readonly anyPending: Database.Statement
  private readonly clearPending: Database.Statement
  private readonly foldTransaction: Database.Transaction<() => void>
  /** Pending rollup rows this connection appended since it last folded (other writers' are found by reads). */
  private pendingRows = 0
  /** Pending session rows (session x model and sessionless) this connection appended since it last folded. */
  private pendingSessionRows = 0
  private readonly foldAfterRows: number
  private readonly busyTimeoutMs: number
  private readonly addProvider: Database.Statement
  private readonly addCount: Database.Statement
  private readonly upsertSession: Database.Statement
  private readonly chunkUpserts = new Map<string, Database.Statement>()
  private readonly upsertSessionless: Map<string, Database.Statement>
  private readonly upsertNode: Database.Statement
  private readonly appendSessionPending: Database.Statement
  private readonly appendSessionlessPending: Database.Statement
  private readonly sumSessionPending: Database.Statement
  private readonly foldSessionPending: Database.Statement
  private readonly foldModelPending: Database.Statement
  private readonly sumSessionlessPending: Database.Statement
  private readonly clearSessionPending: Database.Statement
  private readonly clearSessionlessPending: Database.Statement
  /** When this connection last wrote each node's receipt time. */
  private readonly nodeWritten = new Map<string, number>()
  private readonly insertTransaction: Database.Transaction<
    (batches: readonly (readonly StoredRecord[])[]) => InsertResult[]
  >

  /** Opens (creating when allowed) the database at `location` (a path or `:memory:`) and migrates it. */
  static async open(location: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
    const inMemory = location === ":memory:"
    const path = inMemory ? location : resolve(location)
    const label = inMemory ? "SQLite in-memory database" : `SQLite database ${path}`
    let Driver: typeof Database
    try {
      Driver = (await import("better-sqlite3")).default
    } catch (error) {
      throw storeError("cannot load the SQLite driver (better-sqlite3)", error)
    }
    if (!inMemory) {
      if (!existsSync(path) && options.create === false) {
        throw new UsageHubError("STORE_ERROR", `no usage-hub store at ${path} (the file does not exist)`)
      }
      try {
        mkdirSync(dirname(path), { recursive: true })
      } catch (error) {
        throw storeError(`cannot create the directory of ${label}`, error)
      }
    }
    let db: Database.Database | undefined
    try {
      db = new Driver(path, { timeout: options.busyTimeoutMs ?? 5000, nativeBinding: sqliteNativeBinding() })
      db.pragma("journal_mode = WAL")
      db.pragma(`synchronous = ${options.synchronous ?? "FULL"}`)
      migrate(db, label)
      return new SqliteStore(db, label, {
        foldAfterRows: options.foldAfterRows ?? FOLD_AFTER_ROWS,
        busyTimeoutMs: options.busyTimeoutMs ?? 5000,
      })
    } catch (error) {
      db?.close()
      if (error instanceof UsageHubError) throw error
      const code = (error as { code?: string }).code
      if (code === "SQLITE_NOTADB") throw storeError(`${path} is not a SQLite database`, error)
      throw storeError(`cannot open ${label}`, error)
    }
  }

  private constructor(
    private readonly db: Database.Database,
    readonly label: string,
    settings: { foldAfterRows: number; busyTimeoutMs: number },
  ) {
    this.foldAfterRows = Math.max(1, Math.floor(settings.foldAfterRows))
    this.busyTimeoutMs = settings.busyTimeoutMs
    // Positional parameters (bound in column order by insertInTransaction): cheaper than named ones.
    this.insertRecord = db.prepare(
      `INSERT INTO usage_records (${RECORD_COLUMNS.join(", ")}) VALUES (${places(RECORD_COLUMNS.length)}) ON CONFLICT DO NOTHING`,
    )
    this.upsertRollup = new Map(
      ROLLUP_LEVELS.map((level) => [
        level.table,
        db.prepare(
          `INSERT INTO ${level.table} (${ROLLUP_COLUMNS.join(", ")}) VALUES (${places(ROLLUP_COLUMNS.length)})
           ON CONFLICT (${DIMENSION_COLUMNS.join(", ")}) DO UPDATE SET ${rollupIncrementSet(level.table)}`,
        ),
      ]),
    )
    for (const level of NARROW_LEVELS)
      this.upsertRollup.set(
        level.table,
        db.prepare(
          `INSERT INTO ${level.table} (${NARROW_COLUMNS.join(", ")}) VALUES (${places(NARROW_COLUMNS.length)})
           ON CONFLICT (${NARROW_DIMENSIONS.join(", ")}) DO UPDATE SET ${rollupIncrementSet(level.table)}`,
        ),
      )
    this.appendPending = db.prepare(
      `INSERT INTO usage_rollup_pending (${ROLLUP_COLUMNS.join(", ")}) VALUES (${places(ROLLUP_COLUMNS.length)})`,
    )
    // The pending rows summed per key (many commits' increments to one key become one row). Token sums use
    // TOTAL, which never fails (SUM throws past 2^63 on hostile counts; the fold saturates them); counts and the
    // cost's two parts cannot come near a 64-bit overflow in one fold.
    this.sumPending = db.prepare(
      `SELECT ${DIMENSION_COLUMNS.join(", ")}, ${SUM_COLUMNS.map((c) => `${c.endsWith("_tokens") ? "TOTAL" : "SUM"}(${c}) AS ${c}`).join(", ")}
       FROM usage_rollup_pending GROUP BY ${DIMENSION_COLUMNS.join(", ")}`,
    )
    this.anyPending = db
      .prepare(
        `SELECT EXISTS (SELECT 1 FROM usage_rollup_pending) OR EXISTS (SELECT 1 FROM usage_session_pending)
           OR EXISTS (SELECT 1 FROM usage_sessionless_pending)`,
      )
      .pluck()
    const groupKey = SESSION_GROUP_COLUMNS.slice(0, 6).join(", ")
    this.appendSessionPending = db.prepare(
      `INSERT INTO usage_session_pending (${SESSION_GROUP_COLUMNS.join(", ")}) VALUES (${places(SESSION_GROUP_COLUMNS.length)})`,
    )
    this.appendSessionlessPending = db.prepare(
      `INSERT INTO usage_sessionless_pending (${ROLLUP_COLUMNS.join(", ")}) VALUES (${places(ROLLUP_COLUMNS.length)})`,
    )
    this.sumSessionPending = db.prepare(
      `SELECT ${groupKey}, MIN(first_ts) AS first_ts, MAX(last_ts) AS last_ts, ${SUM_COLUMNS.map((c) => `${c.endsWith("_tokens") ? "TOTAL" : "SUM"}(${c}) AS ${c}`).join(", ")}
       FROM usage_session_pending GROUP BY ${groupKey}`,
    )
    this.sumSessionlessPending = db.prepare(
      `SELECT ${DIMENSION_COLUMNS.join(", ")}, ${SUM_COLUMNS.map((c) => `${c.endsWith("_tokens") ? "TOTAL" : "SUM"}(${c}) AS ${c}`).join(", ")}
       FROM usage_sessionless_pending GROUP BY ${DIMENSION_COLUMNS.join(", ")}`,
    )
    this.foldSessionPending = db.prepare(FOLD_PENDING_SESSIONS)
    this.foldModelPending = db.prepare(FOLD_PENDING_MODELS)
    this.clearSessionPending = db.prepare("DELETE FROM usage_session_pending")
    this.clearSessionlessPending = db.prepare("DELETE FROM usage_sessionless_pending")
    this.clearPending = db.prepare("DELETE FROM usage_rollup_pending")
    this.foldTransaction = db.transaction(() => this.foldInTransaction())
    this.addProvider = db.prepare("INSERT INTO usage_providers (provider) VALUES (?) ON CONFLICT DO NOTHING")
    this.addCount = db.prepare("UPDATE usage_counters SET records = records + ? WHERE slot = 0")
    this.upsertSession = db.prepare(
      SESSION_UPSERTS.sessions(`VALUES (${places(SESSION_COLUMNS.length)})`, "min", "max"),
    )
    this.upsertSessionless = new Map(
      SESSIONLESS_LEVELS.map((level) => [
        level.table,
        db.prepare(SESSION_UPSERTS.sessionless(level.table, `VALUES (${places(ROLLUP_COLUMNS.length)})`)),
      ]),
    )
    this.upsertNode = db.prepare(SESSION_UPSERTS.nodes("VALUES (?, ?)", "max"))
    this.insertTransaction = db.transaction((batches) => this.insertInTransaction(batches))
  }

  private insertInTransaction(batches: readonly (readonly StoredRecord[])[]): InsertResult[] {
    const deltas = new RollupDeltas(PENDING_LEVELS)
    const sessions = new SessionDeltas()
    const results = batches.map((batch) => {
      let accepted = 0
      for (const record of batch) {
        const r: RecordRow = toRecordRow(record)
        // RECORD_COLUMNS order.
        const { changes } = this.insertRecord.run(
          r.node,
          r.id,
          r.ts,
          r.provider,
          r.model,
          r.task_type,
          r.session_id,
          r.input_tokens,
          r.output_tokens,
          r.cache_read_tokens,
          r.cache_write_tokens,
          r.reasoning_tokens,
          r.cost_nanos,
          r.unpriced,
          r.agent,
          r.project,
        )
        if (changes === 1) {
          accepted += 1
          deltas.add(r)
          sessions.add(r)
        }
      }
      return { accepted, duplicates: batch.length - accepted }
    })
    if (deltas.records > 0) {
      const increments = deltas.rows(PENDING_LEVELS[0])
      const sessionless = sessions.sessionless.rows(SESSIONLESS_LEVELS[0])
      // A commit of a few dozen records (the service's group commits of single-record POSTs) appends its session
      // increments: a few appended pages instead of a page dirtied per session, model row and index entry, the
      // fold's upserts merging many commits' rows. A big one (batches) upserts them: its groups would rarely
      // share a row with the next commits', so pending rows would only be written, summed and upserted all the same.
      const sessionRows = sessions.groupCount + sessionless.length
      const pendingSessions = sessionRows <= PENDING_SESSION_ROWS
      const sessionAppends = pendingSessions ? sessionRows : 0
      // Each pending table is folded once it reaches foldAfterRows (not their sum: a commit of single records
      // appends about as many session rows as rollup rows, and counting both folded twice as often, each fold
      // upserting about as many rollup rows).
      if (
        increments.length >= DIRECT_ROLLUP_ROWS ||
        this.pendingRows + increments.length >= this.foldAfterRows ||
        this.pendingSessionRows + sessionAppends >= this.foldAfterRows
      ) {
        this.foldInTransaction(increments, sessions)
      } else {
        for (const d of increments) this.appendPending.run(...rollupValues(d))
        if (pendingSessions) {
          this.appendSessionGroups(sessions.unsortedGroups())
          for (const d of sessionless) this.appendSessionlessPending.run(...rollupValues(d))
        } else this.applySessions(sessions)
        this.pendingRows += increments.length
        this.pendingSessionRows += sessionAppends
      }
      for (const provider of deltas.providers()) this.addProvider.run(provider)
      this.addCount.run(deltas.records)
      this.touchNodes(sessions.nodes(), Date.now())
    }
    return results
  }

  /**
   * Writes each node's receipt time, at most once a second per node from this connection (a commit of
   * single-record POSTs then dirties no page for it): a receipt time is exact to within a second.
   */
  private touchNodes(nodes: readonly string[], now: number): void {
    for (const node of nodes) {
      if (now - (this.nodeWritten.get(node) ?? Number.NEGATIVE_INFINITY) < NODE_RECEIPT_RESOLUTION_MS) continue
      this.upsertNode.run(node, now)
      this.nodeWritten.set(node, now)
    }
  }

  /**
   * Adds session increments to the session tables (one upsert per session, per session x model and per
   * sessionless bucket). Runs inside a transaction (a fold's).
   */
  private applySessions(sessions: SessionDeltas): void {
    const sessionRows: unknown[][] = []
    for (const r of sessions.sessionRows(false)) {
      // SESSION_COLUMNS order; token sums past 2^63 - 1 (hostile counts only) are bound saturated.
      if (saturates(r)) this.upsertSession.run(...sumValues(r, SESSION_COLUMNS))
      else
        sessionRows.push([
          r.node,
          r.session_id,
          r.first_ts,
          r.last_ts,
          r.calls,
          r.cost_usd,
          r.cost_nanos,
          r.input_tokens,
          r.output_tokens,
          r.cache_read_tokens,
          r.cache_write_tokens,
          r.reasoning_tokens,
          r.unpriced_calls,
        ])
    }
    this.upsertInChunks("sessions", sessionRows)
    const modelRows: unknown[][] = []
    for (const g of sessions.unsortedGroups())
      modelRows.push([g.node, g.session_id, g.provider, g.model, g.agent, g.project, g.calls])
    this.upsertInChunks("models", modelRows)
    for (const level of SESSIONLESS_LEVELS) {
      const upsert = this.upsertSessionless.get(level.table)!
      for (const d of sessions.sessionless.rows(level)) upsert.run(...rollupValues(d))
    }
  }

  /** Appends a commit's session increments to `usage_session_pending`, 64, 32, ..., 1 rows a statement. */
  private appendSessionGroups(groups: Iterable<SessionGroup>): void {
    const rows: unknown[][] = []
    for (const g of groups) {
      // SESSION_GROUP_COLUMNS order; token sums past 2^63 - 1 (hostile counts only) are bound saturated.
      if (saturates(g)) this.appendSessionPending.run(...sumValues(g, SESSION_GROUP_COLUMNS))
      else
        rows.push([
          g.node,
          g.session_id,
          g.provider,
          g.model,
          g.agent,
          g.project,
          g.first_ts,
          g.last_ts,
          g.calls,
          g.cost_usd,
          g.cost_nanos,
          g.input_tokens,
          g.output_tokens,
          g.cache_read_tokens,
          g.cache_write_tokens,
          g.reasoning_tokens,
          g.unpriced_calls,
        ])
    }
    this.upsertInChunks("pending", rows)
  }

  /**
   * Upserts rows (distinct keys), or appends pending rows, with multi-row statements of 64, 32, ..., 1 rows: one
   * statement run per chunk instead of one per row (statements prepared when first used).
   */
  private upsertInChunks(kind: ChunkKind, rows: readonly unknown[][]): void {
    let i = 0
    for (let size = UPSERT_CHUNK_ROWS; size >= 1; size >>= 1) {
      while (rows.length - i >= size) {
        const params: unknown[] = []
        for (let k = i; k < i + size; k++) for (const v of rows[k]) params.push(v)
        this.chunkUpsert(kind, size).run(params)
        i += size
      }
    }
  }

  private chunkUpsert(kind: ChunkKind, rows: number): Database.Statement {
    const key = `${kind}:${rows}`
    let statement = this.chunkUpserts.get(key)
    if (!statement) {
      const row = `(${places(CHUNK_WIDTH[kind])})`
      const values = `VALUES ${Array.from({ length: rows }, () => row).join(", ")}`
      statement = this.db.prepare(
        kind === "sessions"
          ? SESSION_UPSERTS.sessions(values, "min", "max")
          : kind === "models"
            ? SESSION_UPSERTS.models(values)
            : `INSERT INTO usage_session_pending (${SESSION_GROUP_COLUMNS.join(", ")}) ${values}`,
      )
      this.chunkUpserts.set(key, statement)
    }
    return statement
  }

  /** After a prune: the first and last call of each touched session, from its remaining records. */
  private recomputeSessionBounds(sessions: SessionDeltas): void {
    const keys = sessions.sessionRows().map((s) => [s.node, s.session_id])
    if (keys.length === 0) return
    const bounds = this.statement(sessionBoundsQuery(JSON_KEYS)).all(JSON.stringify(keys)) as {
      node: string
      session_id: string
      first_ts: number
      last_ts: number
    }[]
    const update = this.statement(UPDATE_SESSION_BOUNDS(SQLITE_DIALECT))
    for (const b of bounds) update.run(b.first_ts, b.last_ts, b.node, b.session_id)
  }

  /**
   * Adds every pending increment, and `increments` (30-minute rows of the running insert) and `sessions` (its
   * session increments), to every rollup level and the session tables, and empties the pending tables. Runs
   * inside a transaction.
   */
  private foldInTransaction(increments: readonly RollupRow[] = [], sessions = new SessionDeltas()): void {
    // Pending session increments are summed and upserted in SQL (session-fold.ts): no such row comes into JavaScript.
    this.foldSessionPending.run()
    this.foldModelPending.run()
    for (const row of this.sumSessionlessPending.iterate() as IterableIterator<RollupRow>)
      sessions.sessionless.addRollup(row)
    this.applySessions(sessions)
    this.clearSessionPending.run()
    this.clearSessionlessPending.run()
    const deltas = new RollupDeltas()
    for (const row of this.sumPending.iterate() as IterableIterator<RollupRow>) deltas.addRollup(row)
    for (const row of increments) deltas.addRollup(row)
    for (const level of ROLLUP_LEVELS) {
      const upsert = this.upsertRollup.get(level.table)!
      for (const d of deltas.rows(level)) upsert.run(...rollupValues(d))
    }
    const narrow = deltas.narrowed()
    for (const level of NARROW_LEVELS) {
      const upsert = this.upsertRollup.get(level.table)!
      for (const d of narrow.rows(level)) upsert.run(...narrowValues(d))
    }
    this.clearPending.run()
    this.pendingRows = 0
    this.pendingSessionRows = 0
  }

  /**
   * Folds the pending increments, whoever wrote them, if the write lock is free at once. Reads do not depend
   * on it: every aggregate reads the pending rows with the rollups in one statement (sql-query.ts), so a
   * fold only keeps them few. A reader never waits here for another process's writer, and a connection that
   * cannot write (a read-only file) reads the pending rows as they are.
   */
  private foldPendingIfFree(): void {
    if (this.anyPending.get() !== 1) {
      this.pendingRows = 0
      this.pendingSessionRows = 0
      return
    }
    this.db.pragma("busy_timeout = 0")
    try {
      this.foldTransaction.immediate()
    } catch {
      // Busy or read-only: the rows stay pending, and reads include them.
    } finally {
      this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`)
    }
  }

  private guard<T>(action: string, fn: () => T): T {
    if (this.closed) throw new UsageHubError("STORE_ERROR", `${this.label}: ${action} after the store was closed`)
    try {
      return fn()
    } catch (error) {
      throw storeError(`${this.label}: ${action} failed`, error)
    }
  }

  private statement(text: string): Database.Statement {
    let statement = this.statements.get(text)
    if (!statement) {
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.clear()
      statement = this.db.prepare(text)
      this.statements.set(text, statement)
    }
    return statement
  }

  /** A cached statement that returns rows as arrays (a separate cache entry: `.raw` is a statement mode). */
  private rawStatement(text: string): Database.Statement {
    const key = `raw:${text}`
    let statement = this.statements.get(key)
    if (!statement) {
      if (this.statements.size >= MAX_CACHED_STATEMENTS) this.statements.clear()
      statement = this.db.prepare(text).raw(true)
      this.statements.set(key, statement)
    }
    return statement
  }

  async insert(records: readonly StoredRecord[]): Promise<InsertResult> {
    return (await this.insertBatches([records]))[0]
  }

  async insertBatches(batches: readonly (readonly StoredRecord[])[]): Promise<InsertResult[]> {
    return this.guard("insert", () => this.insertTransaction.immediate(batches))
  }

  /**
   * Synchronous aggregates (the SQLite driver is synchronous), answer i for request i. Pending rollup
   * increments are folded (when the write lock is free) once for all of them: a plan step of 30 requests
   * checks once, not 30 times.
   */
  aggregateManySync(requests: readonly AggregateRequest[]): AggregateRow[][] {
    return this.guard("aggregate", () => {
      this.foldPendingIfFree()
      const answers: AggregateRow[][] = []
      const { batches, single } = bucketBatches(requests)
      for (const batch of batches) {
        const query = bucketsQuery(
          batch.map((i) => requests[i]),
          SQLITE_DIALECT,
        )
        if (!query) single.push(...batch)
        else {
          const rows = query.answers(this.rawStatement(query.text).all(...query.params) as BucketSums[])
          batch.forEach((i, j) => {
            answers[i] = rows[j]
          })
        }
      }
      for (const i of single) {
        const source = sourceOf(requests[i])
        const query = aggregateQuery(requests[i].filter, requests[i].groupBy, SQLITE_DIALECT, source)
        answers[i] = query
          ? foldSourceRows(this.statement(query.text).all(...query.params) as KeyNodeSums[], source)
          : []
      }
      return answers
    })
  }

  aggregateSync(filter: RecordFilter, groupBy: GroupBy): AggregateRow[] {
    return this.aggregateManySync([{ filter, groupBy }])[0]
  }

  async aggregate(filter: RecordFilter, groupBy: GroupBy): Promise<AggregateRow[]> {
    return this.aggregateSync(filter, groupBy)
  }

  async aggregateMany(requests: readonly AggregateRequest[]): Promise<AggregateRow[][]> {
    return this.aggregateManySync(requests)
  }

  async *iterate(filter: RecordFilter, chunkSize = 1000): AsyncIterable<UsageRecord[]> {
    const run = (text: string, params: (string | number)[]) =>
      this.guard("iterate", () => this.rawStatement(text).all(...params) as unknown[][])
    yield* recordPages(run, filter, chunkSize)
  }

  /**
   * Deletes the matching records page by page in ONE IMMEDIATE transaction and folds their sums, negated,
   * into every rollup level together with whatever was pending; then drops emptied rollup rows and providers.
   */
  async prune(filter: PruneFilter, options: { dryRun?: boolean } = {}): Promise<PruneResult> {
    return this.guard("prune", () => {
      if (options.dryRun) {
        const query = pruneCountQuery(filter, SQLITE_DIALECT)
        return pruneCountResult(
          this.statement(query.text).get(...query.params) as Parameters<typeof pruneCountResult>[0],
        )
      }
      const run = this.db.transaction((): PruneResult => {
        const deltas = new RollupDeltas(PENDING_LEVELS)
        const sessions = new SessionDeltas()
        const removed: { ts: number; costNanos: number }[] = []
        const query = prunePageQuery(filter, PRUNE_PAGE, SQLITE_DIALECT)
        for (;;) {
          const rows = this.statement(query.text).all(...query.params) as RecordRow[]
          for (const row of rows) {
            deltas.add(row, -1)
            sessions.add(row, -1)
            removed.push({ ts: row.ts, costNanos: row.cost_nanos })
          }
          if (rows.length < PRUNE_PAGE) break
        }
        if (removed.length > 0) {
          this.foldInTransaction(deltas.rows(PENDING_LEVELS[0]), sessions)
          this.recomputeSessionBounds(sessions)
          for (const text of PRUNE_CLEANUP) this.statement(text).run()
          this.addCount.run(-removed.length)
        }
        return pruneResultOf(removed)
      })
      return run.immediate()
    })
  }

  async sessions(filter: SessionsFilter): Promise<SessionsResult> {
    return this.guard("sessions", () => {
      // Pending increments are folded when the write lock is free; else the sessions they touch are merged here.
      this.foldPendingIfFree()
      // The four reads in one (deferred, read) transaction: one snapshot. Another process's fold or append
      // committing between them would otherwise count its pending rows twice, or not at all (`usage sessions
      // --db` beside `usage serve` on one file). A WAL reader does not block the writer.
      return this.db.transaction(() => {
        const groups = this.sumSessionPending.all() as SessionGroupIn[]
        const keys = [...new Set(groups.map((g) => JSON.stringify([g.node, g.session_id])))]
        const page = sessionsPageQuery({ ...filter, limit: sessionLimit(filter) + keys.length }, SQLITE_DIALECT)
        const rows = this.statement(page.text).all(...page.params) as SessionPageRow[]
        const sessionless = aggregateQuery(filter, "node", SQLITE_DIALECT, SESSIONLESS)
        const without = sessionless
          ? foldKeyNodeSums(this.statement(sessionless.text).all(...sessionless.params) as KeyNodeSums[])
          : []
        if (groups.length === 0) return sessionsFromPage(rows, without, filter)
        const stored = this.statement(storedSessionsQuery(JSON_KEYS)).all(`[${keys.join(",")}]`) as SessionPageRow[]
        return sessionsFromPage(rows, without, filter, { groups, stored })
      })()
    })
  }

  async nodes(now: Date): Promise<NodeActivity[]> {
    const received = this.guard(
      "nodes",
      () =>
        this.statement("SELECT node, last_received_at AS lastReceivedAt FROM usage_nodes").all() as {
          node: string
          lastReceivedAt: number
        }[],
    )
    return nodeActivity(received, this.aggregateSync({ since: new Date(now.getTime() - HOUR_MS), until: now }, "node"))
  }

  async stats(): Promise<StoreStats> {
    return this.guard("stats", () => {
      const { records } = this.db.prepare("SELECT COALESCE(SUM(records), 0) AS records FROM usage_counters").get() as {
        records: number
      }
      const quarantined = this.statement("SELECT COUNT(*) FROM usage_quarantine").pluck().get() as number
      const pages = this.db.pragma("page_count", { simple: true }) as number
      const pageSize = this.db.pragma("page_size", { simple: true }) as number
      return { records, quarantined, bytes: pages * pageSize }
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      this.foldPendingIfFree()
    } catch {
      // Best effort: increments left pending are read as they are and folded later.
    }
    try {
      this.db.pragma("optimize")
    } catch {
      // Best effort: statistics only.
    }
    this.db.close()
  }
}
