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

/** Subtracts the quarantined records from the record counter (slot 0: counters are summed over slots). */
export const UNCOUNT_QUARANTINED =
  "UPDATE usage_counters SET records = records - (SELECT COUNT(*) FROM usage_quarantine) WHERE slot = 0;"
