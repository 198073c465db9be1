/**
 * Driver errors as UsageHubError("STORE_ERROR"), or "STORE_UNAVAILABLE" (503) for a full disk or a read-only
 * database: one clear line naming the store and what failed, the driver's error kept as the cause. Credentials
 * never appear: PostgreSQL URLs are shown without password.
 */
import { UsageHubError } from "../errors.js"

/** The driver's message with its code when it has one (`SQLITE_NOTADB: file is not a database`). */
export function driverMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = (error as { code?: unknown }).code
  const message = error.message || (error as AggregateError).errors?.map((e: Error) => e.message).join("; ") || ""
  return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message
}

/** Driver codes of a store that cannot write for now (SQLite, the file system, PostgreSQL SQLSTATE) and why. */
const CANNOT_WRITE: Array<[RegExp, string]> = [
  [/^(SQLITE_FULL|ENOSPC|EDQUOT|53100)$/, "disk full"],
  [/^(SQLITE_READONLY(_\w+)?|EROFS|25006)$/, "the database is read-only"],
]

/**
 * The driver's failure as a UsageHubError: STORE_UNAVAILABLE (503, `details.reason`) when the store cannot
 * write for now (a full disk, a read-only database: a retry later succeeds, nothing is lost), else STORE_ERROR.
 */
export function storeError(message: string, cause: unknown): UsageHubError {
  if (cause instanceof UsageHubError) return cause
  const code = (cause as { code?: unknown } | undefined)?.code
  const reason = typeof code === "string" ? CANNOT_WRITE.find(([pattern]) => pattern.test(code))?.[1] : undefined
  const text = `${message}: ${driverMessage(cause)}`
  if (reason) return new UsageHubError("STORE_UNAVAILABLE", text, { cause, details: { reason } })
  return new UsageHubError("STORE_ERROR", text, { cause })
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
