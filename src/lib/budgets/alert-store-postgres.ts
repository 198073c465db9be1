/**
 * The alert store in the service's PostgreSQL database, on a small pool of its own. A claim is ONE statement
 * (the alert insert ON CONFLICT DO NOTHING and its outbox rows), so two replicas that see one crossing write
 * one alert; outbox rows are taken with FOR UPDATE SKIP LOCKED and a lease, so no two replicas send one row.
 * Its tables (usage_budget_alerts, usage_budget_outbox) are the usage store's migration v6
 * (src/lib/store/postgres/schema.ts): opening applies any migration missing under the migrations' advisory
 * lock (replicas starting together queue on it), which is one read when the usage store has already migrated.
 */
import type { Pool } from "pg"
import { loadDriver } from "../store/postgres/driver.js"
import { migrate } from "../store/postgres/schema.js"
import { redactUrl, storeError } from "../store/store-error.js"
import type { AlertStore, OutboxRow } from "./alert-store.js"
import type { BudgetAlert } from "./budget-types.js"

const CLAIM = `
WITH a AS (
  INSERT INTO usage_budget_alerts (key, budget, period_start, threshold, body, created_at)
  VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING key),
o AS (
  INSERT INTO usage_budget_outbox (alert_key, url, due_at)
  SELECT a.key, u.url, $6 FROM a CROSS JOIN unnest($7::text[]) AS u(url))
SELECT count(*)::int AS claimed FROM a`

const TAKE = `
UPDATE usage_budget_outbox o SET lease_until = $1 + $2 FROM usage_budget_alerts a
WHERE a.key = o.alert_key AND o.id IN (
  SELECT id FROM usage_budget_outbox WHERE delivered_at IS NULL AND due_at <= $1 AND lease_until <= $1
  ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
RETURNING o.id::int AS id, o.url, o.alert_key AS key, a.body, o.attempts`

export class PostgresAlertStore implements AlertStore {
  static async open(location: string, schema?: string): Promise<PostgresAlertStore> {
    const pool = new (loadDriver().Pool)({
      connectionString: location,
      max: 2,
      connectionTimeoutMillis: 10_000,
      ...(schema ? { options: `-c search_path=${schema}` } : {}),
    })
    pool.on("error", () => {})
    pool.on("connect", (client) => {
      client.on("error", () => {})
    })
    const label = `PostgreSQL ${redactUrl(location)}${schema ? ` (schema ${schema})` : ""}`
    try {
      const client = await pool.connect()
      try {
        await migrate(client, label, schema)
      } finally {
        client.release()
      }
    } catch (error) {
      await pool.end().catch(() => {})
      throw storeError(`cannot open the budget alerts of ${label}`, error)
    }
    return new PostgresAlertStore(pool)
  }

  private constructor(private readonly pool: Pool) {}

  async claim(alert: BudgetAlert, urls: readonly string[], now: number): Promise<boolean> {
    const { rows } = await this.pool.query<{ claimed: number }>(CLAIM, [
      alert.idempotencyKey,
      alert.budget,
      Date.parse(alert.periodStart),
      alert.threshold,
      JSON.stringify(alert),
      now,
      urls,
    ])
    return rows[0].claimed > 0
  }

  async take(now: number, leaseMs: number, limit: number): Promise<OutboxRow[]> {
    return (await this.pool.query<OutboxRow>(TAKE, [now, leaseMs, limit])).rows
  }

  async delivered(id: number, now: number): Promise<void> {
    await this.pool.query("UPDATE usage_budget_outbox SET delivered_at = $1, lease_until = 0 WHERE id = $2", [now, id])
  }

  async failed(id: number, dueAt: number | undefined, error: string): Promise<void> {
    await this.pool.query(
      `UPDATE usage_budget_outbox SET attempts = attempts + 1, lease_until = 0, last_error = $1,
       due_at = COALESCE($2, due_at), delivered_at = CASE WHEN $2::bigint IS NULL THEN -1 ELSE NULL END WHERE id = $3`,
      [error, dueAt ?? null, id],
    )
  }

  async nextDue(): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ next: string | null }>(
      "SELECT MIN(GREATEST(due_at, lease_until)) AS next FROM usage_budget_outbox WHERE delivered_at IS NULL",
    )
    return rows[0].next === null ? undefined : Number(rows[0].next)
  }

  async close(): Promise<void> {
    await this.pool.end()
  }
}
