/**
 * Summary statistics of repeated measurements (bench only): median and spread, and the ratio of two medians.
 */

/** Sorted copy of finite numbers. */
function sorted(values) {
  return values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b)
}

/** The q-quantile (0..1) of sorted values, linear interpolation. */
export function quantile(sortedValues, q) {
  if (sortedValues.length === 0) return Number.NaN
  const pos = (sortedValues.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sortedValues[lo] + (sortedValues[hi] - sortedValues[lo]) * (pos - lo)
}

/** { n, median, min, max, p25, p75, p90, p99 } of the samples. */
export function summarize(samples) {
  const s = sorted(samples)
  return {
    n: s.length,
    median: quantile(s, 0.5),
    min: s[0] ?? Number.NaN,
    max: s[s.length - 1] ?? Number.NaN,
    p25: quantile(s, 0.25),
    p75: quantile(s, 0.75),
    p90: quantile(s, 0.9),
    p99: quantile(s, 0.99),
  }
}

/** Medians of per-pair ratios are steadier than the ratio of medians when runs are interleaved. */
export function pairedRatios(a, b) {
  const n = Math.min(a.length, b.length)
  const out = []
  for (let i = 0; i < n; i++) out.push(a[i] / b[i])
  return out
}

/** Formats a number with 3 significant digits and a unit. */
export function fmt(value, unit = "") {
  if (!Number.isFinite(value)) return "n/a"
  const abs = Math.abs(value)
  let text
  if (abs >= 1e6) text = `${(value / 1e6).toFixed(abs >= 1e7 ? 1 : 2)}M`
  else if (abs >= 1e4) text = `${(value / 1e3).toFixed(abs >= 1e5 ? 0 : 1)}k`
  else if (abs >= 100) text = value.toFixed(0)
  else if (abs >= 10) text = value.toFixed(1)
  else if (abs >= 1) text = value.toFixed(2)
  else text = value.toPrecision(2)
  return unit ? `${text} ${unit}` : text
}

/** "median [min–max]" of a summary. */
export function fmtSpread(summary, unit = "") {
  if (!summary || summary.n === 0) return "n/a"
  if (summary.n === 1) return fmt(summary.median, unit)
  return `${fmt(summary.median, unit)} [${fmt(summary.min)}–${fmt(summary.max)}]`
}
