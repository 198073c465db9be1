/**
 * The store interface: what every backend (memory, SQLite, PostgreSQL) implements, like a kysely dialect.
 * Small on purpose: insert with identity, aggregate over a filter grouped by one dimension, iterate records
 * in chunks for export. Summaries and trends are built on top of `aggregate` by src/lib/query/, once for all
 * backends. This file imports no driver: the package root may load it.
 */
import type { StoredRecord, UsageRecord } from "../record.js"
import type { GroupBy } from "../summary-types.js"
import type { NodeActivity, SessionsFilter, SessionsResult } from "./sessions.js"

/** The dimensions a query can be narrowed to (one value each). */
export interface DimensionFilter {
  provider?: string
  node?: string
  model?: string
  agent?: string
  project?: string
}

export interface RecordFilter extends DimensionFilter {
  /** Inclusive. */
  since?: Date
  /** Exclusive. */
  until?: Date
}

/**
 * Sums over some records. Cost is in integer nano-dollars, exact however large (a bigint); token counts are
 * numbers (exact up to 2^53, the nearest double beyond).
 */
export interface UsageSums {
  calls: number
  costNanos: bigint
  inputTokens: number
  outputTokens: number
  cacheReadTokens: number
  cacheWriteTokens: number
  reasoningTokens: number
  unpricedCalls: number
}

/** The sums over the records of one group. */
export interface AggregateRow extends UsageSums {
  key: string
  /** Distinct nodes that reported in this group. */
  nodes: string[]
}

/** One aggregate of a batch (`aggregateMany`, the steps of a query plan). */
export interface AggregateRequest {
  filter: RecordFilter
  groupBy: GroupBy
  /**
   * false: the caller does not read the distinct nodes, so `nodes` of the answer may be empty; a store may then
   * answer from narrower rollups (the SQL stores' (provider, bucket, model) rollups, when the filter and the
   * grouping need no other dimension). Default: the nodes are given.
   */
  nodes?: boolean
}

export interface InsertResult {
  /** New records stored. */
  accepted: number
  /** Records already stored under the same identity (node, id, timestamp). */
  duplicates: number
}

/** Which records `prune` deletes: every record before `before`, optionally of one node and/or provider. */
export interface PruneFilter {
  /** Exclusive. */
  before: Date
  node?: string
  provider?: string
}

/** What a prune removed (or, in a dry run, would remove). */
export interface PruneResult {
  records: number
  /** Their cost in nano-dollars (exact). */
  costNanos: bigint
  /** The earliest and latest instants among them (absent when none). */
  first?: Date
  last?: Date
}

export interface StoreStats {
  records: number
  /**
   * Records set aside by a migration because they lie outside the accepted bounds (a database written by an
   * older version): kept in `usage_quarantine`, left out of totals and exports. Absent where the backend has none.
   */
  quarantined?: number
  /** Bytes on disk, where the backend knows. */
  bytes?: number
}

export interface UsageStore {
  readonly kind: "memory" | "sqlite" | "postgres"
  /** Stores records (node already set), counting a record whose identity exists as a duplicate. Atomic per call. */
  insert(records: readonly StoredRecord[]): Promise<InsertResult>
  /**
   * Stores several batches in ONE transaction (group commit: concurrent requests share a commit) and reports
   * per batch. Resolves only after the commit.
   */
  insertBatches(batches: readonly (readonly StoredRecord[])[]): Promise<InsertResult[]>
  /** Sums per value of `groupBy` over the records matching `filter`. Groups with no calls are absent. */
  aggregate(filter: RecordFilter, groupBy: GroupBy): Promise<AggregateRow[]>
  /**
   * Optional: answers several aggregates at once (e.g. in one statement); answer i equals
   * `aggregate(requests[i].filter, requests[i].groupBy)` (its `nodes` empty where the request says `nodes: false`). `runPlan` uses it for each plan step when present.
   */
  aggregateMany?(requests: readonly AggregateRequest[]): Promise<AggregateRow[][]>
  /** The matching records in (timestamp, node, id) order, in chunks of about `chunkSize`. */
  iterate(filter: RecordFilter, chunkSize?: number): AsyncIterable<UsageRecord[]>
  /**
   * Deletes the matching records and takes their sums out of every rollup in the same transaction, so totals
   * equal a recomputation from the remaining records (retention, or undoing a wrong import). `dryRun` only
   * counts. Rollup rows whose token sums saturated at 2^63 - 1 stay saturated.
   */
  prune(filter: PruneFilter, options?: { dryRun?: boolean }): Promise<PruneResult>
  /**
   * The sessions matching `filter` (src/lib/store/sessions.ts says which), newest last call first, from the
   * session aggregate kept at insert (no scan of records), and the calls without a session in the range.
   */
  sessions(filter: SessionsFilter): Promise<SessionsResult>
  /** Each node that sent records: its last receipt time and its calls in [now - 1 h, now). */
  nodes(now: Date): Promise<NodeActivity[]>
  stats(): Promise<StoreStats>
  close(): Promise<void>
}

/** A store that can also answer synchronously (the in-memory one), used by the tracker's synchronous API. */
export interface SyncAggregator {
  aggregateSync(filter: RecordFilter, groupBy: GroupBy): AggregateRow[]
}

export function emptyAggregate(key: string): AggregateRow {
  return {
    key,
    calls: 0,
    costNanos: 0n,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    unpricedCalls: 0,
    nodes: [],
  }
}

/** The PruneResult of the removed records' instants (UTC ms) and costs (nano-dollars). */
export function pruneResultOf(removed: Iterable<{ ts: number | string; costNanos: number | string }>): PruneResult {
  const result: PruneResult = { records: 0, costNanos: 0n }
  let first = Number.POSITIVE_INFINITY
  let last = Number.NEGATIVE_INFINITY
  for (const r of removed) {
    const ts = Number(r.ts)
    result.records += 1
    result.costNanos += BigInt(r.costNanos)
    if (ts < first) first = ts
    if (ts > last) last = ts
  }
  if (result.records > 0) {
    result.first = new Date(first)
    result.last = new Date(last)
  }
  return result
}
