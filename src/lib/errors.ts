/**
 * Typed errors of usage-hub. Every failure the service or the CLI reports carries one of these codes; the
 * table below says, once per code, the way fastify keeps its errors in one table:
 * - `status`: the HTTP status the service answers it with;
 * - `exit`: the CLI's exit code (2 = bad usage, 1 = failure);
 * - `api`: whether the HTTP API answers with this code (the OpenAPI document's error code enum). A 5xx code
 *   that is not `api` reaches a client as INTERNAL;
 * - `forStatus`: this code is what a bare status means when no code came with it (a fastify error, an answer
 *   without the API's error body): one code per status at most;
 * - `publicMessage`: what a client reads instead of the error's own message. Every `api` 5xx has one (the
 *   detail, driver text or database paths, stays in the service log); a 4xx's own message is public, this
 *   one is used where the original text is not meant for clients (fastify's).
 */

interface ErrorSpec {
  readonly status: number
  readonly exit: 1 | 2
  readonly api: boolean
  readonly forStatus?: true
  readonly publicMessage?: string | ((details: Record<string, unknown> | undefined) => string)
}

export const ERROR_TABLE = {
  BAD_USAGE: { status: 400, exit: 2, api: true, forStatus: true },
  INVALID_CONFIG: { status: 500, exit: 2, api: false },
  INVALID_QUERY: { status: 400, exit: 2, api: true },
  INVALID_RECORD: { status: 400, exit: 1, api: true },
  UNPARSEABLE_BODY: { status: 400, exit: 1, api: true },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    exit: 1,
    api: true,
    forStatus: true,
    publicMessage: "unsupported Content-Type: send application/json or application/x-ndjson",
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    exit: 1,
    api: true,
    forStatus: true,
    publicMessage: "the body is larger than the limit",
  },
  UNAUTHORIZED: { status: 401, exit: 1, api: true, forStatus: true },
  FORBIDDEN: { status: 403, exit: 1, api: true, forStatus: true },
  NOT_FOUND: { status: 404, exit: 1, api: true, forStatus: true },
  REQUEST_TIMEOUT: { status: 408, exit: 1, api: true },
  TOO_MANY_STREAMS: { status: 429, exit: 1, api: true },
  NOT_LEGACY_FILE: { status: 422, exit: 1, api: false },
  FILE_ERROR: { status: 500, exit: 1, api: false },
  INSECURE_BIND: { status: 500, exit: 2, api: false },
  LISTEN_FAILED: { status: 500, exit: 1, api: false },
  UNREACHABLE: {
    status: 503,
    exit: 1,
    api: true,
    publicMessage: "the service is unavailable (shutting down); retry shortly",
  },
  DELIVERY_INCOMPLETE: { status: 503, exit: 1, api: false },
  UPSTREAM_ERROR: { status: 502, exit: 1, api: false },
  STORE_ERROR: { status: 500, exit: 1, api: true, publicMessage: "the store failed; see the service log" },
  STORE_UNAVAILABLE: {
    status: 503,
    exit: 1,
    api: true,
    publicMessage: (details) => `the store cannot write: ${details?.reason ?? "unavailable"}; retry later`,
  },
  NOT_IMPLEMENTED: { status: 501, exit: 1, api: false },
  INTERNAL: { status: 500, exit: 1, api: true, publicMessage: "internal error; see the service log" },
} as const satisfies Record<string, ErrorSpec>

export type ErrorCode = keyof typeof ERROR_TABLE

const SPECS: Record<ErrorCode, ErrorSpec> = ERROR_TABLE
const CODES = Object.keys(ERROR_TABLE) as ErrorCode[]

/** Whether a string (e.g. read from an answer's body) is one of the codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_TABLE, value)
}

/** The codes the HTTP API answers with, in table order. */
export const API_ERROR_CODES: readonly ErrorCode[] = CODES.filter((code) => SPECS[code].api)

const BY_STATUS = new Map<number, ErrorCode>()
for (const code of CODES) {
  if (!SPECS[code].forStatus) continue
  const status = SPECS[code].status
  if (BY_STATUS.has(status)) throw new Error(`ERROR_TABLE: two codes are forStatus ${status}`)
  BY_STATUS.set(status, code)
}

/**
 * The code a bare HTTP status stands for (the table's `forStatus` code), or undefined when no code is: the
 * caller decides those (the service answers INTERNAL for a failure of its own, a client reads UPSTREAM_ERROR).
 */
export function codeForStatus(status: number): ErrorCode | undefined {
  return BY_STATUS.get(status)
}

/** The table's public message of a code, if it has one. */
export function publicMessage(code: ErrorCode, details?: Record<string, unknown>): string | undefined {
  const message = SPECS[code].publicMessage
  return typeof message === "function" ? message(details) : message
}

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
