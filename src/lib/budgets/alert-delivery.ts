/**
 * Sends queued alerts to their webhooks from the durable outbox (alert-store.ts): a POST of the alert's JSON
 * body with `Idempotency-Key` and `X-Usage-Signature: sha256=<hex HMAC-SHA256 of the raw body with the
 * webhook's secret>`, a short timeout, and on failure a retry with backoff (delivery/backoff.ts). Rows are
 * leased while sent, so a replica never sends a row another one holds; a receiver that is down gets its
 * alerts once it is back. Never in the path of ingestion: it runs on its own timer.
 */
import { createHmac } from "node:crypto"
import type { WebhookConfig } from "../config.js"
import { Backoff } from "../delivery/backoff.js"
import type { AlertStore, OutboxRow } from "./alert-store.js"

export interface AlertDeliveryOptions {
  alerts: AlertStore
  /** The webhooks configured now (a reload changes them; a row whose URL is gone is dropped). */
  webhooks: () => readonly WebhookConfig[]
  log: (message: string, error?: unknown) => void
  /** Retry delays (default 1 s doubling to 30 s: ALERT_RETRY). */
  backoff?: { baseMs: number; maxMs: number }
  /** Per request (default 5 s). */
  timeoutMs?: number
  /** How often the outbox is looked at besides when an alert is claimed (default 1 s). */
  pollMs?: number
  /** A receiver answering 4xx (not 408/429) this many times is given up on for that alert (default 10). */
  maxRefusals?: number
  now?: () => number
  fetch?: typeof fetch
}

/** `sha256=<hex>`: the HMAC-SHA256 of the raw body with the secret. */
export function signature(body: string, secret: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`
}

const BATCH = 20

/**
 * Retry delays of an alert: 1 s doubling, capped at 30 s (each delay a random point in the upper half). The cap
 * is what a receiver back from an outage waits at most for its alerts (plus the 1-s poll): half a minute, not
 * the 5 minutes of a bulk sender's backoff. Alerts are few (one per budget, period and threshold), so even a
 * hundred waiting for a dead receiver cost a few refused connections a second.
 */
export const ALERT_RETRY = { baseMs: 1000, maxMs: 30_000 } as const

export class AlertDelivery {
  private readonly backoff: Backoff
  private readonly timer: NodeJS.Timeout
  private running: Promise<void> | undefined
  private again = false
  private closed = false

  constructor(private readonly options: AlertDeliveryOptions) {
    const { baseMs, maxMs } = options.backoff ?? ALERT_RETRY
    this.backoff = new Backoff({ baseMs, maxMs, now: options.now })
    this.timer = setInterval(() => this.wake(), options.pollMs ?? 1000)
    this.timer.unref()
  }

  /** Looks at the outbox now (an alert was just claimed). */
  wake(): void {
    if (this.closed) return
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.run().finally(() => {
      this.running = undefined
      if (this.again) {
        this.again = false
        this.wake()
      }
    })
  }

  /** Waits for the round in hand (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running) await this.running
  }

  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.timer)
    await this.settled()
  }

  private async run(): Promise<void> {
    // Without a webhook there is nothing to send (rows queued for webhooks since removed wait for none).
    if (this.options.webhooks().length === 0) return
    const now = this.options.now ?? Date.now
    const timeoutMs = this.options.timeoutMs ?? 5000
    try {
      for (;;) {
        const rows = await this.options.alerts.take(now(), timeoutMs * 4 + 1000, BATCH)
        await Promise.all(rows.map((row) => this.send(row, timeoutMs)))
        if (rows.length < BATCH || this.closed) return
      }
    } catch (error) {
      this.options.log("budget alert outbox failed (retried shortly)", error)
    }
  }

  private async send(row: OutboxRow, timeoutMs: number): Promise<void> {
    const { alerts, log } = this.options
    const now = this.options.now ?? Date.now
    const webhook = this.options.webhooks().find((w) => w.url === row.url)
    if (!webhook) {
      await alerts.failed(row.id, undefined, "webhook no longer configured")
      return
    }
    let problem: string
    let retry = true
    try {
      const response = await (this.options.fetch ?? fetch)(row.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "idempotency-key": row.key,
          "x-usage-signature": signature(row.body, webhook.secret),
          "user-agent": "usage-hub",
        },
        body: row.body,
        signal: AbortSignal.timeout(timeoutMs),
      })
      await response.arrayBuffer().catch(() => undefined)
      if (response.ok) {
        await alerts.delivered(row.id, now())
        return
      }
      problem = `HTTP ${response.status}`
      const s = response.status
      retry = s >= 500 || s === 408 || s === 429 || row.attempts + 1 < (this.options.maxRefusals ?? 10)
    } catch (error) {
      problem = (error as Error).name === "TimeoutError" ? `no answer within ${timeoutMs} ms` : String(error)
    }
    const dueAt = retry ? this.backoff.due(row.attempts) : undefined
    log(
      `budget alert ${row.key} to ${row.url}: ${problem}; ${retry ? `retry ${row.attempts + 1} at ${new Date(dueAt!).toISOString()}` : "given up"}`,
    )
    await alerts.failed(row.id, dueAt, problem)
  }
}
