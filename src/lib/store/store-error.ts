/**
 * Driver errors as UsageHubError("STORE_ERROR"): one clear line naming the store and what failed, the
 * driver's error kept as the cause. Credentials never appear: PostgreSQL URLs are shown without password.
 */
import { UsageHubError } from "../errors.js"

/** The driver's message with its code when it has one (`SQLITE_NOTADB: file is not a database`). */
export function driverMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: unknown }).code
  const message = error.message || (error as AggregateError).errors?.map((e: Error) => e.message).join("; ") || ""
  return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message
}

export function storeError(message: string, cause: unknown): UsageHubError {
  if (cause instanceof UsageHubError) return cause
  return new UsageHubError("STORE_ERROR", `${message}: ${driverMessage(cause)}`, { cause })
}

/** A postgres:// URL without its password, for messages. */
export function redactUrl(location: string): string {
  try {
    const url = new URL(location)
    if (url.password) url.password = "***"
    return url.toString()
  } catch {
    return location.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@")
  }
}
