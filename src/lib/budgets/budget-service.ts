/**
 * The budgets of a running service: the evaluator fed by the group committer, the alert store, the webhook
 * outbox sender, and the SSE `budget` event of each alert this process claimed. `configure()` swaps the
 * budgets and webhooks in place (a config reload).
 */
import type { ServiceConfig, WebhookConfig } from "../config.js"
import type { ResetSchedules } from "../periods.js"
import type { StoredRecord } from "../record.js"
import type { InsertResult, UsageStore } from "../store/store.js"
import { AlertDelivery, type AlertDeliveryOptions } from "./alert-delivery.js"
import { type AlertStore, MemoryAlertStore } from "./alert-store.js"
import { BudgetEvaluator } from "./budget-evaluator.js"
import type { BudgetAlert, BudgetState } from "./budget-types.js"

/** Tuning of the evaluation and the outbox (tests shorten them). */
export interface BudgetTuning {
  /** Re-read every budget from the rollups this often (default 1.5 s on PostgreSQL, 5 s otherwise). */
  refreshMs?: number
  delivery?: Pick<AlertDeliveryOptions, "backoff" | "timeoutMs" | "pollMs" | "maxRefusals">
}

export interface BudgetServiceOptions extends BudgetTuning {
  store: UsageStore
  /** Where alerts are claimed (default: in memory). Closed with the service when `ownsAlerts`. */
  alerts?: AlertStore
  ownsAlerts?: boolean
  config?: ServiceConfig
  tz: string
  schedules?: ResetSchedules
  now?: () => number
  /** Each alert this process claimed (the SSE `budget` event). */
  onAlert?: (alert: BudgetAlert) => void
  log: (message: string, error?: unknown) => void
}

export class BudgetService {
  private webhooks: readonly WebhookConfig[] = []
  private readonly alerts: AlertStore
  private readonly evaluator: BudgetEvaluator
  private readonly delivery: AlertDelivery

  constructor(private readonly options: BudgetServiceOptions) {
    this.alerts = options.alerts ?? new MemoryAlertStore()
    const now = options.now ?? Date.now
    this.delivery = new AlertDelivery({
      alerts: this.alerts,
      webhooks: () => this.webhooks,
      log: options.log,
      ...options.delivery,
    })
    this.evaluator = new BudgetEvaluator({
      store: options.store,
      alerts: this.alerts,
      tz: options.tz,
      schedules: options.schedules,
      now,
      urlsFor: (event) => this.webhooks.filter((w) => w.events.includes(event)).map((w) => w.url),
      onAlert: (alert) => {
        options.onAlert?.(alert)
        this.delivery.wake()
      },
      log: options.log,
      refreshMs: options.refreshMs ?? (options.store.kind === "postgres" ? 1500 : 5000),
    })
  }

  /** Applies a (re)loaded `service` config: budgets and webhooks. */
  configure(config: ServiceConfig): Promise<void> {
    this.webhooks = config.alerts.webhooks
    return this.evaluator.configure(config.budgets)
  }

  /** After each commit (cheap; the reads and claims it may need run later). */
  onCommit(records: readonly (readonly StoredRecord[])[], results: readonly InsertResult[]): void {
    this.evaluator.onCommit(records, results)
  }

  list(): Promise<BudgetState[]> {
    return this.evaluator.list()
  }

  /** Evaluation and deliveries in hand are done (tests). */
  async settled(): Promise<void> {
    await this.evaluator.settled()
    await this.delivery.settled()
  }

  async close(): Promise<void> {
    await this.evaluator.close()
    await this.delivery.close()
    if (this.options.ownsAlerts) await this.alerts.close()
  }
}
