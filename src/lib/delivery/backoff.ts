/**
 * Backoff of delivery retries: exponential with jitter, between half and all of `baseMs x 2^n`, capped at
 * `maxMs`. The random source and the clock are given (tests pass fixed ones), so a delay is a pure function of
 * the attempt number and the random draw. Used by the delivery loop (adapter, `usage push`, `migrate-file`).
 */

/** Epoch milliseconds now. */
export type Now = () => number
/** A number in [0, 1). */
export type Random = () => number

export interface BackoffOptions {
  /** First delay's ceiling (n = 0). */
  baseMs: number
  /** Cap of every delay. */
  maxMs: number
  random?: Random
  now?: Now
}

export class Backoff {
  readonly baseMs: number
  readonly maxMs: number
  private readonly random: Random
  readonly now: Now

  constructor(options: BackoffOptions) {
    this.baseMs = options.baseMs
    this.maxMs = options.maxMs
    this.random = options.random ?? Math.random
    this.now = options.now ?? Date.now
  }

  /** The delay before retry `n` (0 first): between half and all of min(maxMs, baseMs x 2^n). */
  delay(n: number): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(Math.max(0, n), 30))
    return ceiling / 2 + this.random() * (ceiling / 2)
  }

  /** When retry `n` is due (epoch ms). */
  due(n: number): number {
    return this.now() + this.delay(n)
  }
}
