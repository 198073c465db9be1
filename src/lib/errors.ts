/**
 * Typed errors of usage-hub. Every failure the service or the CLI reports carries one of these codes;
 * the table below maps each code, once, to its HTTP status and to the CLI's exit code
 * (2 = bad usage, 1 = failure), the way fastify keeps its errors in one table.
 */

export const ERROR_TABLE = {
  BAD_USAGE: { status: 400, exit: 2 },
  INVALID_CONFIG: { status: 500, exit: 2 },
  INVALID_QUERY: { status: 400, exit: 2 },
  INVALID_RECORD: { status: 400, exit: 1 },
  UNPARSEABLE_BODY: { status: 400, exit: 1 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, exit: 1 },
  PAYLOAD_TOO_LARGE: { status: 413, exit: 1 },
  UNAUTHORIZED: { status: 401, exit: 1 },
  FORBIDDEN: { status: 403, exit: 1 },
  NOT_FOUND: { status: 404, exit: 1 },
  REQUEST_TIMEOUT: { status: 408, exit: 1 },
  TOO_MANY_STREAMS: { status: 429, exit: 1 },
  NOT_LEGACY_FILE: { status: 422, exit: 1 },
  FILE_ERROR: { status: 500, exit: 1 },
  INSECURE_BIND: { status: 500, exit: 2 },
  LISTEN_FAILED: { status: 500, exit: 1 },
  UNREACHABLE: { status: 503, exit: 1 },
  DELIVERY_INCOMPLETE: { status: 503, exit: 1 },
  UPSTREAM_ERROR: { status: 502, exit: 1 },
  STORE_ERROR: { status: 500, exit: 1 },
  STORE_UNAVAILABLE: { status: 503, exit: 1 },
  NOT_IMPLEMENTED: { status: 501, exit: 1 },
  INTERNAL: { status: 500, exit: 1 },
} as const satisfies Record<string, { status: number; exit: 1 | 2 }>

export type ErrorCode = keyof typeof ERROR_TABLE

export class UsageHubError extends Error {
  readonly code: ErrorCode
  /** Extra machine-readable detail, included in the API's error body (e.g. `rejected`). */
  readonly details?: Record<string, unknown>

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = "UsageHubError"
    this.code = code
    this.details = options?.details
  }

  get status(): number {
    return ERROR_TABLE[this.code].status
  }

  get exitCode(): 1 | 2 {
    return ERROR_TABLE[this.code].exit
  }

  toJSON(): { error: { code: ErrorCode; message: string } & Record<string, unknown> } {
    return { error: { code: this.code, message: this.message, ...this.details } }
  }
}

export function isUsageHubError(error: unknown): error is UsageHubError {
  return error instanceof UsageHubError
}

/** Maps any thrown value to a UsageHubError (unknown errors become INTERNAL, keeping the cause). */
export function toUsageHubError(error: unknown): UsageHubError {
  if (error instanceof UsageHubError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new UsageHubError("INTERNAL", message, { cause: error })
}
