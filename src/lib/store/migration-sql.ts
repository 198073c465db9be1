/**
 * SQL fragments that the SQLite and PostgreSQL migrations share (src/lib/store/<backend>/schema.ts). A released
 * migration never changes, so these are frozen values, not references to the live bounds in src/lib/record.ts.
 */

/** The rollup levels' tables (src/lib/store/rollup.ts). */
export const ROLLUP_TABLES = ["usage_rollup_30m", "usage_rollup_3h", "usage_rollup_day", "usage_rollup_month"] as const

/** Splits the int64 cost sum of each rollup table into whole dollars (a new `cost_usd` column) and nano-dollars. */
export function splitCostSql(tables: readonly string[], integerType: string): string {
  return tables
    .map(
      (t) => `ALTER TABLE ${t} ADD COLUMN cost_usd ${integerType} NOT NULL DEFAULT 0;
UPDATE ${t} SET cost_usd = cost_nanos / 1000000000, cost_nanos = cost_nanos % 1000000000;`,
    )
    .join("\n")
}

/**
 * Records outside the accepted time range (2000-01-01 inclusive to 2100-01-01 exclusive, UTC ms), which older
 * versions accepted. Both bounds are month boundaries, so the rollup rows of such records are exactly the rows
 * whose bucket lies outside too.
 */
export const OUT_OF_BOUNDS = "(ts < 946684800000 OR ts >= 4102444800000)"
export const QUARANTINE_REASON = "timestamp outside 2000-01-01T00:00:00Z..2100-01-01T00:00:00Z"

/** Deletes the rollup rows of out-of-bounds records from `tables`. */
export function dropOutOfBoundsRollupsSql(tables: readonly string[]): string {
  return tables.map((t) => `DELETE FROM ${t} WHERE bucket < 946684800000 OR bucket >= 4102444800000;`).join("\n")
}

/** The sum columns of a rollup row as of schema v3 (SQLite) / v2 (PostgreSQL), in the order v4 creates them. */
const ROLLUP_SUMS = [
  "calls",
  "cost_usd",
  "cost_nanos",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "unpriced_calls",
]

/**
 * SQLite: each rollup table rebuilt with `agent` and `project` in its key ("" for the rows written before: no
 * record had either). A WITHOUT ROWID table's key cannot be altered, so the rows are copied to a new table.
 */
export function sqliteRollupsWithAgentProjectSql(): string {
  return ROLLUP_TABLES.map(
    (t) => `CREATE TABLE ${t}_v4 (
  provider TEXT NOT NULL, bucket INTEGER NOT NULL, model TEXT NOT NULL, node TEXT NOT NULL, task_type TEXT NOT NULL,
  agent TEXT NOT NULL, project TEXT NOT NULL,
  ${ROLLUP_SUMS.map((c) => `${c} INTEGER NOT NULL`).join(", ")},
  PRIMARY KEY (provider, bucket, model, node, task_type, agent, project)
) STRICT, WITHOUT ROWID;
INSERT INTO ${t}_v4 SELECT provider, bucket, model, node, task_type, '', '', ${ROLLUP_SUMS.join(", ")} FROM ${t};
DROP TABLE ${t};
ALTER TABLE ${t}_v4 RENAME TO ${t};`,
  ).join("\n")
}

/** PostgreSQL: `agent` and `project` join each rollup table's key ("" for the rows written before). */
export function postgresRollupsWithAgentProjectSql(): string {
  return ROLLUP_TABLES.map(
    (t) => `ALTER TABLE ${t} ADD COLUMN agent text COLLATE "C" NOT NULL DEFAULT '',
  ADD COLUMN project text COLLATE "C" NOT NULL DEFAULT '',
  DROP CONSTRAINT ${t}_pkey,
  ADD PRIMARY KEY (provider, bucket, model, node, task_type, agent, project);`,
  ).join("\n")
}

/** Subtracts the quarantined records from the record counter (slot 0: counters are summed over slots). */
export const UNCOUNT_QUARANTINED =
  "UPDATE usage_counters SET records = records - (SELECT COUNT(*) FROM usage_quarantine) WHERE slot = 0;"
