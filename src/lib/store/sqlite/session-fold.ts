/**
 * The fold of SQLite's pending session increments (`usage_session_pending`: one row per session x (provider,
 * model, agent, project) of each commit that appended them) into `usage_sessions` and `usage_session_models`,
 * in SQL: two INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE statements, so no pending row is read
 * into JavaScript (reading them into objects and summing them there cost more than the upserts). Each GROUP BY
 * hands its upserts their rows in key order, so each table's B-tree is walked once, in order.
 *
 * Exactness: a pending row's cost is whole dollars plus nano-dollars in [0, 1e9) (SessionDeltas normalises
 * them), so the nano-dollars of a group sum to a non-negative integer far from overflow and split into the
 * dollars they carry and a remainder in [0, 1e9), as the upsert's SET expects. Token sums use TOTAL, which
 * never fails (SUM throws past 2^63 on hostile counts), cast back to an integer, which saturates at 2^63 - 1
 * as `sumValues` does when binding (the JavaScript fold summed the same doubles); the upsert then adds them
 * with saturation. Counts cannot come near 2^63 in one fold.
 */
import { NANOS_PER_USD } from "../../money.js"
import { SQLITE_SESSION_TABLES } from "../migration-sql.js"
import { SUM_COLUMNS } from "../rollup.js"
import { SESSION_MODEL_KEY } from "../sessions.js"
import { SESSION_UPSERTS } from "../sql-query.js"

/** A group's sum of each SUM_COLUMNS column over pending rows, in column order. */
const PENDING_SUMS = SUM_COLUMNS.map((c) => {
  if (c === "cost_usd") return `SUM(cost_usd) + SUM(cost_nanos) / ${NANOS_PER_USD}`
  if (c === "cost_nanos") return `SUM(cost_nanos) % ${NANOS_PER_USD}`
  if (c.endsWith("_tokens")) return SQLITE_SESSION_TABLES.tokenSum(c)
  return `SUM(${c})`
}).join(", ")

/** Adds the pending increments of each session to its `usage_sessions` row (first/last widen, sums add). */
export const FOLD_PENDING_SESSIONS = SESSION_UPSERTS.sessions(
  `SELECT node, session_id, MIN(first_ts), MAX(last_ts), ${PENDING_SUMS}
FROM usage_session_pending WHERE true GROUP BY node, session_id`,
  "min",
  "max",
)

/** Adds the pending calls of each session x (provider, model, agent, project) to `usage_session_models`. */
export const FOLD_PENDING_MODELS = SESSION_UPSERTS.models(
  `SELECT ${SESSION_MODEL_KEY.join(", ")}, SUM(calls)
FROM usage_session_pending WHERE true GROUP BY ${SESSION_MODEL_KEY.join(", ")}`,
)
