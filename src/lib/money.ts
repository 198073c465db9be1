/**
 * Money without drift: costs are summed as integer nano-dollars (1e-9 USD), never as floats accumulated row
 * by row, so a total over n records equals the exact sum of their costs to within max(1e-6, n x 1e-9) USD.
 */

export const NANOS_PER_USD = 1_000_000_000

export function toNanos(usd: number): number {
  return Math.round(usd * NANOS_PER_USD)
}

export function fromNanos(nanos: number | bigint): number {
  return Number(nanos) / NANOS_PER_USD
}

/** Exact sum of many USD amounts (each rounded to the nano-dollar). */
export function sumUsd(amounts: Iterable<number>): number {
  let nanos = 0
  for (const amount of amounts) nanos += toNanos(amount)
  return fromNanos(nanos)
}
