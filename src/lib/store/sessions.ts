/**
 * Sessions and nodes as the stores keep them, beside the rollups (src/lib/store/rollup.ts): the aggregate of
 * each session (node, session id) updated in the insert transaction, so `usage sessions` reads a page of
 * sessions instead of scanning records.
 *
 * A store keeps, per session: the first and last call's instants and the same sums as a rollup row (cost as
 * whole dollars + nano-dollars, token sums saturating at 2^63 - 1), in `usage_sessions`; the calls per
 * (provider, model, agent, project) of each session in `usage_session_models` (the models used, the agent and
 * project shown, and what the provider/model/agent/project filters match); the records WITHOUT a session id as
 * rollups of their own at a day and a month grain (`usage_sessionless_day|month`, the rollup columns), so the
 * count of calls without a session over any range is a few buckets plus the records of the edge days; and each
 * node's receipt time of its last record (`usage_nodes`, the server's clock at commit).
 *
 * Query semantics (every backend, and the memory oracle `sessionsOfRecords`):
 * - a session matches when its LAST call lies in [since, until), its node is `node`, and at least one of its
 *   calls has the filter's provider, model, agent and project (all of those given, on the same call); its
 *   sums are the whole session's, every call included;
 * - sessions come newest last call first; `limit` (default 50) keeps the newest; `order: "asc"` lists those
 *   oldest first; ties by node then session id;
 * - the agent (project) shown is the one with the most calls in the session (ties: the first by name), absent
 *   when no call had one; models are the distinct model names, sorted;
 * - `withoutSession` counts the calls WITHOUT a session id whose own timestamp lies in [since, until) and that
 *   match every dimension filter.
 * Pure JavaScript: no driver.
 */
import { joinNanos, splitNanos, toNanos } from "../money.js"
import type { UsageRecord } from "../record.js"
import { type RecordRow, toRecordRow } from "./record-row.js"
import {
  carryNanos,
  ROLLUP_LEVELS,
  RollupDeltas,
  type RollupLevel,
  type RollupSums,
  SUM_COLUMNS,
  ZERO_SUMS,
} from "./rollup.js"
import type { AggregateRow, RecordFilter, UsageSums } from "./store.js"

export const DEFAULT_SESSION_LIMIT = 50

export interface SessionsFilter extends RecordFilter {
  /** How many sessions at most (the newest by last call). Default 50. */
  limit?: number
  /** "desc" (default): newest last call first; "asc": the same sessions, oldest first. */
  order?: "asc" | "desc"
}

/** A session's sums (cost exact, in nano-dollars) with its node, id, first and last call, agent, project, models. */
export interface SessionRow extends UsageSums {
  node: string
  sessionId: string
  firstCall: Date
  lastCall: Date
  /** The agent (project) with the most calls in the session; absent when no call named one. */
  agent?: string
  project?: string
  /** Distinct model names, sorted. */
  models: string[]
}

export interface SessionsResult {
  sessions: SessionRow[]
  /** Calls without a session id in the range that match the filter (not in any session). */
  withoutSession: { calls: number; costNanos: bigint }
}

export interface NodeActivity {
  node: string
  /** The service's clock when the node's last new record was committed. */
  lastReceivedAt: Date
  /** Calls with a timestamp in [now - 1 h, now). */
  callsLastHour: number
}

export const HOUR_MS = 3_600_000

/** The sessionless rollups: the day and month levels' grains in tables of their own. */
export const SESSIONLESS_LEVELS: readonly RollupLevel[] = [
  { ...ROLLUP_LEVELS[2], table: "usage_sessionless_day" },
  { ...ROLLUP_LEVELS[3], table: "usage_sessionless_month" },
]

/** The columns of a `usage_sessions` row, in table order: the key, first and last instants, the sums. */
export const SESSION_COLUMNS = ["node", "session_id", "first_ts", "last_ts", ...SUM_COLUMNS] as const

/** The key of a `usage_session_models` row; then `calls`. */
export const SESSION_MODEL_KEY = ["node", "session_id", "provider", "model", "agent", "project"] as const

export interface SessionSums extends RollupSums {
  node: string
  session_id: string
  first_ts: number
  last_ts: number
}

export interface SessionModelCalls {
  node: string
  session_id: string
  provider: string
  model: string
  agent: string
  project: string
  calls: number
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** A session's sums over its calls of one (provider, model, agent, project): a pending increment (SQLite). */
export interface SessionGroup extends SessionSums {
  provider: string
  model: string
  agent: string
  project: string
}

/** The columns of a pending session increment, in table order (SQLite's `usage_session_pending`). */
export const SESSION_GROUP_COLUMNS = [...SESSION_MODEL_KEY, "first_ts", "last_ts", ...SUM_COLUMNS] as const

/** A group as a driver reads it (sums of pending rows may come as doubles or strings). */
export type SessionGroupIn = { [K in keyof SessionGroup]: SessionGroup[K] extends number ? number | string : string }

function emptySums(node: string, sessionId: string, ts: number): SessionSums {
  return {
    node,
    session_id: sessionId,
    first_ts: ts,
    last_ts: ts,
    ...ZERO_SUMS,
  }
}

/** Adds `from`'s first/last and sums to `to` (cost kept as dollars + nanos in [0, 1e9)); written out, it is hot. */
function addSums(to: SessionSums, from: { [K in keyof SessionSums]: SessionSums[K] | string }): void {
  const first = +from.first_ts
  const last = +from.last_ts
  if (first < to.first_ts) to.first_ts = first
  if (last > to.last_ts) to.last_ts = last
  to.calls += +from.calls
  to.cost_usd += +from.cost_usd
  to.cost_nanos += +from.cost_nanos
  to.input_tokens += +from.input_tokens
  to.output_tokens += +from.output_tokens
  to.cache_read_tokens += +from.cache_read_tokens
  to.cache_write_tokens += +from.cache_write_tokens
  to.reasoning_tokens += +from.reasoning_tokens
  to.unpriced_calls += +from.unpriced_calls
  carryNanos(to)
}

const groupKey = (g: Pick<SessionGroup, "node" | "session_id" | "provider" | "model" | "agent" | "project">) =>
  `${g.node}\u0000${g.session_id}\u0000${g.provider}\u0000${g.model}\u0000${g.agent}\u0000${g.project}`

const compareSessions = (a: SessionSums, b: SessionSums) =>
  compareText(a.node, b.node) || compareText(a.session_id, b.session_id)

const compareGroups = (a: SessionGroup, b: SessionGroup) =>
  compareSessions(a, b) ||
  compareText(a.provider, b.provider) ||
  compareText(a.model, b.model) ||
  compareText(a.agent, b.agent) ||
  compareText(a.project, b.project)

/**
 * The session increments of the records one transaction inserted (or, with sign -1, a prune deleted, or the
 * pending increments a fold reads): sums per session x (provider, model, agent, project) (`groupRows`, what
 * SQLite appends as pending), from which come the sums per session (`sessionRows`) and the calls per session
 * and model (`modelRows`); the sessionless rollups; the nodes seen. Rows come out in primary-key order
 * (concurrent PostgreSQL writers lock them in the same order).
 */
export class SessionDeltas {
  private readonly groups = new Map<string, SessionGroup>()
  readonly sessionless = new RollupDeltas(SESSIONLESS_LEVELS)
  private readonly nodeSet = new Set<string>()

  get groupCount(): number {
    return this.groups.size
  }

  add(row: RecordRow, sign: 1 | -1 = 1): void {
    this.nodeSet.add(row.node)
    if (row.session_id === null) {
      this.sessionless.add(row, sign)
      return
    }
    const agent = row.agent ?? ""
    const project = row.project ?? ""
    const key = `${row.node}\u0000${row.session_id}\u0000${row.provider}\u0000${row.model}\u0000${agent}\u0000${project}`
    const cost = splitNanos(sign * row.cost_nanos)
    const g = this.groups.get(key)
    if (!g) {
      // The common case (a record of its own group): the group is the record's sums.
      this.groups.set(key, {
        node: row.node,
        session_id: row.session_id,
        provider: row.provider,
        model: row.model,
        agent,
        project,
        first_ts: row.ts,
        last_ts: row.ts,
        calls: sign,
        cost_usd: cost.usd,
        cost_nanos: cost.rem,
        input_tokens: sign * row.input_tokens,
        output_tokens: sign * row.output_tokens,
        cache_read_tokens: sign * (row.cache_read_tokens ?? 0),
        cache_write_tokens: sign * (row.cache_write_tokens ?? 0),
        reasoning_tokens: sign * (row.reasoning_tokens ?? 0),
        unpriced_calls: row.unpriced === 1 ? sign : 0,
      })
      return
    }
    if (row.ts < g.first_ts) g.first_ts = row.ts
    if (row.ts > g.last_ts) g.last_ts = row.ts
    g.calls += sign
    g.cost_usd += cost.usd
    g.cost_nanos += cost.rem
    carryNanos(g)
    g.input_tokens += sign * row.input_tokens
    g.output_tokens += sign * row.output_tokens
    g.cache_read_tokens += sign * (row.cache_read_tokens ?? 0)
    g.cache_write_tokens += sign * (row.cache_write_tokens ?? 0)
    g.reasoning_tokens += sign * (row.reasoning_tokens ?? 0)
    g.unpriced_calls += row.unpriced === 1 ? sign : 0
  }

  /** Adds a group's sums (a record's, or pending ones read back). */
  addGroup(group: SessionGroupIn): void {
    const key = groupKey(group)
    let g = this.groups.get(key)
    if (!g) {
      const sums = emptySums(group.node, group.session_id, +group.first_ts)
      g = { ...sums, provider: group.provider, model: group.model, agent: group.agent, project: group.project }
      this.groups.set(key, g)
    }
    addSums(g, group)
  }

  /** The groups in no particular order (SQLite's pending appends). */
  unsortedGroups(): IterableIterator<SessionGroup> {
    return this.groups.values()
  }

  groupRows(): SessionGroup[] {
    return [...this.groups.values()].sort(compareGroups)
  }

  sessionRows(sorted = true): SessionSums[] {
    const sessions = new Map<string, SessionSums>()
    for (const g of this.groups.values()) {
      const key = `${g.node}\u0000${g.session_id}`
      const s = sessions.get(key)
      if (s) addSums(s, g)
      else {
        const { provider: _p, model: _m, agent: _a, project: _j, ...sums } = g
        sessions.set(key, sums)
      }
    }
    const rows = [...sessions.values()]
    return sorted ? rows.sort(compareSessions) : rows
  }

  /** `sorted` false: in no particular order (SQLite's upserts need none). */
  modelRows(sorted = true): SessionModelCalls[] {
    return (sorted ? this.groupRows() : [...this.groups.values()]).map((g) => ({
      node: g.node,
      session_id: g.session_id,
      provider: g.provider,
      model: g.model,
      agent: g.agent,
      project: g.project,
      calls: g.calls,
    }))
  }

  nodes(): string[] {
    return [...this.nodeSet].sort(compareText)
  }
}

/** The most frequent non-empty value of `pick` among `rows` (weighted by calls; ties: the first by name). */
function mostCalled<T extends { calls: number }>(rows: readonly T[], pick: (row: T) => string): string | undefined {
  const counts = new Map<string, number>()
  for (const r of rows) {
    const value = pick(r)
    if (value !== "" && r.calls > 0) counts.set(value, (counts.get(value) ?? 0) + r.calls)
  }
  let best: string | undefined
  let bestCalls = 0
  for (const [value, calls] of counts) {
    if (calls > bestCalls || (calls === bestCalls && best !== undefined && value < best)) {
      best = value
      bestCalls = calls
    }
  }
  return best
}

/** Whether a session's (provider, model, agent, project) rows include a call matching the filter's dimensions. */
export function sessionMatches(
  models: readonly Omit<SessionModelCalls, "node" | "session_id">[],
  filter: RecordFilter,
) {
  if (
    filter.provider === undefined &&
    filter.model === undefined &&
    filter.agent === undefined &&
    filter.project === undefined
  )
    return true
  return models.some(
    (m) =>
      m.calls > 0 &&
      (filter.provider === undefined || m.provider === filter.provider) &&
      (filter.model === undefined || m.model === filter.model) &&
      (filter.agent === undefined || m.agent === filter.agent) &&
      (filter.project === undefined || m.project === filter.project),
  )
}

/** A SessionRow from a session's sums and its (provider, model, agent, project) rows. */
export function sessionRowOf(
  s: {
    node: string
    session_id: string
    first_ts: number | string
    last_ts: number | string
    calls: number | string
    cost_usd: number | string
    cost_nanos: number | string
    input_tokens: number | string
    output_tokens: number | string
    cache_read_tokens: number | string
    cache_write_tokens: number | string
    reasoning_tokens: number | string
    unpriced_calls: number | string
  },
  models: readonly { model: string; agent: string; project: string; calls: number }[],
): SessionRow {
  const row: SessionRow = {
    node: s.node,
    sessionId: s.session_id,
    firstCall: new Date(Number(s.first_ts)),
    lastCall: new Date(Number(s.last_ts)),
    models: [...new Set(models.filter((m) => m.calls > 0).map((m) => m.model))].sort(compareText),
    calls: Number(s.calls),
    costNanos: joinNanos(s.cost_usd, s.cost_nanos),
    inputTokens: Number(s.input_tokens),
    outputTokens: Number(s.output_tokens),
    cacheReadTokens: Number(s.cache_read_tokens),
    cacheWriteTokens: Number(s.cache_write_tokens),
    reasoningTokens: Number(s.reasoning_tokens),
    unpricedCalls: Number(s.unpriced_calls),
  }
  const agent = mostCalled(models, (m) => m.agent)
  const project = mostCalled(models, (m) => m.project)
  if (agent !== undefined) row.agent = agent
  if (project !== undefined) row.project = project
  return row
}

/** The calls of a session with one (provider, model, agent, project). */
export type SessionModelRow = Omit<SessionModelCalls, "node" | "session_id">

/**
 * The sessions touched by pending increments (SQLite), their stored rows (`stored`: the session's columns and
 * one of its model rows each, as `storedSessionsQuery` reads them) and pending groups merged, kept when the
 * merged session matches the filter.
 */
export function mergedSessions(
  stored: readonly ({ [K in keyof SessionSums]: SessionSums[K] | string } & { model: SessionModelRow })[],
  groups: readonly SessionGroupIn[],
  filter: SessionsFilter,
): SessionRow[] {
  const merged = new Map<string, { sums: SessionSums; models: Map<string, SessionModelRow> }>()
  const entry = (node: string, sessionId: string, ts: number) => {
    const key = `${node}\u0000${sessionId}`
    let e = merged.get(key)
    if (!e) {
      e = { sums: emptySums(node, sessionId, ts), models: new Map() }
      merged.set(key, e)
    }
    return e
  }
  const addModel = (e: { models: Map<string, SessionModelRow> }, m: SessionModelRow) => {
    const key = `${m.provider}\u0000${m.model}\u0000${m.agent}\u0000${m.project}`
    const row = e.models.get(key)
    if (row) row.calls += m.calls
    else e.models.set(key, { ...m })
  }
  const seen = new Set<string>()
  for (const r of stored) {
    const e = entry(r.node, r.session_id, Number(r.first_ts))
    // One row per model row of the session: its sums once.
    if (!seen.has(`${r.node}\u0000${r.session_id}`)) {
      seen.add(`${r.node}\u0000${r.session_id}`)
      addSums(e.sums, r)
    }
    addModel(e, r.model)
  }
  for (const g of groups) {
    const e = entry(g.node, g.session_id, Number(g.first_ts))
    addSums(e.sums, g)
    addModel(e, { provider: g.provider, model: g.model, agent: g.agent, project: g.project, calls: Number(g.calls) })
  }
  const since = filter.since?.getTime() ?? Number.NEGATIVE_INFINITY
  const until = filter.until?.getTime() ?? Number.POSITIVE_INFINITY
  const out: SessionRow[] = []
  for (const { sums, models } of merged.values()) {
    const list = [...models.values()]
    if (sums.calls <= 0 || sums.last_ts < since || sums.last_ts >= until) continue
    if (filter.node !== undefined && sums.node !== filter.node) continue
    if (!sessionMatches(list, filter)) continue
    out.push(sessionRowOf(sums, list))
  }
  return out
}

/** Newest last call first; ties by node, then session id (descending, as the SQL index is read backwards). */
export function compareSessionsDesc(a: SessionRow, b: SessionRow): number {
  return (
    b.lastCall.getTime() - a.lastCall.getTime() || compareText(b.node, a.node) || compareText(b.sessionId, a.sessionId)
  )
}

/** The limit a query uses: a positive integer, default 50. */
export function sessionLimit(filter: SessionsFilter): number {
  const limit = filter.limit ?? DEFAULT_SESSION_LIMIT
  return Math.max(1, Math.floor(limit))
}

/** The page in the asked order (`rows` newest first). */
export function ordered(rows: SessionRow[], filter: SessionsFilter): SessionRow[] {
  return filter.order === "asc" ? rows.reverse() : rows
}

/** Sessions computed from records in memory (the memory store, a legacy file): the reference of the stores. */
export function sessionsOfRecords(records: Iterable<UsageRecord>, filter: SessionsFilter): SessionsResult {
  const all = new SessionDeltas()
  const withoutSession = { calls: 0, costNanos: 0n }
  const since = filter.since?.getTime() ?? Number.NEGATIVE_INFINITY
  const until = filter.until?.getTime() ?? Number.POSITIVE_INFINITY
  for (const r of records) {
    const node = r.node ?? "unknown"
    if (filter.node !== undefined && node !== filter.node) continue
    if (r.sessionID === undefined) {
      const t = r.timestamp.getTime()
      if (t < since || t >= until) continue
      if (!sessionMatches([{ ...dims(r), calls: 1 }], filter)) continue
      withoutSession.calls += 1
      withoutSession.costNanos += BigInt(toNanos(r.estimatedCost))
      continue
    }
    all.add(toRecordRow({ ...r, node }))
  }
  const models = new Map<string, SessionModelCalls[]>()
  for (const m of all.modelRows()) {
    const key = `${m.node}\u0000${m.session_id}`
    const list = models.get(key)
    if (list) list.push(m)
    else models.set(key, [m])
  }
  const rows = all
    .sessionRows()
    .filter((s) => s.last_ts >= since && s.last_ts < until)
    .filter((s) => sessionMatches(models.get(`${s.node}\u0000${s.session_id}`) ?? [], filter))
    .map((s) => sessionRowOf(s, models.get(`${s.node}\u0000${s.session_id}`) ?? []))
    .sort(compareSessionsDesc)
    .slice(0, sessionLimit(filter))
  return { sessions: ordered(rows, filter), withoutSession }
}

function dims(r: UsageRecord) {
  return { provider: r.provider, model: r.model, agent: r.agent ?? "", project: r.project ?? "" }
}

/** Each node with its receipt time and its calls in [now - 1 h, now) (from an aggregate grouped by node). */
export function nodeActivity(
  received: Iterable<{ node: string; lastReceivedAt: number }>,
  lastHour: readonly AggregateRow[],
): NodeActivity[] {
  const calls = new Map(lastHour.map((r) => [r.key, r.calls]))
  return [...received]
    .map((r) => ({ node: r.node, lastReceivedAt: new Date(r.lastReceivedAt), callsLastHour: calls.get(r.node) ?? 0 }))
    .sort((a, b) => compareText(a.node, b.node))
}
