/**
 * The fallback rule of queries from a node: ask the central service, else answer from local data. A query goes
 * to the service unless a delivery failed less than 5 s ago (the service is known to be down: answer locally
 * without waiting); an unreachable service, a 5xx, or a refused read token (logged as a warning, naming the
 * endpoint) is answered locally and marked `source: "local"`; any other error is the caller's. The
 * HttpIngestAdapter's queries and `createUsageClient`'s use this one rule.
 */
import { isUsageHubError } from "../errors.js"

export type QuerySource = "central" | "local"

export interface Sourced<T> {
  data: T
  source: QuerySource
}

/** Right after a failed delivery, this long, queries are answered locally without asking the service. */
export const RECENT_FAILURE_MS = 5000

/** Whether a central query failure should be answered from local data. */
export function shouldFallBack(error: unknown): boolean {
  if (!isUsageHubError(error)) return false
  if (["UNREACHABLE", "UPSTREAM_ERROR", "UNAUTHORIZED", "FORBIDDEN", "DELIVERY_INCOMPLETE"].includes(error.code))
    return true
  const status = (error.details as { status?: number } | undefined)?.status
  return typeof status === "number" && status >= 500
}

export interface FallbackContext {
  /** The service's URL (for the read-token warning). */
  endpoint: string
  warn(message: string): void
  /** When a delivery to the service last failed (epoch ms; 0 or undefined: not recently). */
  lastCentralFailure?: () => number | undefined
  now?: () => number
}

/** Answers `central()`, else `local()` by the rule above. */
export async function centralElseLocal<T>(
  context: FallbackContext,
  central: () => Promise<T>,
  local: () => Promise<T>,
): Promise<Sourced<T>> {
  const now = context.now ?? Date.now
  const failedAt = context.lastCentralFailure?.() ?? 0
  if (failedAt > 0 && now() - failedAt < RECENT_FAILURE_MS) return { data: await local(), source: "local" }
  try {
    return { data: await central(), source: "central" }
  } catch (error) {
    if (!shouldFallBack(error)) throw error
    if (isUsageHubError(error) && (error.code === "UNAUTHORIZED" || error.code === "FORBIDDEN")) {
      context.warn(
        `usage-hub: ${context.endpoint} refused the read token (${error.message}); answering from local data`,
      )
    }
    return { data: await local(), source: "local" }
  }
}
