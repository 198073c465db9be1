/**
 * The injectable clock. Everything that depends on "now" (billing periods, pruning, trends) takes a Clock;
 * the default reads `USAGE_NOW` (an ISO instant) when set, so tests and demos can pin time.
 */

export type Clock = () => Date

export function parseUsageNow(value: string | undefined): Date | undefined {
  if (!value) return undefined
  const date = new Date(value)
  if (Number.isNaN(date.getTime())) throw new Error(`USAGE_NOW is not an ISO date or instant: ${JSON.stringify(value)}`)
  return date
}

export const systemClock: Clock = () => parseUsageNow(globalThis.process?.env?.USAGE_NOW) ?? new Date()

export function fixedClock(at: Date | string | number): Clock {
  const ms = new Date(at).getTime()
  return () => new Date(ms)
}
