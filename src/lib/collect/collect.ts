/**
 * The collector of `usage collect`: for each chosen agent, finds its sources (src/lib/collect/readers), reads each
 * from its cursor, settles what readers leave open (the call's identity timestamp: the first one seen of its id,
 * remembered in the state; the node; the price of a call its agent logged no cost for; `agent`), delivers the
 * records to the target (src/lib/cli/collect-sink.ts), and only then moves the cursors on. A round that fails to
 * deliver leaves the state as it was: the next round reads the same calls again, and identity counts any that
 * arrived as duplicates.
 */
import type { CallPrices } from "../pricing/call-cost.js"
import type { StoredRecord } from "../record.js"
import type { AgentName, AgentReader, CollectedCall, SkipCounts, SourceCursor, SourceRef } from "./reader.js"
import type { CollectState } from "./state.js"

/** An agent to collect: its reader and its data folders (Claude Code may have several). */
/** Where the collector delivers (implemented by the CLI: src/lib/cli/collect-sink.ts). */
export interface Settled {
  accepted: number
  duplicates: number
  /** Records handed over but not acknowledged yet (they stay in the spool). */
  pending: number
  warning?: string
}

export interface CollectSink {
  readonly kind: "store" | "endpoint"
  /** Where records go, for messages (no secrets). */
  readonly location: string
  write(batch: StoredRecord[]): Promise<{ accepted: number; duplicates: number }>
  /** What the writes since the last settle came to, once acknowledged (or the deadline passed). */
  settle(): Promise<Settled>
  close(): Promise<void>
}

export interface AgentSource {
  agent: AgentName
  reader: AgentReader
  dirs: string[]
}

/** What a round did for one agent (the one-line report; `--json`). */
export interface AgentReport {
  agent: AgentName
  /** Sources found (files, databases). */
  files: number
  /** Calls read that were new to the cursors (a copy of a call counts each time it is read). */
  calls: number
  /** Stored by this round (a dry run: would be). */
  new: number
  /** Already at the target (collected before, or a copy of a call). */
  duplicates: number
  /** Given to the target but not acknowledged yet (kept in the spool, delivered by the next round). */
  pending: number
  skipped: SkipCounts
  notes: SkipCounts
  warnings: string[]
}

export interface RoundOptions {
  agents: AgentSource[]
  state: CollectState
  sink: CollectSink
  /** The node of every record (`--node`, else this machine's node id). */
  node: string
  /** `usage.prices` of the config: by model name, winning over the catalogue. */
  prices?: Readonly<Record<string, CallPrices>>
  /** Read and count; write neither records nor state. */
  dryRun: boolean
  /** A progress display per agent (sources read), e.g. the CLI's progress bar. */
  progress?: (agent: AgentName, sources: number) => { update(done: number, total: number): void; done(): void }
  /** Told each agent's report as soon as it is done. */
  onAgent?: (report: AgentReport) => void
}

/** Records per delivery (one store transaction, or one spool append). */
export const COLLECT_BATCH = 5000

/** The sources of an agent over its folders, each path once. */
export async function findSources(agent: AgentSource): Promise<SourceRef[]> {
  const seen = new Set<string>()
  const out: SourceRef[] = []
  for (const dir of agent.dirs) {
    for (const source of await agent.reader.sources(dir)) {
      if (seen.has(source.path)) continue
      seen.add(source.path)
      out.push(source)
    }
  }
  return out
}

function addCounts(into: SkipCounts, from: SkipCounts | undefined): void {
  for (const [reason, n] of Object.entries(from ?? {})) into[reason] = (into[reason] ?? 0) + n
}

/** One agent: read every source from its cursor, settle identity, deliver, then move the cursors on. */
async function collectAgent(agent: AgentSource, options: RoundOptions): Promise<AgentReport> {
  const { state, sink, node, prices, dryRun } = options
  const report: AgentReport = {
    agent: agent.agent,
    files: 0,
    calls: 0,
    new: 0,
    duplicates: 0,
    pending: 0,
    skipped: {},
    notes: {},
    warnings: [],
  }
  const sources = await findSources(agent)
  report.files = sources.length
  const progress = options.progress?.(agent.agent, sources.length)
  const calls: CollectedCall[] = []
  const cursors = new Map<string, SourceCursor>()
  try {
    for (const [i, source] of sources.entries()) {
      const result = await agent.reader.read(source, state.cursor(source.path))
      for (const call of result.calls) calls.push(call)
      cursors.set(source.path, result.cursor)
      addCounts(report.skipped, result.skipped)
      addCounts(report.notes, result.notes)
      report.warnings.push(...result.warnings)
      progress?.update(i + 1, sources.length)
    }
  } finally {
    progress?.done()
  }
  report.calls = calls.length

  // Identity: an id keeps the first timestamp the state remembers; a new id the earliest this round read.
  const firstSeen = new Map<string, number>()
  for (const call of calls) {
    if (state.firstSeen(call.id) !== undefined) continue
    const t = call.timestamp.getTime()
    const known = firstSeen.get(call.id)
    if (known === undefined || t < known) firstSeen.set(call.id, t)
  }
  // The records (pricing, the record schema) are built only when a round read calls (a round with nothing new loads
  // neither the catalogue nor the schemas), one batch at a time as they are delivered (100,000 records need not all
  // live at once).
  if (calls.length > 0) {
    const { toRecords } = await import("./records.js")
    const firstOf = (call: CollectedCall) =>
      state.firstSeen(call.id) ?? firstSeen.get(call.id) ?? call.timestamp.getTime()
    const context = { agent: agent.agent, node, prices, firstOf }
    for (let i = 0; i < calls.length; i += COLLECT_BATCH) {
      const records = await toRecords(calls.slice(i, i + COLLECT_BATCH), context, report)
      if (records.length === 0) continue
      const done = await sink.write(records)
      report.new += done.accepted
      report.duplicates += done.duplicates
    }
  }
  const settled = await sink.settle()
  report.new += settled.accepted
  report.duplicates += settled.duplicates
  report.pending = settled.pending
  if (settled.warning) report.warnings.push(settled.warning)

  // Delivered (stored, acknowledged, or safe in the spool): only now do the cursors move on.
  if (!dryRun) {
    state.advance(cursors, firstSeen)
    state.save()
  }
  return report
}

/** One round over the chosen agents, in order. */
export async function collectRound(options: RoundOptions): Promise<AgentReport[]> {
  const reports: AgentReport[] = []
  for (const agent of options.agents) {
    const report = await collectAgent(agent, options)
    reports.push(report)
    options.onAgent?.(report)
  }
  return reports
}
