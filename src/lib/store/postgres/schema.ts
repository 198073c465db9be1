/**
 * The PostgreSQL schema and its migrations: the same tables as SQLite (src/lib/store/sqlite/schema.ts) in
 * PostgreSQL types (BIGINT for ms and nano-dollars, text COLLATE "C" so ordering and keys are byte-wise as
 * in SQLite). Several `usage serve` replicas may open the same database at once: migrations run in one
 * transaction holding a transaction-scoped advisory lock, so exactly one replica applies each migration and
 * the others wait, then see it applied. An open that finds the current version (one SELECT) takes no lock. `usage_counters` has 16 slots (a writer adds to a random one) so
 * concurrent replicas do not queue on one counter row.
 */
import type { PoolClient } from "pg"
import { UsageHubError } from "../../errors.js"
import {
  dropOutOfBoundsRollupsSql,
  narrowRollupsSql,
  OUT_OF_BOUNDS,
  POSTGRES_SESSION_TABLES,
  postgresRollupsWithAgentProjectSql,
  QUARANTINE_REASON,
  ROLLUP_TABLES,
  sessionTablesSql,
  splitCostSql,
  UNCOUNT_QUARANTINED,
} from "../migration-sql.js"
import type { Migration } from "../sqlite/schema.js"

export type { Migration }

/** First key of the advisory lock guarding migrations ("usag"); the second is a hash of the schema. */
const MIGRATION_LOCK = 0x75736167

export const COUNTER_SLOTS = 16

const rollupTable = (name: string) => `
CREATE TABLE ${name} (
  provider text COLLATE "C" NOT NULL,
  bucket bigint NOT NULL,
  model text COLLATE "C" NOT NULL,
  node text COLLATE "C" NOT NULL,
  task_type text COLLATE "C" NOT NULL,
  calls bigint NOT NULL,
  cost_nanos bigint NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cache_read_tokens bigint NOT NULL,
  cache_write_tokens bigint NOT NULL,
  reasoning_tokens bigint NOT NULL,
  unpriced_calls bigint NOT NULL,
  PRIMARY KEY (provider, bucket, model, node, task_type)
) WITH (fillfactor = 80);`

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "records keyed by identity; 30-minute, 3-hour, day and month rollups; providers; record counters",
    sql: `
CREATE TABLE usage_records (
  node text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  ts bigint NOT NULL,
  provider text COLLATE "C" NOT NULL,
  model text COLLATE "C" NOT NULL,
  task_type text COLLATE "C" NOT NULL,
  session_id text,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cache_read_tokens bigint,
  cache_write_tokens bigint,
  reasoning_tokens bigint,
  cost_nanos bigint NOT NULL,
  unpriced smallint,
  PRIMARY KEY (ts, node, id)
);
${rollupTable("usage_rollup_30m")}
${rollupTable("usage_rollup_3h")}
${rollupTable("usage_rollup_day")}
${rollupTable("usage_rollup_month")}
CREATE TABLE usage_providers (provider text COLLATE "C" PRIMARY KEY);
CREATE TABLE usage_counters (slot integer PRIMARY KEY, records bigint NOT NULL);
INSERT INTO usage_counters (slot, records) SELECT slot, 0 FROM generate_series(0, ${COUNTER_SLOTS - 1}) AS slot;
`,
  },
  {
    version: 2,
    description:
      "cost sums as whole dollars + nano-dollars (no overflow); records outside 2000-01-01..2100-01-01 moved to usage_quarantine",
    sql: `
${splitCostSql(ROLLUP_TABLES, "bigint")}
CREATE TABLE usage_quarantine (LIKE usage_records INCLUDING ALL);
ALTER TABLE usage_quarantine ADD COLUMN reason text NOT NULL, ADD COLUMN quarantined_at timestamptz NOT NULL DEFAULT now();
WITH moved AS (DELETE FROM usage_records WHERE ${OUT_OF_BOUNDS} RETURNING *)
  INSERT INTO usage_quarantine SELECT moved.*, '${QUARANTINE_REASON}' FROM moved;
${dropOutOfBoundsRollupsSql(ROLLUP_TABLES)}
${UNCOUNT_QUARANTINED}
DELETE FROM usage_providers WHERE provider NOT IN (SELECT provider FROM usage_rollup_month);
`,
  },
  {
    version: 3,
    description: "records carry agent and project; rollups keyed by them too",
    sql: `
ALTER TABLE usage_records ADD COLUMN agent text COLLATE "C", ADD COLUMN project text COLLATE "C";
ALTER TABLE usage_quarantine ADD COLUMN agent text COLLATE "C", ADD COLUMN project text COLLATE "C";
${postgresRollupsWithAgentProjectSql()}
`,
  },
  {
    version: 4,
    description:
      "sessions aggregated at insert (sums, first/last call, calls per model); sessionless day/month rollups; nodes' receipt times",
    sql: sessionTablesSql(POSTGRES_SESSION_TABLES),
  },
  {
    version: 5,
    description: "narrow rollups keyed by (provider, bucket, model) at every level, for reports",
    sql: narrowRollupsSql(POSTGRES_SESSION_TABLES),
  },
  {
    version: 6,
    description: "budget alerts claimed (one per idempotency key) and their webhook deliveries (the durable outbox)",
    // IF NOT EXISTS, in the definition the budgets module used when it created these tables itself: a schema
    // that already has them (and their rows) keeps them, and a new schema gets the same tables.
    sql: `
CREATE TABLE IF NOT EXISTS usage_budget_alerts (
  key TEXT PRIMARY KEY, budget TEXT NOT NULL, period_start BIGINT NOT NULL, threshold DOUBLE PRECISION NOT NULL,
  body TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS usage_budget_outbox (
  id BIGSERIAL PRIMARY KEY, alert_key TEXT NOT NULL REFERENCES usage_budget_alerts (key), url TEXT NOT NULL,
  due_at BIGINT NOT NULL, lease_until BIGINT NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 0,
  delivered_at BIGINT, last_error TEXT, UNIQUE (alert_key, url));
CREATE INDEX IF NOT EXISTS usage_budget_outbox_due ON usage_budget_outbox (due_at) WHERE delivered_at IS NULL;
`,
  },
]

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}

/**
 * The schema version, read without a transaction or lock (one SELECT); undefined when the version table is
 * missing or unreadable. Lets an open of an up-to-date database (every open but the first) skip the locked
 * migration transaction.
 */
async function currentVersion(client: PoolClient): Promise<number | undefined> {
  try {
    const { rows } = await client.query("SELECT MAX(version) AS version FROM usage_schema_version")
    return rows[0].version === null ? undefined : Number(rows[0].version)
  } catch {
    return undefined
  }
}

/**
 * Applies the missing migrations under the advisory lock (creating `schema` first when given); returns the
 * versions applied.
 */
export async function migrate(client: PoolClient, label: string, schema?: string): Promise<number[]> {
  if ((await currentVersion(client)) === SCHEMA_VERSION) return []
  await client.query("BEGIN")
  try {
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [MIGRATION_LOCK, schema ?? ""])
    if (schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`)
    const exists = await client.query("SELECT to_regclass('usage_schema_version') IS NOT NULL AS exists")
    if (!exists.rows[0].exists) {
      await client.query(
        "CREATE TABLE usage_schema_version (version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
      )
    }
    const current = Number(
      (await client.query("SELECT COALESCE(MAX(version), 0) AS version FROM usage_schema_version")).rows[0].version,
    )
    if (current > SCHEMA_VERSION) {
      throw new UsageHubError(
        "STORE_ERROR",
        `${label} has schema version ${current}, newer than this usage-hub knows (${SCHEMA_VERSION}): upgrade usage-hub`,
      )
    }
    const applied: number[] = []
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue
      await client.query(migration.sql)
      await client.query("INSERT INTO usage_schema_version (version, description) VALUES ($1, $2)", [
        migration.version,
        migration.description,
      ])
      applied.push(migration.version)
    }
    await client.query("COMMIT")
    return applied
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {})
    throw error
  }
}
