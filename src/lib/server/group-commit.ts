/**
 * Group commit: concurrent ingest requests share one store transaction (`insertBatches`). While one commit
 * runs, the batches that arrive queue up and go together in the next; each caller's promise settles only
 * after the commit that holds its batch, with that batch's own result. If a shared commit fails, each batch
 * of it is retried alone so one bad batch cannot fail the others. `concurrency` > 1 lets that many groups
 * commit at once (for a store whose commits wait on the network and that takes its locks in key order:
 * PostgreSQL); a new group starts as soon as batches are waiting and fewer commits than that run. Each commit
 * event says which providers, nodes and time span the commit touched, so listeners (the SSE hub) can skip
 * what it cannot have changed.
 */

import type { StoredRecord } from "../record.js"
import type { InsertResult, UsageStore } from "../store/store.js"

interface Pending {
  batch: readonly StoredRecord[]
  resolve: (result: InsertResult) => void
  reject: (error: unknown) => void
}

export interface CommitEvent {
  batches: number
  accepted: number
  duplicates: number
  /** What the commit touched (every record of it, duplicates included): which queries it may have changed. */
  touched: CommitTouched
  /** The committed batches and each one's result (references, no copy): a batch without duplicates was stored whole. */
  records: readonly (readonly StoredRecord[])[]
  results: readonly InsertResult[]
}

/** The providers, nodes and time span of a commit's records. */
export interface CommitTouched {
  providers: ReadonlySet<string>
  nodes: ReadonlySet<string>
  /** Oldest and newest record instant, epoch ms (from > to when the commit held no record). */
  from: number
  to: number
}

/** The providers, nodes and time span of some batches. */
export function touchedBy(batches: readonly (readonly StoredRecord[])[]): CommitTouched {
  const providers = new Set<string>()
  const nodes = new Set<string>()
  let from = Number.POSITIVE_INFINITY
  let to = Number.NEGATIVE_INFINITY
  for (const batch of batches) {
    for (const record of batch) {
      providers.add(record.provider)
      nodes.add(record.node)
      const t = record.timestamp.getTime()
      if (t < from) from = t
      if (t > to) to = t
    }
  }
  return { providers, nodes, from, to }
}

const EMPTY_TOUCHED: CommitTouched = {
  providers: new Set(),
  nodes: new Set(),
  from: Number.POSITIVE_INFINITY,
  to: Number.NEGATIVE_INFINITY,
}

export interface GroupCommitOptions {
  /** Most records one commit takes (further batches wait for the next commit). Default 200,000. */
  maxRecords?: number
  /** Groups committed at once (default 1: one commit at a time). */
  concurrency?: number
  /** Called after every successful commit (with what it touched when it accepted any record). */
  onCommit?: (event: CommitEvent) => void
}

export class GroupCommitter {
  private queue: Pending[] = []
  /** Commit lanes running (each commits groups until the queue is empty). */
  private active = 0
  /** A start of lanes is scheduled for the next turn of the event loop. */
  private scheduled = false
  private idleWaiters: Array<() => void> = []
  private readonly maxRecords: number
  private readonly concurrency: number

  constructor(
    private readonly store: Pick<UsageStore, "insertBatches">,
    private readonly options: GroupCommitOptions = {},
  ) {
    this.maxRecords = options.maxRecords ?? 200_000
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1))
  }

  /** Stores one batch; resolves after the commit that holds it. */
  submit(batch: readonly StoredRecord[]): Promise<InsertResult> {
    return new Promise<InsertResult>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject })
      this.schedule()
    })
  }

  /** Batches submitted and not yet taken by a commit. */
  get waiting(): number {
    return this.queue.length
  }

  /** Resolves once everything submitted so far is committed (or failed). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve()
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve))
  }

  private isIdle(): boolean {
    return this.active === 0 && !this.scheduled && this.queue.length === 0
  }

  private schedule(): void {
    if (this.scheduled || this.active >= this.concurrency) return
    this.scheduled = true
    // Let requests that arrive in the same turn of the event loop join the group.
    setImmediate(() => {
      this.scheduled = false
      while (this.active < this.concurrency && this.queue.length > 0) void this.lane()
      this.settleIdle()
    })
  }

  private async lane(): Promise<void> {
    this.active += 1
    try {
      while (this.queue.length > 0) await this.commit(this.takeGroup())
    } finally {
      this.active -= 1
      this.settleIdle()
    }
  }

  private settleIdle(): void {
    if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve()
  }

  private takeGroup(): Pending[] {
    let records = 0
    let n = 0
    while (n < this.queue.length && (n === 0 || records + this.queue[n].batch.length <= this.maxRecords)) {
      records += this.queue[n].batch.length
      n += 1
    }
    return this.queue.splice(0, n)
  }

  private async commit(group: Pending[]): Promise<void> {
    let results: InsertResult[]
    try {
      results = await this.store.insertBatches(group.map((p) => p.batch))
    } catch (error) {
      if (group.length === 1) {
        group[0].reject(error)
        return
      }
      for (const pending of group) await this.commit([pending])
      return
    }
    group.forEach((pending, i) => {
      pending.resolve(results[i])
    })
    const onCommit = this.options.onCommit
    if (!onCommit) return
    const records = group.map((p) => p.batch)
    const event: CommitEvent = {
      batches: group.length,
      accepted: 0,
      duplicates: 0,
      touched: EMPTY_TOUCHED,
      records,
      results,
    }
    for (const r of results) {
      event.accepted += r.accepted
      event.duplicates += r.duplicates
    }
    // A commit of duplicates only changed nothing: no need to look at its records.
    if (event.accepted > 0) event.touched = touchedBy(records)
    try {
      onCommit(event)
    } catch {
      // A listener's failure must not affect the commit's callers.
    }
  }
}
