/**
 * Money without drift: costs are summed as integer nano-dollars (1e-9 USD), never as floats accumulated row
 * by row, so a total over n records equals the exact sum of their costs to within max(1e-6, n x 1e-9) USD.
 *
 * One record costs at most 1e9 USD (1e18 nanos: fits a 64-bit integer, and a double exactly enough). Sums can
 * exceed both, so they are kept exact in two ways: stores split a sum into whole dollars and a nano-dollar
 * remainder (two integer columns, `cost_usd` and `cost_nanos`, see src/lib/store/rollup.ts), and the query
 * layer adds them as `bigint` nano-dollars. A total becomes a double once, at the end (`fromNanos`: the
 * nearest double of the exact sum), so totals stay exact up to far beyond 1e12 USD and never overflow.
 */

export const NANOS_PER_USD = 1_000_000_000
const NANOS_PER_USD_BIG = 1_000_000_000n

export function toNanos(usd: number): number {
  return Math.round(usd * NANOS_PER_USD)
}

/** The nearest double in USD of an amount of nano-dollars (exact decimal conversion for a bigint). */
export function fromNanos(nanos: number | bigint): number {
  if (typeof nanos === "number") return nanos / NANOS_PER_USD
  const negative = nanos < 0n
  const abs = negative ? -nanos : nanos
  const usd = abs / NANOS_PER_USD_BIG
  const rest = abs % NANOS_PER_USD_BIG
  // Parsing the decimal string rounds once, to the nearest double.
  const value = usd === 0n ? Number(rest) / NANOS_PER_USD : Number(`${usd}.${rest.toString().padStart(9, "0")}`)
  return negative ? -value : value
}

/**
 * An integer amount of nano-dollars (up to 1e18 and beyond, as a double that holds an integer) split into whole
 * dollars and a remainder in [0, 1e9): `nanos = usd * 1e9 + rem` exactly (floored: -1 nano is -1 USD + 999999999).
 */
export function splitNanos(nanos: number): { usd: number; rem: number } {
  if (Number.isSafeInteger(nanos)) {
    const usd = Math.floor(nanos / NANOS_PER_USD)
    return { usd, rem: nanos - usd * NANOS_PER_USD }
  }
  const big = BigInt(nanos)
  let usd = big / NANOS_PER_USD_BIG
  let rem = big % NANOS_PER_USD_BIG
  if (rem < 0n) {
    rem += NANOS_PER_USD_BIG
    usd -= 1n
  }
  return { usd: Number(usd), rem: Number(rem) }
}

/** Whole dollars and nano-dollars (numbers or the strings a driver gives for wide sums) as exact nano-dollars. */
export function joinNanos(usd: number | string | bigint, nanos: number | string | bigint): bigint {
  return BigInt(usd) * NANOS_PER_USD_BIG + BigInt(nanos)
}

/** Exact sum of many USD amounts (each rounded to the nano-dollar). */
export function sumUsd(amounts: Iterable<number>): number {
  let nanos = 0n
  for (const amount of amounts) nanos += BigInt(toNanos(amount))
  return fromNanos(nanos)
}

/** Share of `part` in `total` (nano-dollars), in percent: 0 when the total is 0. */
export function sharePercent(part: bigint, total: bigint): number {
  if (total <= 0n) return 0
  const max = BigInt(Number.MAX_SAFE_INTEGER)
  if (part <= max && total <= max) return (Number(part) / Number(total)) * 100
  // Past 2^53 nanos (9 million USD): scale before dividing, keeping 1e-9 % of precision.
  return Number((part * 100_000_000_000n) / total) / 1_000_000_000
}
