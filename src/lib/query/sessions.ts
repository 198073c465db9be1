/**
 * The sessions report (`usage sessions`, `GET /api/usage/sessions`) and the nodes list (`GET /api/usage/nodes`)
 * on top of a store's session aggregate and nodes table (src/lib/store/sessions.ts says what matches): the
 * store's rows as the API's JSON, with totals over the sessions listed and the calls without a session. Every
 * source gives the same answer: the SQL stores from their aggregate, a legacy file from its records in memory
 * (MemoryStore), the service through this module. Plugin-safe and zod-free (the JSON's zod schema is in
 * sessions-schema.ts, loaded by those who validate an answer).
 */
import { fromNanos } from "../money.js"
import { resolveTimeZone } from "../periods.js"
import type { NodeActivity, SessionRow, SessionsResult } from "../store/sessions.js"
import type { DimensionFilter, UsageStore } from "../store/store.js"
import { type ReportTotals, totalsOf, withoutNanos } from "./report.js"

export interface SessionsQuery extends DimensionFilter {
  /** A session matches when its last call is at or after `since` and before `until`. */
  since?: Date
  until?: Date
  tz?: string
  /** How many sessions at most, the newest by last call (default 50). */
  limit?: number
  /** desc (default): newest last call first; asc: the same sessions, oldest first. */
  order?: "asc" | "desc"
}

/** The sums of a session, or of several (the totals): the same fields as a report row's. */
export type SessionTotals = ReportTotals

export interface SessionJson extends SessionTotals {
  sessionID: string
  node: string
  agent: string | null
  project: string | null
  firstCall: string
  lastCall: string
  durationMs: number
  models: string[]
}

/** `GET /api/usage/sessions`'s answer and `usage sessions --json`. */
export interface SessionsJson {
  sessions: SessionJson[]
  /** Over the sessions listed. */
  totals: SessionTotals
  /** Calls without a session id in the range (left out of the sessions). */
  withoutSession: { callCount: number; totalCost: number }
  tz: string
  since: string | null
  until: string | null
}

export interface NodesJson {
  nodes: { node: string; lastSeen: string; callsLastHour: number }[]
  generatedAt: string
}

function sessionJson(s: SessionRow): SessionJson {
  return {
    sessionID: s.sessionId,
    node: s.node,
    agent: s.agent ?? null,
    project: s.project ?? null,
    firstCall: s.firstCall.toISOString(),
    lastCall: s.lastCall.toISOString(),
    durationMs: s.lastCall.getTime() - s.firstCall.getTime(),
    models: s.models,
    totalCost: fromNanos(s.costNanos),
    callCount: s.calls,
    inputTokens: s.inputTokens,
    outputTokens: s.outputTokens,
    cacheReadTokens: s.cacheReadTokens,
    cacheWriteTokens: s.cacheWriteTokens,
    reasoningTokens: s.reasoningTokens,
    unpricedCalls: s.unpricedCalls,
  }
}

/** The store's answer as the API's JSON (totals exact: summed in nano-dollars, one conversion). */
export function sessionsJson(result: SessionsResult, query: SessionsQuery): SessionsJson {
  const totals: SessionTotals = withoutNanos(totalsOf(result.sessions))
  return {
    sessions: result.sessions.map(sessionJson),
    totals,
    withoutSession: {
      callCount: result.withoutSession.calls,
      totalCost: fromNanos(result.withoutSession.costNanos),
    },
    tz: resolveTimeZone(query.tz),
    since: query.since?.toISOString() ?? null,
    until: query.until?.toISOString() ?? null,
  }
}

/** The sessions report of a store (any backend, or a MemoryStore over a legacy file's records). */
export async function storeSessions(store: Pick<UsageStore, "sessions">, query: SessionsQuery): Promise<SessionsJson> {
  const { provider, node, model, agent, project, since, until, limit, order } = query
  return sessionsJson(
    await store.sessions({ provider, node, model, agent, project, since, until, limit, order }),
    query,
  )
}

export function nodesJson(nodes: readonly NodeActivity[], now: Date): NodesJson {
  return {
    nodes: nodes.map((n) => ({
      node: n.node,
      lastSeen: n.lastReceivedAt.toISOString(),
      callsLastHour: n.callsLastHour,
    })),
    generatedAt: now.toISOString(),
  }
}

/** `GET /api/usage/nodes`'s answer from a store at `now`. */
export async function storeNodes(store: Pick<UsageStore, "nodes">, now: Date): Promise<NodesJson> {
  return nodesJson(await store.nodes(now), now)
}
