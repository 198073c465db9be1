/**
 * Group commit: concurrent ingest requests share one store transaction (`insertBatches`). While one commit
 * runs, the batches that arrive queue up and go together in the next; each caller's promise settles only
 * after the commit that holds its batch, with that batch's own result. If a shared commit fails, each batch
 * of it is retried alone so one bad batch cannot fail the others.
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
}

export interface GroupCommitOptions {
  /** Most records one commit takes (further batches wait for the next commit). Default 200,000. */
  maxRecords?: number
  /** Called after every successful commit. */
  onCommit?: (event: CommitEvent) => void
}

export class GroupCommitter {
  private queue: Pending[] = []
  private running: Promise<void> | undefined
  private readonly maxRecords: number

  constructor(
    private readonly store: Pick<UsageStore, "insertBatches">,
    private readonly options: GroupCommitOptions = {},
  ) {
    this.maxRecords = options.maxRecords ?? 200_000
  }

  /** Stores one batch; resolves after the commit that holds it. */
  submit(batch: readonly StoredRecord[]): Promise<InsertResult> {
    return new Promise<InsertResult>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject })
      this.running ??= this.drain()
    })
  }

  /** Resolves once everything submitted so far is committed (or failed). */
  async idle(): Promise<void> {
    while (this.running) await this.running
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

  private async drain(): Promise<void> {
    // Let requests that arrive in the same turn of the event loop join the first commit.
    await new Promise<void>((resolve) => setImmediate(resolve))
    try {
      while (this.queue.length > 0) await this.commit(this.takeGroup())
    } finally {
      this.running = undefined
    }
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
    const event = { batches: group.length, accepted: 0, duplicates: 0 }
    for (const r of results) {
      event.accepted += r.accepted
      event.duplicates += r.duplicates
    }
    try {
      this.options.onCommit?.(event)
    } catch {
      // A listener's failure must not affect the commit's callers.
    }
  }
}
