/**
 * The in-memory store: records in an array with an identity index. It backs the FileAdapter's queries, the
 * tracker's synchronous analytics and local fallbacks, and is the reference the contract suite holds the
 * SQLite and PostgreSQL stores to. Pure JavaScript: safe for the package root.
 */
import { toNanos } from "../../money.js"
import { identityKey, type StoredRecord, type UsageRecord } from "../../record.js"
import type { GroupBy } from "../../summary-types.js"
import {
  HOUR_MS,
  type NodeActivity,
  nodeActivity,
  type SessionsFilter,
  type SessionsResult,
  sessionsOfRecords,
} from "../sessions.js"
import type {
  AggregateRow,
  InsertResult,
  PruneFilter,
  PruneResult,
  RecordFilter,
  StoreStats,
  SyncAggregator,
  UsageStore,
} from "../store.js"
import { emptyAggregate, pruneResultOf } from "../store.js"

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

export function matchesFilter(record: UsageRecord, filter: RecordFilter): boolean {
  if (filter.provider !== undefined && record.provider !== filter.provider) return false
  if (filter.node !== undefined && (record.node ?? "unknown") !== filter.node) return false
  if (filter.model !== undefined && record.model !== filter.model) return false
  if (filter.agent !== undefined && record.agent !== filter.agent) return false
  if (filter.project !== undefined && record.project !== filter.project) return false
  const t = record.timestamp.getTime()
  if (filter.since && t < filter.since.getTime()) return false
  if (filter.until && t >= filter.until.getTime()) return false
  return true
}

/** Groups records and sums them exactly (integer nano-dollars). Records without a node count as node "unknown". */
export function aggregateRecords(
  records: Iterable<UsageRecord>,
  filter: RecordFilter,
  groupBy: GroupBy,
): AggregateRow[] {
  const groups = new Map<string, AggregateRow & { nodeSet: Set<string> }>()
  for (const r of records) {
    if (!matchesFilter(r, filter)) continue
    const node = r.node ?? "unknown"
    const key = groupBy === "node" ? node : (r[groupBy] ?? "")
    let g = groups.get(key)
    if (!g) {
      g = { ...emptyAggregate(key), nodeSet: new Set() }
      groups.set(key, g)
    }
    g.calls += 1
    g.costNanos += BigInt(toNanos(r.estimatedCost))
    g.inputTokens += r.inputTokens
    g.outputTokens += r.outputTokens
    g.cacheReadTokens += r.cacheReadTokens ?? 0
    g.cacheWriteTokens += r.cacheWriteTokens ?? 0
    g.reasoningTokens += r.reasoningTokens ?? 0
    if (r.unpriced) g.unpricedCalls += 1
    g.nodeSet.add(node)
  }
  return [...groups.values()].map(({ nodeSet, ...row }) => ({ ...row, nodes: [...nodeSet].sort() }))
}

export class MemoryStore implements UsageStore, SyncAggregator {
  readonly kind = "memory" as const
  private records: UsageRecord[] = []
  private readonly keys = new Set<string>()
  /** Each node's receipt time of its last new record (this process's clock). */
  private readonly received = new Map<string, number>()

  constructor(records: Iterable<UsageRecord> = []) {
    for (const r of records) this.add(r)
  }

  /** Adds one record unless its identity is present; returns whether it was new. */
  add(record: UsageRecord): boolean {
    const key = identityKey(record)
    if (this.keys.has(key)) return false
    this.keys.add(key)
    this.records.push(record)
    this.received.set(record.node ?? "unknown", Date.now())
    return true
  }

  all(): readonly UsageRecord[] {
    return this.records
  }

  async insert(records: readonly StoredRecord[]): Promise<InsertResult> {
    let accepted = 0
    for (const r of records) if (this.add(r)) accepted += 1
    return { accepted, duplicates: records.length - accepted }
  }

  async insertBatches(batches: readonly (readonly StoredRecord[])[]): Promise<InsertResult[]> {
    return Promise.all(batches.map((batch) => this.insert(batch)))
  }

  aggregateSync(filter: RecordFilter, groupBy: GroupBy): AggregateRow[] {
    return aggregateRecords(this.records, filter, groupBy)
  }

  async aggregate(filter: RecordFilter, groupBy: GroupBy): Promise<AggregateRow[]> {
    return this.aggregateSync(filter, groupBy)
  }

  async *iterate(filter: RecordFilter, chunkSize = 1000): AsyncIterable<UsageRecord[]> {
    const rows = this.records
      .filter((r) => matchesFilter(r, filter))
      .sort(
        (a, b) =>
          a.timestamp.getTime() - b.timestamp.getTime() ||
          compareText(a.node ?? "", b.node ?? "") ||
          compareText(a.id, b.id),
      )
    for (let i = 0; i < rows.length; i += chunkSize) yield rows.slice(i, i + chunkSize)
  }

  async prune(filter: PruneFilter, options: { dryRun?: boolean } = {}): Promise<PruneResult> {
    const matches = (r: UsageRecord) =>
      r.timestamp.getTime() < filter.before.getTime() &&
      (filter.node === undefined || (r.node ?? "unknown") === filter.node) &&
      (filter.provider === undefined || r.provider === filter.provider)
    const removed = this.records.filter(matches)
    const result = pruneResultOf(
      removed.map((r) => ({ ts: r.timestamp.getTime(), costNanos: toNanos(r.estimatedCost) })),
    )
    if (!options.dryRun && removed.length > 0) {
      this.records = this.records.filter((r) => !matches(r))
      for (const r of removed) this.keys.delete(identityKey(r))
    }
    return result
  }

  /** Sessions computed from the records (this store is the reference the SQL stores' aggregates are held to). */
  async sessions(filter: SessionsFilter): Promise<SessionsResult> {
    return sessionsOfRecords(this.records, filter)
  }

  async nodes(now: Date): Promise<NodeActivity[]> {
    const lastHour = this.aggregateSync({ since: new Date(now.getTime() - HOUR_MS), until: now }, "node")
    return nodeActivity(
      [...this.received].map(([node, lastReceivedAt]) => ({ node, lastReceivedAt })),
      lastHour,
    )
  }

  async stats(): Promise<StoreStats> {
    return { records: this.records.length }
  }

  async close(): Promise<void> {}
}
