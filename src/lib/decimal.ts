/**
 * Numbers as Intl.NumberFormat("en-US") prints them with a fixed number of fraction digits (thousands
 * separated by commas, halves rounded away from zero, negative zero signed), without Intl: creating a
 * NumberFormat initialises ICU's number formatting, ~5 ms of a CLI start. Like ICU, it rounds the shortest
 * decimal that reads back as the number (String(n)), not the binary value: 1.005 with 2 digits is 1.01.
 */

let fallbacks: Map<number, Intl.NumberFormat> | undefined

/** What this module does not write itself (NaN, ±Infinity) goes to Intl. */
function intlFormat(value: number, digits: number): string {
  fallbacks ??= new Map()
  let fmt = fallbacks.get(digits)
  if (!fmt) {
    fmt = new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    fallbacks.set(digits, fmt)
  }
  return fmt.format(value)
}

/** The digits and decimal exponent of String(x) for a finite x >= 0: x = 0.digits × 10^point. */
function shortestDecimal(x: number): { digits: string; point: number } {
  const [mantissa, exponent = "0"] = String(x).split("e")
  const [whole, fraction = ""] = mantissa.split(".")
  const raw = whole + fraction
  const lead = raw.length - raw.replace(/^0+/, "").length
  const digits = raw.slice(lead).replace(/0+$/, "")
  return { digits, point: whole.length + Number(exponent) - lead }
}

/** Rounds x >= 0 (half away from zero) to `fractionDigits` digits: the integer and fraction parts as text. */
function roundedParts(x: number, fractionDigits: number): { integer: string; fraction: string } {
  const { digits, point } = shortestDecimal(x)
  const keep = point + fractionDigits
  let kept: string
  if (digits === "" || keep < 0) kept = ""
  else if (keep >= digits.length) kept = digits.padEnd(keep, "0")
  else {
    kept = digits.slice(0, keep)
    if (digits.charCodeAt(keep) >= 53 /* "5" */) kept = increment(kept)
  }
  const length = Math.max(point, 0) + fractionDigits
  // A carry out of the first digit (9.99 -> 10.0) makes `kept` one longer than its place needs.
  const padded = kept.padStart(length, "0")
  const integerLength = padded.length - fractionDigits
  return {
    integer: integerLength > 0 ? padded.slice(0, integerLength) : "0",
    fraction: padded.slice(integerLength),
  }
}

/** Adds one to a decimal digit string ("" + 1 is "1"). */
function increment(digits: string): string {
  let i = digits.length - 1
  while (i >= 0 && digits[i] === "9") i--
  if (i < 0) return `1${"0".repeat(digits.length)}`
  return digits.slice(0, i) + String(Number(digits[i]) + 1) + "0".repeat(digits.length - i - 1)
}

/** `value` with exactly `fractionDigits` fraction digits and en-US grouping: `-1,234.5678`. */
export function formatDecimal(value: number, fractionDigits: number): string {
  if (!Number.isFinite(value)) return intlFormat(value, fractionDigits)
  const negative = value < 0 || Object.is(value, -0)
  const { integer, fraction } = roundedParts(Math.abs(value), fractionDigits)
  const grouped = integer.replace(/\B(?=(\d{3})+$)/g, ",")
  return `${negative ? "-" : ""}${grouped}${fraction === "" ? "" : `.${fraction}`}`
}
