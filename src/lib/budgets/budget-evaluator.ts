/**
 * Evaluates budgets as records commit, never scanning records: each budget's spend in its period is read from
 * the store's rollups (`aggregate`) at start, when its period begins and every `refreshMs` (which also sees the
 * commits of other replicas on one PostgreSQL database); between reads, each commit's cost of the records it
 * stored is added to the budgets they match. A commit holding duplicates (its stored records are not known
 * one by one) makes the next read come at once instead. Records of an earlier period (a node that was
 * offline) count toward that period, read from the rollups, and may alert for it. A threshold reached is
 * claimed in the alert store only on a figure just read from the rollups, so an alert is never raised on an
 * estimate; the claim is idempotent by key, so replicas and restarts raise each crossing once.
 * Runs after the commit is acknowledged and never delays it: the per-commit work is a sum over the records;
 * reads and claims run later, one at a time.
 */
import type { BudgetConfig } from "../config.js"
import { toNanos } from "../money.js"
import type { ResetSchedules } from "../periods.js"
import type { StoredRecord } from "../record.js"
import type { InsertResult } from "../store/store.js"
import type { AlertStore } from "./alert-store.js"
import { budgetAlert, budgetState, eventOf, reachedThresholds } from "./budget-math.js"
import { budgetPeriod, type Period } from "./budget-period.js"
import type { BudgetAlert, BudgetEvent, BudgetState } from "./budget-types.js"
import { readSpend, type SpendReader } from "./read-budgets.js"

/** Every zone's midnight falls on a quarter hour of UTC: a commit's records are summed per quarter hour. */
const QUARTER_HOUR_MS = 15 * 60 * 1000

export interface BudgetEvaluatorOptions {
  store: SpendReader
  alerts: AlertStore
  tz: string
  schedules?: ResetSchedules
  /** Epoch ms now. */
  now: () => number
  /** The webhook URLs an event goes to (queued in the outbox with the claim). */
  urlsFor: (event: BudgetEvent) => string[]
  /** A crossing this process claimed (the SSE event, waking the outbox). */
  onAlert: (alert: BudgetAlert) => void
  log: (message: string, error?: unknown) => void
  /** Re-read every budget from the rollups this often (ms; 0: only at start and on demand). */
  refreshMs: number
}

interface Tracked {
  budget: BudgetConfig
  period: Period
  spentNanos: bigint
  /** Thresholds of this period known to be claimed (here or by another replica). */
  claimed: Set<number>
}

/** The commit's stored cost per dimensions and quarter hour. */
interface DeltaGroup {
  provider: string
  model: string
  node: string
  agent: string | undefined
  at: number
  nanos: number
}

function matches(budget: BudgetConfig, g: Omit<DeltaGroup, "at" | "nanos">): boolean {
  return (
    (budget.provider === undefined || budget.provider === g.provider) &&
    (budget.model === undefined || budget.model === g.model) &&
    (budget.node === undefined || budget.node === g.node) &&
    (budget.agent === undefined || budget.agent === g.agent)
  )
}

/** The stored cost of fully stored batches per dimensions and quarter hour; false when a batch held duplicates. */
export function commitDeltas(
  records: readonly (readonly StoredRecord[])[],
  results: readonly InsertResult[],
): { groups: DeltaGroup[]; exact: boolean } {
  const groups = new Map<string, DeltaGroup>()
  let exact = true
  records.forEach((batch, i) => {
    if (results[i].accepted === 0) return
    if (results[i].duplicates > 0) {
      exact = false
      return
    }
    for (const r of batch) {
      const at = r.timestamp.getTime()
      const quarter = at - (at % QUARTER_HOUR_MS)
      const key = `${r.provider}\0${r.model}\0${r.node}\0${r.agent ?? ""}\0${quarter}`
      const group = groups.get(key)
      const nanos = toNanos(r.estimatedCost)
      if (group) group.nanos += nanos
      else groups.set(key, { provider: r.provider, model: r.model, node: r.node, agent: r.agent, at: quarter, nanos })
    }
  })
  return { groups: [...groups.values()], exact }
}

export class BudgetEvaluator {
  private tracked = new Map<string, Tracked>()
  /** Budgets whose figure moved past an unclaimed threshold since the last read. */
  private readonly suspects = new Set<string>()
  /** Earlier (or later) periods that records of a commit fell in: budget name -> period starts. */
  private readonly otherPeriods = new Map<string, Map<number, Period>>()
  private readAll = false
  private queued = false
  private chain: Promise<void> = Promise.resolve()
  private readonly timer: NodeJS.Timeout | undefined
  private closed = false

  constructor(private readonly options: BudgetEvaluatorOptions) {
    if (options.refreshMs > 0) {
      this.timer = setInterval(() => this.refresh(), options.refreshMs)
      this.timer.unref()
    }
  }

  /** Replaces the budgets (a reload keeps the figures and claims of budgets whose definition is unchanged). */
  configure(budgets: readonly BudgetConfig[]): Promise<void> {
    const now = this.options.now()
    const next = new Map<string, Tracked>()
    for (const budget of budgets) {
      const before = this.tracked.get(budget.name)
      const same = before && JSON.stringify(before.budget) === JSON.stringify(budget)
      next.set(
        budget.name,
        same ? before : { budget, period: this.periodOf(budget, now), spentNanos: 0n, claimed: new Set() },
      )
    }
    this.tracked = next
    return this.refresh()
  }

  get size(): number {
    return this.tracked.size
  }

  /** Adds a commit's stored cost to the budgets it matches (synchronous and cheap: called after every commit). */
  onCommit(records: readonly (readonly StoredRecord[])[], results: readonly InsertResult[]): void {
    if (this.tracked.size === 0 || this.closed) return
    const { groups, exact } = commitDeltas(records, results)
    if (!exact) this.readAll = true
    for (const t of this.tracked.values()) {
      let added = 0n
      for (const g of groups) {
        if (!matches(t.budget, g)) continue
        if (g.at >= t.period.start && g.at < t.period.end) {
          added += BigInt(g.nanos)
          continue
        }
        const period = this.periodOf(t.budget, g.at)
        const periods = this.otherPeriods.get(t.budget.name) ?? new Map<number, Period>()
        this.otherPeriods.set(t.budget.name, periods.set(period.start, period))
      }
      if (added === 0n) continue
      t.spentNanos += added
      const share = Number(t.spentNanos) / 1e9 / t.budget.amount
      if (reachedThresholds(share, t.budget.warnAt).some((th) => !t.claimed.has(th))) this.suspects.add(t.budget.name)
    }
    if (this.readAll || this.suspects.size > 0 || this.otherPeriods.size > 0) this.schedule()
  }

  /** Reads every budget from the rollups and raises what they reached (queued after the work in hand). */
  refresh(): Promise<void> {
    this.readAll = true
    return this.schedule()
  }

  /** The budgets in their current periods, read from the rollups now. */
  async list(): Promise<BudgetState[]> {
    await this.refresh()
    const now = this.options.now()
    return [...this.tracked.values()].map((t) => budgetState(t.budget, t.period, t.spentNanos, now))
  }

  /** Waits for the work queued so far (tests, shutdown). */
  async settled(): Promise<void> {
    let chain: Promise<void>
    do {
      chain = this.chain
      await chain
    } while (chain !== this.chain || this.queued)
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.timer) clearInterval(this.timer)
    await this.settled()
  }

  private periodOf(budget: BudgetConfig, at: number): Period {
    return budgetPeriod(budget, at, { tz: this.options.tz, schedules: this.options.schedules })
  }

  private schedule(): Promise<void> {
    if (!this.queued) {
      this.queued = true
      this.chain = this.chain.then(() => this.drain())
    }
    return this.chain
  }

  private async drain(): Promise<void> {
    this.queued = false
    if (this.closed) return
    const now = this.options.now()
    const names = this.readAll ? [...this.tracked.keys()] : [...this.suspects]
    this.readAll = false
    this.suspects.clear()
    const others = [...this.otherPeriods].flatMap(([name, periods]) => [...periods.values()].map((p) => ({ name, p })))
    this.otherPeriods.clear()
    try {
      const current = names.flatMap((name) => {
        const t = this.tracked.get(name)
        if (!t) return []
        const period = this.periodOf(t.budget, now)
        if (period.start !== t.period.start) {
          t.period = period
          t.claimed = new Set()
        }
        return [{ t, period }]
      })
      const late = others.flatMap(({ name, p }) => {
        const t = this.tracked.get(name)
        return t && p.start !== t.period.start ? [{ t, period: p }] : []
      })
      const reads = [...current, ...late]
      if (reads.length === 0) return
      const spends = await readSpend(
        this.options.store,
        reads.map(({ t, period }) => ({ budget: t.budget, period })),
      )
      for (const [i, { t, period }] of reads.entries()) {
        const spent = spends[i]
        const isCurrent = period.start === t.period.start
        if (isCurrent) t.spentNanos = spent
        await this.claimReached(t, period, spent, isCurrent ? t.claimed : new Set(), now)
      }
    } catch (error) {
      this.options.log("budget evaluation failed (retried at the next read)", error)
      this.readAll = true
    }
  }

  private async claimReached(t: Tracked, period: Period, spentNanos: bigint, claimed: Set<number>, now: number) {
    const state = budgetState(t.budget, period, spentNanos, now)
    for (const threshold of reachedThresholds(state.share, t.budget.warnAt)) {
      if (claimed.has(threshold)) continue
      const alert = budgetAlert(state, threshold, period.start)
      // Due now in real time (the outbox's clock), whatever clock the periods follow.
      const mine = await this.options.alerts.claim(alert, this.options.urlsFor(eventOf(threshold)), Date.now())
      claimed.add(threshold)
      if (mine) this.options.onAlert(alert)
    }
  }
}
