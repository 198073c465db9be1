/**
 * The alert store in the service's SQLite file, on a connection of its own (WAL: it never blocks readers, and
 * waits briefly for the ingest writer). Its tables (usage_budget_alerts, usage_budget_outbox) are the usage
 * store's migration v7 (src/lib/store/sqlite/schema.ts): opening applies any migration missing, which is one
 * read when the usage store beside it has already migrated the file.
 */
import { resolve } from "node:path"
import type Database from "better-sqlite3"
import { sqliteNativeBinding } from "../store/sqlite/native-binding.js"
import { migrate } from "../store/sqlite/schema.js"
import { storeError } from "../store/store-error.js"
import type { AlertStore, OutboxRow } from "./alert-store.js"
import type { BudgetAlert } from "./budget-types.js"

export class SqliteAlertStore implements AlertStore {
  private readonly claimTx: Database.Transaction<(alert: BudgetAlert, urls: readonly string[], now: number) => boolean>
  private readonly takeTx: Database.Transaction<(now: number, leaseMs: number, limit: number) => OutboxRow[]>
  private readonly anyDue: Database.Statement

  static async open(path: string): Promise<SqliteAlertStore> {
    const Driver = (await import("better-sqlite3")).default
    const file = resolve(path)
    let db: Database.Database | undefined
    try {
      db = new Driver(file, { timeout: 5000, nativeBinding: sqliteNativeBinding() })
      db.pragma("journal_mode = WAL")
      migrate(db, `SQLite database ${file}`)
      return new SqliteAlertStore(db)
    } catch (error) {
      db?.close()
      throw storeError(`cannot open the budget alerts of ${file}`, error)
    }
  }

  private constructor(private readonly db: Database.Database) {
    const insertAlert = db.prepare(
      `INSERT INTO usage_budget_alerts (key, budget, period_start, threshold, body, created_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    )
    const insertRow = db.prepare(
      "INSERT INTO usage_budget_outbox (alert_key, url, due_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    )
    this.claimTx = db.transaction((alert, urls, now) => {
      const periodStart = Date.parse(alert.periodStart)
      const body = JSON.stringify(alert)
      const inserted = insertAlert.run(alert.idempotencyKey, alert.budget, periodStart, alert.threshold, body, now)
      if (inserted.changes === 0) return false
      for (const url of urls) insertRow.run(alert.idempotencyKey, url, now)
      return true
    })
    const due = db.prepare(
      `SELECT o.id, o.url, o.alert_key AS key, a.body, o.attempts FROM usage_budget_outbox o
       JOIN usage_budget_alerts a ON a.key = o.alert_key
       WHERE o.delivered_at IS NULL AND o.due_at <= ? AND o.lease_until <= ? ORDER BY o.due_at, o.id LIMIT ?`,
    )
    this.anyDue = db
      .prepare(
        "SELECT EXISTS (SELECT 1 FROM usage_budget_outbox WHERE delivered_at IS NULL AND due_at <= ? AND lease_until <= ?)",
      )
      .pluck()
    const lease = db.prepare("UPDATE usage_budget_outbox SET lease_until = ? WHERE id = ?")
    this.takeTx = db.transaction((now, leaseMs, limit) => {
      const rows = due.all(now, now, limit) as OutboxRow[]
      for (const row of rows) lease.run(now + leaseMs, row.id)
      return rows
    })
  }

  async claim(alert: BudgetAlert, urls: readonly string[], now: number): Promise<boolean> {
    return this.claimTx.immediate(alert, urls, now)
  }

  async take(now: number, leaseMs: number, limit: number): Promise<OutboxRow[]> {
    // A read first: an empty outbox (the usual case) never takes the write lock the ingest commits need.
    if (!this.anyDue.get(now, now)) return []
    return this.takeTx.immediate(now, leaseMs, limit)
  }

  async delivered(id: number, now: number): Promise<void> {
    this.db.prepare("UPDATE usage_budget_outbox SET delivered_at = ?, lease_until = 0 WHERE id = ?").run(now, id)
  }

  async failed(id: number, dueAt: number | undefined, error: string): Promise<void> {
    this.db
      .prepare(
        `UPDATE usage_budget_outbox SET attempts = attempts + 1, lease_until = 0, last_error = ?,
         due_at = COALESCE(?, due_at), delivered_at = CASE WHEN ? IS NULL THEN -1 ELSE NULL END WHERE id = ?`,
      )
      .run(error, dueAt ?? null, dueAt ?? null, id)
  }

  async nextDue(): Promise<number | undefined> {
    const next = this.db
      .prepare("SELECT MIN(MAX(due_at, lease_until)) FROM usage_budget_outbox WHERE delivered_at IS NULL")
      .pluck()
      .get() as number | null
    return next ?? undefined
  }

  async close(): Promise<void> {
    this.db.close()
  }
}
