/**
 * The delivery loop: sends batches of record lines to `POST /ingest/usage` and applies the policy of
 * decide.ts to each answer (acknowledge, set aside, split, retry with backoff, hold). One attempt cycle sends
 * a batch's parts with up to `retryAttempts` retries; `run(source)` takes batches from a source (the adapter's
 * spool) for as long as the loop is not stopped, pausing between failed cycles. What happens to records is
 * reported through hooks (acknowledged with the service's accepted/duplicate counts, dead letters, holds,
 * failures), so the HttpIngestAdapter, `usage push` and `migrate-file --endpoint` count and log the same way.
 * Timers, clock and random source come in through the Backoff and `timers` (tests). Plugin-safe.
 */
import type { IngestOutcome } from "../client/ingest-client.js"
import { type Timers, unrefTimers } from "../timers.js"
import type { Backoff } from "./backoff.js"
import { type Decision, decide, type HoldCause } from "./decide.js"

/** A record line and its index in the batch it came in (to report refusals by the caller's index). */
export interface Entry {
  line: string
  index: number
}

export interface Batch {
  /** Parts still to deliver (a 413 or a 400 without detail splits a part in halves). */
  parts: Entry[][]
}

export type AckDecision = Extract<Decision, { kind: "ack" }>
export type HoldDecision = Extract<Decision, { kind: "hold" }>
export type RetryDecision = Extract<Decision, { kind: "retry" }>

export interface DeadLetterEntry {
  entry: Entry
  reason: string
  status?: number
}

export interface DeliveryHooks {
  /** The service settled a part: its report (accepted, duplicates; its rejected entries go to `deadLetter`). */
  acknowledged?(part: Entry[], decision: AckDecision): void
  /** Records refused for good (why: "refused by the service", "too large"). Awaited before going on. */
  deadLetter(entries: DeadLetterEntry[], why: string): Promise<void>
  /** A part settled (acknowledged or set aside); `heldBefore` says which hold this ends, if any. */
  settled?(heldBefore: HoldCause | undefined): void
  /** An attempt failed and will be retried (after `decision.ms`, or in the next cycle). */
  retrying?(decision: RetryDecision): void
  /** An attempt was refused in a way no retry fixes soon: delivery is held. */
  held?(decision: HoldDecision): void
}

export type CycleResult =
  | { done: true }
  /** Stopped, or the cycle's retries are used up (`decision`: the last failure), or the next try is far off. */
  | { done: false; held?: undefined; decision?: RetryDecision }
  | { done: false; held: HoldDecision }

export interface BatchSource<B extends Batch> {
  /** How long until a batch should be taken: 0 now, Infinity when there is nothing to send. */
  dueIn(): number
  /** The next batch (undefined: nothing after all). */
  take(): Promise<B | undefined>
  /** Every part of `batch` is settled (acknowledged or set aside). */
  done(batch: B): Promise<void>
  /** An error of the source or the hooks (disk trouble): the batch is kept and tried again later. */
  failed(error: Error): void
}

export interface DeliveryLoopOptions {
  /** One attempt: sends the lines and classifies the answer (ingest-client's postIngest). Never throws. */
  send(lines: string[]): Promise<IngestOutcome>
  backoff: Backoff
  /** Retries within one attempt cycle. */
  retryAttempts: number
  hooks: DeliveryHooks
  /** Someone waits for delivery (a flush): no pause between cycles, and long waits are waited out. */
  urgent?: () => boolean
  /** Timers of the loop's sleeps (default: unref'd global timers). */
  timers?: Timers
}

export class DeliveryLoop<B extends Batch = Batch> {
  /** No attempt before this instant (epoch ms; backoff, Retry-After, a hold). */
  notBefore = 0
  /** Attempts held so far (a flush ends when one happens while it waits). */
  heldAttempts = 0
  /** The batch being delivered. */
  current?: B
  private stopping = false
  /** Why delivery is held, while it is. */
  private holdCause?: HoldCause
  /** Consecutive held attempts: the next one waits backoff(holds) (growing, capped). */
  private holds = 0
  private failedCycles = 0
  private wakeUp?: (force: boolean) => void
  private readonly timers: Timers

  constructor(private readonly options: DeliveryLoopOptions) {
    this.timers = options.timers ?? unrefTimers
  }

  /** Delivery is held (a refused token, a client error no retry fixes, a request that cannot be built). */
  get held(): HoldCause | undefined {
    return this.holdCause
  }

  private now(): number {
    return this.options.backoff.now()
  }

  private urgent(): boolean {
    return this.options.urgent?.() ?? false
  }

  /** Ends a sleep: `force` any sleep (flush, close), otherwise only an idle one (new records). */
  wake(force: boolean): void {
    this.wakeUp?.(force)
  }

  /** Stops the loop after the attempt in flight (call `wake(true)` too, or it ends at its next wake). */
  stop(): void {
    this.stopping = true
    this.wake(true)
  }

  /**
   * Sleeps up to `ms` (Infinity: until woken). New records end an `idle` sleep; flush and close end any sleep
   * (`wake(true)`); backoff pauses are not cut short by new records.
   */
  sleep(ms: number, idle = false): Promise<void> {
    return new Promise((resolve) => {
      let timer: unknown
      const done = () => {
        if (timer !== undefined) this.timers.clearTimeout(timer)
        this.wakeUp = undefined
        resolve()
      }
      this.wakeUp = (force) => {
        if (force || idle) done()
      }
      if (Number.isFinite(ms)) timer = this.timers.setTimeout(done, Math.max(0, ms))
    })
  }

  /** Takes batches from `source` and delivers them until stopped. */
  async run(source: BatchSource<B>): Promise<void> {
    const { backoff, retryAttempts } = this.options
    while (!this.stopping) {
      try {
        if (!this.current) {
          const due = source.dueIn()
          if (due > 0) {
            await this.sleep(due, true)
            continue
          }
          this.current = await source.take()
          if (!this.current) continue
        }
        const result = await this.cycle(this.current)
        if (result.done) {
          await source.done(this.current)
          this.current = undefined
          this.failedCycles = 0
          continue
        }
        if (this.stopping) break
        this.failedCycles += 1
        const pause = this.urgent() ? 0 : backoff.delay(this.failedCycles + retryAttempts)
        await this.sleep(Math.max(pause, this.notBefore - this.now()))
      } catch (error) {
        // Disk trouble (dead-letter or ack write): keep the batch, try again later.
        source.failed(error as Error)
        await this.sleep(backoff.delay(++this.failedCycles))
      }
    }
  }

  /**
   * One attempt cycle for a batch: up to 1 + retryAttempts tries with backoff. Resolves done once every part is
   * acknowledged or set aside; otherwise the batch is to be tried again later (held, retries used up, a wait
   * longer than the backoff's cap with nobody waiting, or stopped).
   */
  async cycle(batch: Batch): Promise<CycleResult> {
    const { backoff, hooks, retryAttempts } = this.options
    let retries = 0
    while (batch.parts.length > 0) {
      if (this.stopping) return { done: false }
      const wait = this.notBefore - this.now()
      if (wait > 0) {
        if (!this.urgent() && wait > backoff.maxMs) return { done: false }
        await this.sleep(wait)
        if (this.stopping) return { done: false }
        if (this.notBefore > this.now()) continue
      }
      const part = batch.parts[0]
      const outcome = await this.options.send(part.map((e) => e.line))
      if (this.stopping && outcome.kind === "retry") return { done: false }
      const decision = decide(outcome, { size: part.length, retries, backoff: (n) => backoff.delay(n) })
      switch (decision.kind) {
        case "ack":
          await hooks.deadLetter(
            decision.deadLetters.map((d) => ({ entry: part[d.index], reason: d.reason, status: d.status })),
            "refused by the service",
          )
          batch.parts.shift()
          hooks.acknowledged?.(part, decision)
          this.settle()
          break
        case "split":
          batch.parts.shift()
          batch.parts.unshift(part.slice(0, decision.at), part.slice(decision.at))
          this.settle()
          break
        case "deadLetter":
          // Set aside before the part leaves the batch: a failed write keeps it to be sent again.
          await hooks.deadLetter(
            decision.entries.map((d) => ({ entry: part[d.index], reason: d.reason, status: d.status })),
            decision.why,
          )
          batch.parts.shift()
          if (decision.resend.length > 0) batch.parts.unshift(decision.resend.map((i) => part[i]))
          this.settle()
          break
        case "hold":
          // No retry fixes this soon (a token, a URL): wait, growing, and let waiting flushes end now.
          this.holdCause = decision.cause
          this.holds += 1
          this.heldAttempts += 1
          this.notBefore = Math.max(this.notBefore, this.now() + backoff.delay(this.holds - 1))
          hooks.held?.(decision)
          return { done: false, held: decision }
        case "retry":
          // Wait (backoff with jitter, at least Retry-After), up to retryAttempts times in this cycle.
          retries += 1
          this.notBefore = Math.max(this.notBefore, this.now() + decision.ms)
          hooks.retrying?.(decision)
          if (retries > retryAttempts) return { done: false, decision }
      }
    }
    return { done: true }
  }

  /** A part settled: a hold (if any) is over. */
  private settle(): void {
    const before = this.holdCause
    this.holdCause = undefined
    this.holds = 0
    this.options.hooks.settled?.(before)
  }
}
