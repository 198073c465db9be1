/**
 * Bearer-token auth of the service. Each option (ingest, read) names one or more tokens, comma-separated inline
 * (a `#` is part of a token there) or in a file (one per line or comma-separated, `#` comments), so tokens rotate
 * without downtime: a token file is re-read when it changes and on SIGHUP; emptied, it revokes every token;
 * missing or unreadable, it leaves the last good set in place. Presented tokens are compared in constant time over SHA-256 digests, against
 * every configured token, so neither the length nor the position of a match leaks.
 */
import { createHash, timingSafeEqual } from "node:crypto"
import { closeSync, existsSync, fstatSync, openSync, readFileSync, type Stats, statSync } from "node:fs"
import type { FastifyInstance, FastifyRequest } from "fastify"
import { UsageHubError } from "../errors.js"

const digest = (token: string): Buffer => createHash("sha256").update(token, "utf8").digest()

/** Tokens shorter than this are refused on a non-loopback address (unless `--insecure`). */
export const MIN_TOKEN_LENGTH = 16

/**
 * What a token may hold: printable ASCII, no space. HTTP carries header bytes and clients encode non-ASCII text
 * differently (UTF-8, Latin-1), so a non-ASCII token could not be compared reliably: it is refused.
 */
const TOKEN_CHARS = /^[\x21-\x7e]+$/

/** Refuses (at start) tokens with other characters; names the token by position, never by value. */
function checkTokenChars(tokens: string[], where: string): void {
  const bad = tokens.findIndex((t) => !TOKEN_CHARS.test(t))
  if (bad < 0) return
  throw new UsageHubError(
    "BAD_USAGE",
    `${where}: token ${bad + 1} holds a character outside printable ASCII (a space or a non-ASCII letter); use ASCII tokens, e.g. \`openssl rand -hex 32\``,
  )
}

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
  /** The current tokens (re-reads a token file at most once a second when it changed). */
  tokens(): readonly Buffer[]
  /** How the tokens were given, for logs: "2 tokens" or "tokens from /etc/usage-hub/ingest.tokens". */
  readonly description: string
  /** The token file, when the tokens come from one. */
  readonly file?: string
  /** Length in characters of the shortest token held now (Infinity when none). */
  shortest(): number
  /** Re-reads a token file now, changed or not (SIGHUP); nothing for inline tokens. */
  reload(): void
}

export interface TokenSourceOptions {
  /** Where a token file's re-reads are reported (default: console.warn). */
  log?: (line: string) => void
  /** A re-read file's tokens shorter than this are left out, with a log line (at start the caller decides). */
  minLength?: number
  /** Least time between two checks of the file for changes (default 1000 ms). */
  recheckMs?: number
  /** Milliseconds now, for the recheck interval (default Date.now; tests pass a clock they move). */
  now?: () => number
}

/**
 * Parses an option value: a file path (existing file, or a value that looks like a path) or comma-separated
 * tokens. A file that holds no token is valid: it refuses every request that needs the token.
 */
export function parseTokenOption(
  value: string | undefined,
  name: string,
  options: TokenSourceOptions = {},
): TokenSource | undefined {
  if (value === undefined || value.trim() === "") return undefined
  const trimmed = value.trim()
  const isFile = existsSync(trimmed) && statSync(trimmed).isFile()
  if (!isFile) {
    if (looksLikePath(trimmed)) throw new UsageHubError("BAD_USAGE", `${name}: token file not found: ${trimmed}`)
    const tokens = splitInline(trimmed)
    if (tokens.length === 0) throw new UsageHubError("BAD_USAGE", `${name}: no token given`)
    checkTokenChars(tokens, name)
    const digests = tokens.map(digest)
    const shortest = Math.min(...tokens.map((t) => t.length))
    return {
      tokens: () => digests,
      shortest: () => shortest,
      reload: () => {},
      description: `${digests.length} token${digests.length === 1 ? "" : "s"}`,
    }
  }
  return fileTokenSource(trimmed, name, options)
}

const plural = (n: number): string => `${n} token${n === 1 ? "" : "s"}`

/** What identifies a version of the file: an edit in place changes mtime or size, a `mv` over it the inode. */
const stampOf = (st: Stats): string => `${st.ino}:${st.size}:${st.mtimeMs}`

/** Reads the file through one descriptor, so the stamp and the text belong to the same version. */
function readTokenFile(path: string): { tokens: string[]; stamp: string } {
  const fd = openSync(path, "r")
  try {
    const stamp = stampOf(fstatSync(fd))
    return { tokens: splitFile(readFileSync(fd, "utf8")), stamp }
  } finally {
    closeSync(fd)
  }
}

const reasonOf = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? (error as Error).message

/**
 * Tokens from a file, re-read when it changes (checked at most once a second, when a request needs them) and on
 * `reload()`. A file that exists and holds no token revokes every token (with a warning); a file that is
 * missing or unreadable keeps the last good set (logged once per failure, not per request).
 */
function fileTokenSource(path: string, name: string, options: TokenSourceOptions): TokenSource {
  const log = options.log ?? ((line: string) => console.warn(line))
  let first: { tokens: string[]; stamp: string }
  try {
    first = readTokenFile(path)
  } catch (error) {
    throw new UsageHubError("BAD_USAGE", `${name}: cannot read token file ${path}: ${reasonOf(error)}`)
  }
  checkTokenChars(first.tokens, `${name}: ${path}`)
  let current: Buffer[] = first.tokens.map(digest)
  let shortest = Math.min(...first.tokens.map((t) => t.length))
  let stamp = first.stamp
  let failing: string | undefined
  const now = options.now ?? Date.now
  let checkedAt = now()

  const adopt = (read: string[]): void => {
    const tokens = read.filter((t) => TOKEN_CHARS.test(t))
    if (tokens.length < read.length) {
      log(
        `warning: ${name}: ${path}: left out ${plural(read.length - tokens.length)} with a character outside printable ASCII`,
      )
    }
    const min = options.minLength ?? 0
    const kept = tokens.filter((t) => t.length >= min)
    if (kept.length < tokens.length) {
      log(`warning: ${name}: ${path}: left out ${plural(tokens.length - kept.length)} shorter than ${min} characters`)
    }
    current = kept.map(digest)
    shortest = Math.min(...kept.map((t) => t.length))
    if (kept.length === 0) {
      log(`warning: ${name}: ${path} holds no token now: every request that needs this token is refused`)
    } else {
      log(`${name}: re-read ${path}: ${plural(kept.length)}`)
    }
  }

  const refresh = (force: boolean): void => {
    try {
      if (!force && stampOf(statSync(path)) === stamp) {
        failing = undefined
        return
      }
      const read = readTokenFile(path)
      stamp = read.stamp
      failing = undefined
      adopt(read.tokens)
    } catch (error) {
      const reason = reasonOf(error)
      if (force || reason !== failing) {
        log(`warning: ${name}: cannot read ${path} (${reason}); keeping the ${plural(current.length)} read before`)
      }
      failing = reason
    }
  }

  return {
    description: `tokens from ${path}`,
    file: path,
    shortest: () => shortest,
    reload() {
      checkedAt = now()
      refresh(true)
    },
    tokens() {
      const at = now()
      if (at - checkedAt >= (options.recheckMs ?? 1000)) {
        checkedAt = at
        refresh(false)
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

/**
 * The token a request presents: the `Authorization: Bearer` header's, else (only where `allowQuery`: SSE, since
 * EventSource sends no headers) the `token` query parameter. `undefined` when none is presented (no header, or
 * another scheme such as Basic); "" when a Bearer header or the query parameter is malformed.
 */
export function presentedToken(request: FastifyRequest, allowQuery: boolean): string | undefined {
  const header = request.headers.authorization
  if (typeof header === "string" && /^Bearer(\s|$)/i.test(header)) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    return m ? m[1] : ""
  }
  return allowQuery ? literalQueryToken(request.url) : undefined
}

/**
 * The `token` query parameter, under that literal name only (`%74oken=` is not it: the log redaction and
 * proxies' filters look for the literal name); its value is percent-decoded. Given twice, or with a value that
 * does not decode, it is malformed ("").
 */
function literalQueryToken(url: string): string | undefined {
  const q = url.indexOf("?")
  if (q < 0) return undefined
  let found: string | undefined
  for (const part of url.slice(q + 1).split("&")) {
    if (!part.startsWith("token=")) continue
    if (found !== undefined) return ""
    try {
      found = decodeURIComponent(part.slice("token=".length).replace(/\+/g, " "))
    } catch {
      return ""
    }
  }
  return found
}

/** Percent-decodes what decodes (a malformed escape is left as it is), so a name can be read whatever its spelling. */
function looseDecode(text: string): string {
  return text
    .replace(/\+/g, " ")
    .replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
}

/**
 * A URL fit for logs: the value of every query parameter whose name, decoded (up to three times, any case),
 * contains `token` is replaced by `[redacted]`, so no spelling of the name carries a token into a log.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf("?")
  if (q < 0) return url
  const parts = url
    .slice(q + 1)
    .split("&")
    .map((part) => {
      const eq = part.indexOf("=")
      const raw = eq < 0 ? part : part.slice(0, eq)
      let name = raw
      for (let i = 0; i < 3; i++) name = looseDecode(name)
      return /token/i.test(name) ? `${raw}=[redacted]` : part
    })
  return `${url.slice(0, q + 1)}${parts.join("&")}`
}

const REALM = 'Bearer realm="usage-hub"'

/** A refused request, with the `WWW-Authenticate` challenge its answer carries (RFC 6750, section 3). */
export class TokenRefused extends UsageHubError {
  constructor(
    code: "UNAUTHORIZED" | "FORBIDDEN",
    message: string,
    readonly challenge: string,
  ) {
    super(code, message)
  }
}

/** The `WWW-Authenticate` value of an error's answer, if it has one. */
export function authChallenge(error: UsageHubError): string | undefined {
  if (error instanceof TokenRefused) return error.challenge
  return error.code === "UNAUTHORIZED" ? REALM : undefined
}

/**
 * Checks a request against a token source (nothing configured lets everything through), RFC 6750's way: no
 * token is 401 (a challenge without an error code), an unknown or malformed token 401 `invalid_token`, and a
 * valid token of the other kind (`other`: a read token on ingest, an ingest token on reads) 403
 * `insufficient_scope`.
 */
export function checkToken(
  source: TokenSource | undefined,
  request: FastifyRequest,
  what: "ingest" | "read",
  allowQuery = false,
  other?: TokenSource,
): void {
  if (!source) return
  const presented = presentedToken(request, allowQuery)
  if (presented === undefined) {
    throw new TokenRefused("UNAUTHORIZED", `missing ${what} token: send "Authorization: Bearer <token>"`, REALM)
  }
  if (presented !== "" && tokenMatches(source, presented)) return
  if (presented !== "" && other && tokenMatches(other, presented)) {
    throw new TokenRefused(
      "FORBIDDEN",
      `this token does not grant ${what === "ingest" ? "ingestion" : "reads"}: send the ${what} token`,
      `${REALM}, error="insufficient_scope"`,
    )
  }
  throw new TokenRefused("UNAUTHORIZED", `the ${what} token is not valid`, `${REALM}, error="invalid_token"`)
}

/** What a route declares in `config: { auth }`: open to all, read token, ingest token. */
const ROUTE_AUTHS: readonly string[] = ["public", "read", "ingest"]

/** A route as registered, with the auth it declares. */
export interface DeclaredRoute {
  method: string
  url: string
  auth: string
}

const declaredByApp = new WeakMap<FastifyInstance, DeclaredRoute[]>()

/**
 * Auth fails closed: from now on, registering a route on `app` (or a plugin of it) without
 * `config: { auth: "public" | "read" | "ingest" }` throws, so a service with an undeclared route does not
 * start. Install it before any route.
 */
export function requireRouteAuth(app: FastifyInstance): void {
  const routes: DeclaredRoute[] = []
  declaredByApp.set(app, routes)
  app.addHook("onRoute", (route) => {
    const auth: unknown = route.config?.auth
    const methods = [route.method].flat()
    if (typeof auth !== "string" || !ROUTE_AUTHS.includes(auth)) {
      throw new UsageHubError(
        "INTERNAL",
        `route ${methods.join(",")} ${route.url} declares no auth: register it with config: { auth: ${ROUTE_AUTHS.map((a) => `"${a}"`).join(" | ")} }`,
      )
    }
    for (const method of methods) routes.push({ method, url: route.url, auth })
  })
}

/** The routes registered on `app` since `requireRouteAuth(app)`, with their auth (HEAD routes included). */
export function declaredRoutes(app: FastifyInstance): readonly DeclaredRoute[] {
  return declaredByApp.get(app) ?? []
}
