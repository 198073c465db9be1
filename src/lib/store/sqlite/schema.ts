/**
 * The SQLite schema and its migrations. `usage_schema_version` lists the migrations applied; opening a store
 * applies the missing ones in one IMMEDIATE transaction (so two processes opening a new file at once do not
 * both migrate), refuses a database written by a newer usage-hub, and refuses a SQLite file that holds other
 * tables but no version table (not a usage-hub store). Tables are STRICT; keyed tables are WITHOUT ROWID, so
 * the records are clustered by (ts, node, id) and each rollup by (provider, bucket, …); the pending rollup
 * increments are a rowid table, appended to and emptied as a whole. The budget alert tables (v7) are neither:
 * they keep the definition they had when the budgets module created them, before they were a migration.
 */
import type Database from "better-sqlite3"
import { UsageHubError } from "../../errors.js"
import {
  dropOutOfBoundsRollupsSql,
  narrowRollupsSql,
  OUT_OF_BOUNDS,
  QUARANTINE_REASON,
  ROLLUP_TABLES,
  SQLITE_SESSION_TABLES,
  sessionTablesSql,
  splitCostSql,
  sqliteRollupsWithAgentProjectSql,
  sqliteSessionPendingSql,
  UNCOUNT_QUARANTINED,
} from "../migration-sql.js"

export interface Migration {
  version: number
  description: string
  sql: string
}

/** The columns of a rollup row: its dimensions, then its sums. */
const ROLLUP_COLUMNS = `
  provider TEXT NOT NULL,
  bucket INTEGER NOT NULL,
  model TEXT NOT NULL,
  node TEXT NOT NULL,
  task_type TEXT NOT NULL,
  calls INTEGER NOT NULL,
  cost_nanos INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  unpriced_calls INTEGER NOT NULL`

const rollupTable = (name: string) => `
CREATE TABLE ${name} (${ROLLUP_COLUMNS},
  PRIMARY KEY (provider, bucket, model, node, task_type)
) STRICT, WITHOUT ROWID;`

/** The columns of a usage record (the records table, and the quarantine's first columns). */
const RECORD_COLUMNS = `
  node TEXT NOT NULL,
  id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  task_type TEXT NOT NULL,
  session_id TEXT,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER,
  cache_write_tokens INTEGER,
  reasoning_tokens INTEGER,
  cost_nanos INTEGER NOT NULL,
  unpriced INTEGER,`

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "records keyed by identity; 30-minute, 3-hour, day and month rollups; providers; record counter",
    sql: `
CREATE TABLE usage_records (${RECORD_COLUMNS}
  PRIMARY KEY (ts, node, id)
) STRICT, WITHOUT ROWID;
${rollupTable("usage_rollup_30m")}
${rollupTable("usage_rollup_3h")}
${rollupTable("usage_rollup_day")}
${rollupTable("usage_rollup_month")}
CREATE TABLE usage_providers (provider TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;
CREATE TABLE usage_counters (slot INTEGER PRIMARY KEY, records INTEGER NOT NULL) STRICT;
INSERT INTO usage_counters (slot, records) VALUES (0, 0);
`,
  },
  {
    version: 2,
    description: "pending rollup increments (30-minute rows appended by inserts, folded into every level before reads)",
    // A rowid table: appends land on its last page. Rows written by version 1 are already in the rollups.
    sql: `CREATE TABLE usage_rollup_pending (${ROLLUP_COLUMNS}) STRICT;`,
  },
  {
    version: 3,
    description:
      "cost sums as whole dollars + nano-dollars (no overflow); records outside 2000-01-01..2100-01-01 moved to usage_quarantine",
    sql: `
${splitCostSql([...ROLLUP_TABLES, "usage_rollup_pending"], "INTEGER")}
CREATE TABLE usage_quarantine (${RECORD_COLUMNS}
  reason TEXT NOT NULL,
  quarantined_at TEXT NOT NULL,
  PRIMARY KEY (ts, node, id)
) STRICT, WITHOUT ROWID;
INSERT INTO usage_quarantine
  SELECT *, '${QUARANTINE_REASON}', strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM usage_records WHERE ${OUT_OF_BOUNDS};
DELETE FROM usage_records WHERE ${OUT_OF_BOUNDS};
${dropOutOfBoundsRollupsSql([...ROLLUP_TABLES, "usage_rollup_pending"])}
${UNCOUNT_QUARANTINED}
DELETE FROM usage_providers WHERE provider NOT IN
  (SELECT provider FROM usage_rollup_month UNION SELECT provider FROM usage_rollup_pending);
`,
  },
  {
    version: 4,
    description: "records carry agent and project; rollups keyed by them too",
    sql: `
ALTER TABLE usage_records ADD COLUMN agent TEXT;
ALTER TABLE usage_records ADD COLUMN project TEXT;
ALTER TABLE usage_quarantine ADD COLUMN agent TEXT;
ALTER TABLE usage_quarantine ADD COLUMN project TEXT;
${sqliteRollupsWithAgentProjectSql()}
ALTER TABLE usage_rollup_pending ADD COLUMN agent TEXT NOT NULL DEFAULT '';
ALTER TABLE usage_rollup_pending ADD COLUMN project TEXT NOT NULL DEFAULT '';
`,
  },
  {
    version: 5,
    description:
      "sessions aggregated at insert (sums, first/last call, calls per model; pending increments); sessionless day/month rollups; nodes' receipt times",
    sql: sessionTablesSql(SQLITE_SESSION_TABLES) + sqliteSessionPendingSql(),
  },
  {
    version: 6,
    description: "narrow rollups keyed by (provider, bucket, model) at every level, for reports",
    sql: narrowRollupsSql(SQLITE_SESSION_TABLES),
  },
  {
    version: 7,
    description: "budget alerts claimed (one per idempotency key) and their webhook deliveries (the durable outbox)",
    // IF NOT EXISTS, in the definition the budgets module used when it created these tables itself: a store
    // that already has them (and their rows) keeps them, and a new store gets the same tables.
    sql: `
CREATE TABLE IF NOT EXISTS usage_budget_alerts (
  key TEXT PRIMARY KEY, budget TEXT NOT NULL, period_start INTEGER NOT NULL, threshold REAL NOT NULL,
  body TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS usage_budget_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, alert_key TEXT NOT NULL REFERENCES usage_budget_alerts (key), url TEXT NOT NULL,
  due_at INTEGER NOT NULL, lease_until INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
  delivered_at INTEGER, last_error TEXT, UNIQUE (alert_key, url));
CREATE INDEX IF NOT EXISTS usage_budget_outbox_due ON usage_budget_outbox (due_at) WHERE delivered_at IS NULL;
`,
  },
]

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version

function currentVersion(db: Database.Database, label: string): number | undefined {
  const hasTable = db
    .prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'usage_schema_version'")
    .get()
  if (!hasTable) {
    const other = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' LIMIT 1")
      .get() as { name: string } | undefined
    if (other) {
      throw new UsageHubError(
        "STORE_ERROR",
        `${label} is a SQLite database but not a usage-hub store (it has a table "${other.name}" and no usage_schema_version)`,
      )
    }
    return undefined
  }
  const row = db.prepare("SELECT COALESCE(MAX(version), 0) AS version FROM usage_schema_version").get() as {
    version: number
  }
  if (row.version > SCHEMA_VERSION) {
    throw new UsageHubError(
      "STORE_ERROR",
      `${label} has schema version ${row.version}, newer than this usage-hub knows (${SCHEMA_VERSION}): upgrade usage-hub`,
    )
  }
  return row.version
}

/** Applies the missing migrations; returns the versions applied (none when the schema is current). */
export function migrate(db: Database.Database, label: string): number[] {
  if (currentVersion(db, label) === SCHEMA_VERSION) return []
  const apply = db.transaction((): number[] => {
    // Re-read under the write lock: another process may have migrated meanwhile.
    const version = currentVersion(db, label)
    if (version === undefined) {
      db.exec(
        "CREATE TABLE usage_schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT",
      )
    }
    const applied: number[] = []
    const record = db.prepare("INSERT INTO usage_schema_version (version, description, applied_at) VALUES (?, ?, ?)")
    for (const migration of MIGRATIONS) {
      if (migration.version <= (version ?? 0)) continue
      db.exec(migration.sql)
      record.run(migration.version, migration.description, new Date().toISOString())
      applied.push(migration.version)
    }
    return applied
  })
  return apply.immediate()
}
