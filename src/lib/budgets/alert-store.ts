/**
 * Where alerts are claimed and their webhook deliveries wait (the durable outbox): the interface, its
 * in-memory version (a memory store, or `:memory:`), and `openAlertStore(location)`, which opens the SQLite or
 * PostgreSQL version beside the usage store at the same location (its own connection, its own tables).
 * Claiming is idempotent by key: the first claim of a key writes the alert and one outbox row per webhook URL
 * at once and answers true; every later claim, by this process or another, answers false.
 */
import { isPostgresLocation } from "../store/location.js"
import type { BudgetAlert } from "./budget-types.js"

/** One delivery of an alert to one webhook URL. */
export interface OutboxRow {
  id: number
  url: string
  key: string
  /** The alert's JSON body, byte for byte the same on every attempt. */
  body: string
  /** Attempts made before this one. */
  attempts: number
}

export interface AlertStore {
  /** Claims `alert` (by its idempotency key) and queues it for `urls`, due at `now`. True: this call claimed it. */
  claim(alert: BudgetAlert, urls: readonly string[], now: number): Promise<boolean>
  /** Takes up to `limit` due rows and leases them until `now + leaseMs` (no other taker gets them meanwhile). */
  take(now: number, leaseMs: number, limit: number): Promise<OutboxRow[]>
  /** The row was delivered: never sent again. */
  delivered(id: number, now: number): Promise<void>
  /** The attempt failed: retried at `dueAt` (or never, `dueAt` undefined: given up). */
  failed(id: number, dueAt: number | undefined, error: string): Promise<void>
  /** When the next undelivered row is due (epoch ms), if any. */
  nextDue(): Promise<number | undefined>
  close(): Promise<void>
}

interface MemoryRow extends OutboxRow {
  dueAt: number
  leaseUntil: number
  done: boolean
}

export class MemoryAlertStore implements AlertStore {
  private readonly alerts = new Set<string>()
  private readonly rows: MemoryRow[] = []

  async claim(alert: BudgetAlert, urls: readonly string[], now: number): Promise<boolean> {
    if (this.alerts.has(alert.idempotencyKey)) return false
    this.alerts.add(alert.idempotencyKey)
    const body = JSON.stringify(alert)
    for (const url of urls) {
      const row = { id: this.rows.length + 1, url, key: alert.idempotencyKey, body, attempts: 0 }
      this.rows.push({ ...row, dueAt: now, leaseUntil: 0, done: false })
    }
    return true
  }

  async take(now: number, leaseMs: number, limit: number): Promise<OutboxRow[]> {
    const due = this.rows.filter((r) => !r.done && r.dueAt <= now && r.leaseUntil <= now).slice(0, limit)
    for (const row of due) row.leaseUntil = now + leaseMs
    return due.map(({ id, url, key, body, attempts }) => ({ id, url, key, body, attempts }))
  }

  async delivered(id: number): Promise<void> {
    this.rows[id - 1].done = true
  }

  async failed(id: number, dueAt: number | undefined): Promise<void> {
    const row = this.rows[id - 1]
    row.attempts += 1
    row.leaseUntil = 0
    if (dueAt === undefined) row.done = true
    else row.dueAt = dueAt
  }

  async nextDue(): Promise<number | undefined> {
    const due = this.rows.filter((r) => !r.done).map((r) => Math.max(r.dueAt, r.leaseUntil))
    return due.length > 0 ? Math.min(...due) : undefined
  }

  async close(): Promise<void> {}
}

/** The alert store beside the usage store at `location` (a SQLite path, `:memory:` or postgres://…). */
export async function openAlertStore(location: string, options: { schema?: string } = {}): Promise<AlertStore> {
  if (location === ":memory:") return new MemoryAlertStore()
  if (isPostgresLocation(location)) {
    const { PostgresAlertStore } = await import("./alert-store-postgres.js")
    return PostgresAlertStore.open(location, options.schema)
  }
  const { SqliteAlertStore } = await import("./alert-store-sqlite.js")
  return SqliteAlertStore.open(location)
}
