/**
 * Bearer-token auth of the service. Each option (ingest, read) names one or more tokens, comma-separated inline
 * (a `#` is part of a token there) or in a file (one per line or comma-separated, `#` comments), so tokens rotate
 * without downtime: a token file is re-read when it changes. Presented tokens are compared in constant time over SHA-256 digests, against
 * every configured token, so neither the length nor the position of a match leaks.
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { existsSync, readFileSync, statSync } from "node:fs"
import type { FastifyRequest } from "fastify"
import { UsageHubError } from "../errors.js"

const digest = (token: string): Buffer => createHash("sha256").update(token, "utf8").digest()

/** Tokens shorter than this are refused on a non-loopback address (unless `--insecure`). */
export const MIN_TOKEN_LENGTH = 16

/** Comma-separated tokens, as given inline: every character counts, `#` included. */
function splitInline(text: string): string[] {
  return text
    .split(",")
    .map((token) => token.trim())
    .filter(Boolean)
}

/**
 * A token file's tokens: one per line or comma-separated; `#` starts a comment at the start of a line or after
 * a space (so a token may hold `#`).
 */
function splitFile(text: string): string[] {
  return text.split(/\r?\n/).flatMap((line) => splitInline(line.replace(/(^|\s)#.*$/, "")))
}

const looksLikePath = (value: string): boolean => /^(\.{0,2}\/|~\/)/.test(value)

/** Where a token option's value comes from: inline tokens, or a file re-read on change. */
export interface TokenSource {
  /** The current tokens (re-reads a token file at most once a second when its mtime changed). */
  tokens(): readonly Buffer[]
  /** How the tokens were given, for logs: "2 tokens" or "tokens from /etc/usage-hub/ingest.tokens". */
  readonly description: string
  /** Length in characters of the shortest token held now (Infinity when none). */
  shortest(): number
}

/** Parses an option value: a file path (existing file, or a value that looks like a path) or comma-separated tokens. */
export function parseTokenOption(value: string | undefined, name: string): TokenSource | undefined {
  if (value === undefined || value.trim() === "") return undefined
  const trimmed = value.trim()
  const isFile = existsSync(trimmed) && statSync(trimmed).isFile()
  if (!isFile) {
    if (looksLikePath(trimmed)) throw new UsageHubError("BAD_USAGE", `${name}: token file not found: ${trimmed}`)
    const tokens = splitInline(trimmed)
    if (tokens.length === 0) throw new UsageHubError("BAD_USAGE", `${name}: no token given`)
    const digests = tokens.map(digest)
    const shortest = Math.min(...tokens.map((t) => t.length))
    return {
      tokens: () => digests,
      shortest: () => shortest,
      description: `${digests.length} token${digests.length === 1 ? "" : "s"}`,
    }
  }
  return fileTokenSource(trimmed, name)
}

function fileTokenSource(path: string, name: string): TokenSource {
  let shortest = Number.POSITIVE_INFINITY
  const load = (): Buffer[] => {
    const tokens = splitFile(readFileSync(path, "utf8"))
    if (tokens.length === 0) throw new UsageHubError("BAD_USAGE", `${name}: token file ${path} holds no token`)
    shortest = Math.min(...tokens.map((t) => t.length))
    return tokens.map(digest)
  }
  let current = load()
  let mtime = statSync(path).mtimeMs
  let checkedAt = Date.now()
  return {
    description: `tokens from ${path}`,
    shortest: () => shortest,
    tokens() {
      const now = Date.now()
      if (now - checkedAt < 1000) return current
      checkedAt = now
      try {
        const m = statSync(path).mtimeMs
        if (m !== mtime) {
          current = load()
          mtime = m
        }
      } catch {
        // Keep the last good tokens while the file is being replaced or is briefly unreadable.
      }
      return current
    },
  }
}

/** Whether `presented` equals one of the tokens; constant time in the presented value and the match position. */
export function tokenMatches(source: TokenSource, presented: string): boolean {
  const given = digest(presented)
  let ok = false
  for (const token of source.tokens()) ok = timingSafeEqual(given, token) || ok
  return ok
}

/** The Bearer token of a request; the `token` query parameter only where `allowQuery` (SSE: EventSource sends no headers). */
export function presentedToken(request: FastifyRequest, allowQuery: boolean): string | undefined {
  const header = request.headers.authorization
  if (typeof header === "string") {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    return m ? m[1] : ""
  }
  if (allowQuery) {
    const token = (request.query as Record<string, unknown> | undefined)?.token
    if (typeof token === "string") return token
  }
  return undefined
}

/**
 * Checks a request against a token source: nothing configured lets everything through; no token is 401
 * (UNAUTHORIZED), a wrong one 403 (FORBIDDEN).
 */
export function checkToken(
  source: TokenSource | undefined,
  request: FastifyRequest,
  what: "ingest" | "read",
  allowQuery = false,
): void {
  if (!source) return
  const presented = presentedToken(request, allowQuery)
  if (presented === undefined || presented === "") {
    throw new UsageHubError("UNAUTHORIZED", `missing ${what} token: send "Authorization: Bearer <token>"`)
  }
  if (!tokenMatches(source, presented)) throw new UsageHubError("FORBIDDEN", `the ${what} token is not valid`)
}
