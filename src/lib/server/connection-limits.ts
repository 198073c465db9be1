/**
 * How long the service waits for a client, and how many connections it holds: header, request-body, idle and
 * keep-alive timeouts and a connection cap, so slow or idle clients (with or without a token) cannot hold the
 * service's sockets and file descriptors (docs/operations.md, "Slow clients and connection limits"). The
 * defaults, the `usage serve` flags that change them, and the options they become for node:http and fastify.
 */
import { readFileSync } from "node:fs"
import { UsageHubError } from "../errors.js"

export interface ConnectionLimits {
  /** Time to receive a request's headers (Node's `headersTimeout`). */
  headersTimeoutMs: number
  /** Time to receive a whole request, body included (Node's `requestTimeout`); 0: none. */
  requestTimeoutMs: number
  /** A connection with no byte read or written for this long is closed (fastify's `connectionTimeout`); 0: none. */
  idleTimeoutMs: number
  /** How long an idle keep-alive connection waits for its next request (Node's `keepAliveTimeout`). */
  keepAliveTimeoutMs: number
  /** Connections held at once; further ones are closed as they arrive (Node's `maxConnections`); 0: no cap. */
  maxConnections: number
}

/** File descriptors kept free of connections for the store, the WAL, logs and the like. */
const RESERVED_FDS = 512
const MAX_CONNECTIONS = 10_000

/** The process's soft limit of open files, where it can be read (Linux), else undefined. */
export function openFileLimit(limitsText?: string): number | undefined {
  let text = limitsText
  if (text === undefined) {
    try {
      text = readFileSync("/proc/self/limits", "utf8")
    } catch {
      return undefined
    }
  }
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(text)
  if (!m || m[1] === "unlimited") return undefined
  return Number(m[1])
}

/** The default cap: 10,000 connections, or the open-file limit less 512 when that is lower (at least 64). */
export function defaultMaxConnections(fdLimit = openFileLimit()): number {
  if (fdLimit === undefined) return MAX_CONNECTIONS
  return Math.max(64, Math.min(MAX_CONNECTIONS, fdLimit - RESERVED_FDS))
}

export function defaultConnectionLimits(): ConnectionLimits {
  return {
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 30_000,
    // Above the SSE heartbeat (15 s), so an open dashboard is never idle for this long, and above the
    // keep-alive timeout, so an idle keep-alive connection is closed by the keep-alive rule (which tells clients).
    idleTimeoutMs: 120_000,
    // fastify's default: above the 60 s idle timeout of common load balancers and proxies (nginx upstream
    // keepalive, AWS ALB), which must never reuse a connection the service is closing (a 502 for a client).
    // Idle connections stay bounded by the connection cap; slow requests by the header and request timeouts.
    keepAliveTimeoutMs: 72_000,
    maxConnections: defaultMaxConnections(),
  }
}

export function resolveConnectionLimits(given: Partial<ConnectionLimits> = {}): ConnectionLimits {
  const limits = { ...defaultConnectionLimits() }
  for (const [key, value] of Object.entries(given) as [keyof ConnectionLimits, number | undefined][]) {
    if (value !== undefined) limits[key] = value
  }
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isInteger(value) || value < 0)
      throw new UsageHubError("BAD_USAGE", `${key} must be a whole number ≥ 0, got ${value}`)
  }
  if (limits.headersTimeoutMs === 0) throw new UsageHubError("BAD_USAGE", "the headers timeout cannot be 0")
  if (limits.keepAliveTimeoutMs === 0) throw new UsageHubError("BAD_USAGE", "the keep-alive timeout cannot be 0")
  // Node refuses a headers timeout longer than the request timeout: the request timeout bounds both.
  if (limits.requestTimeoutMs > 0 && limits.headersTimeoutMs > limits.requestTimeoutMs)
    limits.headersTimeoutMs = limits.requestTimeoutMs
  return limits
}

/**
 * How often node:http checks the header and request timeouts (it does so on a timer, not per socket): a
 * quarter of the shorter one, between 100 ms and 5 s, so a slow client is cut at most 25% after its deadline.
 */
export function checkingIntervalMs(limits: ConnectionLimits): number {
  const shortest = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs || limits.headersTimeoutMs)
  return Math.min(5_000, Math.max(100, Math.floor(shortest / 4)))
}

/** The options of node:http's `createServer` (also accepted by node:https) for these limits. */
export function httpServerOptions(limits: ConnectionLimits): {
  headersTimeout: number
  requestTimeout: number
  keepAliveTimeout: number
  connectionsCheckingInterval: number
} {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: checkingIntervalMs(limits),
  }
}

/** `usage serve` flags of the limits, in seconds (timeouts) and connections. */
export interface ConnectionFlags {
  "headers-timeout"?: number
  "request-timeout"?: number
  "idle-timeout"?: number
  "keep-alive-timeout"?: number
  "max-connections"?: number
}

export function connectionLimitsFromFlags(flags: ConnectionFlags): Partial<ConnectionLimits> {
  const ms = (seconds: number | undefined) => (seconds === undefined ? undefined : Math.round(seconds * 1000))
  return {
    headersTimeoutMs: ms(flags["headers-timeout"]),
    requestTimeoutMs: ms(flags["request-timeout"]),
    idleTimeoutMs: ms(flags["idle-timeout"]),
    keepAliveTimeoutMs: ms(flags["keep-alive-timeout"]),
    maxConnections: flags["max-connections"],
  }
}
