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

/**
 * SQLite v5 too: the session increments appended by inserts and folded in bulk with the rollups' (rowid heaps,
 * like `usage_rollup_pending`): one row per session x (provider, model, agent, project) with its first/last call
 * and sums, and the sessionless increments as day rows of the rollup shape.
 */
export function sqliteSessionPendingSql(): string {
  const sums = ROLLUP_SUMS.map((c) => `${c} INTEGER NOT NULL`).join(", ")
  return `
CREATE TABLE usage_session_pending (
  node TEXT NOT NULL, session_id TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL, agent TEXT NOT NULL,
  project TEXT NOT NULL, first_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL, ${sums}
) STRICT;
CREATE TABLE usage_sessionless_pending (
  provider TEXT NOT NULL, bucket INTEGER NOT NULL, model TEXT NOT NULL, node TEXT NOT NULL, task_type TEXT NOT NULL,
  agent TEXT NOT NULL, project TEXT NOT NULL, ${sums}
) STRICT;
`
}

/** How a backend spells the types and expressions of the session tables' migration. */
export interface SessionTablesDialect {
  /** A key text column's type (byte-wise ordering). */
  text: string
  integer: string
  /** After a keyed table's closing parenthesis. */
  keyedTable: string
  /** The UTC month start (epoch ms) of `ts` (epoch ms). */
  monthOf(ts: string): string
  /** A token column's sum over a group, saturating at 2^63 - 1 instead of failing. */
  tokenSum(column: string): string
  /** Integer quotient and remainder of a (wide) integer sum by 1e9. */
  quotient(sum: string): string
  remainder(sum: string): string
}

export const SQLITE_SESSION_TABLES: SessionTablesDialect = {
  text: "TEXT",
  integer: "INTEGER",
  keyedTable: " STRICT, WITHOUT ROWID",
  monthOf: (ts) => `CAST(strftime('%s', ${ts} / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000`,
  // TOTAL never fails (a double); a cast of a double past 2^63 - 1 saturates.
  tokenSum: (c) => `CAST(TOTAL(${c}) AS INTEGER)`,
  quotient: (sum) => `(${sum}) / 1000000000`,
  remainder: (sum) => `(${sum}) % 1000000000`,
}

export const POSTGRES_SESSION_TABLES: SessionTablesDialect = {
  text: 'text COLLATE "C"',
  integer: "bigint",
  keyedTable: "",
  monthOf: (ts) =>
    `(extract(epoch FROM date_trunc('month', to_timestamp(${ts} / 1000.0) AT TIME ZONE 'UTC')) * 1000)::bigint`,
  tokenSum: (c) => `LEAST(SUM(${c}), 9223372036854775807)::bigint`,
  // SUM of bigint is numeric, whose `/` keeps the fraction.
  quotient: (sum) => `div(${sum}, 1000000000)`,
  remainder: (sum) => `mod(${sum}, 1000000000)`,
}

/** A record's sums (one call), in ROLLUP_SUMS order, summed over a group of records. */
function recordSumsSql(d: SessionTablesDialect): string {
  return [
    "COUNT(*)",
    `SUM(cost_nanos / 1000000000) + ${d.quotient("SUM(cost_nanos % 1000000000)")}`,
    d.remainder("SUM(cost_nanos % 1000000000)"),
    ...["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"].map((c) =>
      d.tokenSum(`COALESCE(${c}, 0)`),
    ),
    "SUM(COALESCE(unpriced, 0))",
  ].join(", ")
}

/**
 * Schema v5 (SQLite) / v4 (PostgreSQL): the session aggregate, the calls per session x (provider, model, agent,
 * project), the sessionless day and month rollups and the nodes' receipt times (src/lib/store/sessions.ts),
 * created and filled from the records already stored. A node's receipt time before this version is unknown:
 * its last record's timestamp stands for it.
 */
export function sessionTablesSql(d: SessionTablesDialect): string {
  const sums = ROLLUP_SUMS.map((c) => `${c} ${d.integer} NOT NULL`).join(", ")
  const sessionless = (table: string) => `CREATE TABLE ${table} (
  provider ${d.text} NOT NULL, bucket ${d.integer} NOT NULL, model ${d.text} NOT NULL, node ${d.text} NOT NULL,
  task_type ${d.text} NOT NULL, agent ${d.text} NOT NULL, project ${d.text} NOT NULL, ${sums},
  PRIMARY KEY (provider, bucket, model, node, task_type, agent, project)
)${d.keyedTable};`
  // A sessionless rollup row's dimensions after provider and bucket.
  const dimensions = "model, node, task_type, COALESCE(agent, ''), COALESCE(project, '')"
  return `
CREATE TABLE usage_sessions (
  node ${d.text} NOT NULL, session_id ${d.text} NOT NULL, first_ts ${d.integer} NOT NULL, last_ts ${d.integer} NOT NULL,
  ${sums},
  PRIMARY KEY (node, session_id)
)${d.keyedTable};
CREATE INDEX usage_sessions_last ON usage_sessions (last_ts, node, session_id);
CREATE TABLE usage_session_models (
  node ${d.text} NOT NULL, session_id ${d.text} NOT NULL, provider ${d.text} NOT NULL, model ${d.text} NOT NULL,
  agent ${d.text} NOT NULL, project ${d.text} NOT NULL, calls ${d.integer} NOT NULL,
  PRIMARY KEY (node, session_id, provider, model, agent, project)
)${d.keyedTable};
${sessionless("usage_sessionless_day")}
${sessionless("usage_sessionless_month")}
CREATE TABLE usage_nodes (node ${d.text} NOT NULL PRIMARY KEY, last_received_at ${d.integer} NOT NULL)${d.keyedTable};
INSERT INTO usage_sessions (node, session_id, first_ts, last_ts, ${ROLLUP_SUMS.join(", ")})
  SELECT node, session_id, MIN(ts), MAX(ts), ${recordSumsSql(d)}
  FROM usage_records WHERE session_id IS NOT NULL GROUP BY node, session_id;
INSERT INTO usage_session_models (node, session_id, provider, model, agent, project, calls)
  SELECT node, session_id, provider, model, COALESCE(agent, ''), COALESCE(project, ''), COUNT(*)
  FROM usage_records WHERE session_id IS NOT NULL
  GROUP BY node, session_id, provider, model, COALESCE(agent, ''), COALESCE(project, '');
INSERT INTO usage_sessionless_day (provider, bucket, model, node, task_type, agent, project, ${ROLLUP_SUMS.join(", ")})
  SELECT provider, ts - ts % 86400000, ${dimensions}, ${recordSumsSql(d)}
  FROM usage_records WHERE session_id IS NULL GROUP BY provider, ts - ts % 86400000, ${dimensions};
INSERT INTO usage_sessionless_month (provider, bucket, model, node, task_type, agent, project, ${ROLLUP_SUMS.join(", ")})
  SELECT provider, ${d.monthOf("ts")}, ${dimensions}, ${recordSumsSql(d)}
  FROM usage_records WHERE session_id IS NULL GROUP BY provider, ${d.monthOf("ts")}, ${dimensions};
INSERT INTO usage_nodes (node, last_received_at) SELECT node, MAX(ts) FROM usage_records GROUP BY node;
`
}

/**
 * Schema v6 (SQLite) / v5 (PostgreSQL): the narrow rollups (src/lib/store/rollup.ts NARROW_LEVELS), keyed by
 * (provider, bucket, model), created and filled from the wide rollups of the same level with the other key
 * columns summed away (cost carried into dollars, token sums saturating as the rollups' do). SQLite's pending
 * increments stay pending: its next fold adds them to both.
 */
export function narrowRollupsSql(d: SessionTablesDialect): string {
  const sums = ROLLUP_SUMS.map((c) => `${c} ${d.integer} NOT NULL`).join(", ")
  const summed = [
    "SUM(calls)",
    `SUM(cost_usd) + ${d.quotient("SUM(cost_nanos)")}`,
    d.remainder("SUM(cost_nanos)"),
    ...["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"].map((c) =>
      d.tokenSum(c),
    ),
    "SUM(unpriced_calls)",
  ].join(", ")
  return ROLLUP_TABLES.map((wide) => {
    const table = wide.replace("usage_rollup_", "usage_rollup_model_")
    return `CREATE TABLE ${table} (
  provider ${d.text} NOT NULL, bucket ${d.integer} NOT NULL, model ${d.text} NOT NULL, ${sums},
  PRIMARY KEY (provider, bucket, model)
)${d.keyedTable};
INSERT INTO ${table} (provider, bucket, model, ${ROLLUP_SUMS.join(", ")})
  SELECT provider, bucket, model, ${summed} FROM ${wide} GROUP BY provider, bucket, model;`
  }).join("\n")
}
