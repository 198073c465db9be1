/**
 * The records of collected calls (src/lib/collect/collect.ts): identity timestamp, node, agent and cost (the one
 * logged, else priced from the catalogue), each checked by the record's rules. A module of its own so that a round
 * that read no call loads neither the pricing catalogue nor the schemas.
 */
import type { CallPrices } from "../pricing/call-cost.js"
import { priceCall } from "../pricing/call-cost.js"
import type { StoredRecord } from "../record.js"
import { parseRecordFast } from "../record-rules.js"
import type { AgentReport } from "./collect.js"
import { AGENT_FIELD, type AgentName, type CollectedCall } from "./reader.js"

/** The record of a collected call: identity timestamp, node, agent, and its cost (logged, else priced). */
export function callRecord(
  call: CollectedCall,
  agent: AgentName,
  node: string,
  /** The identity timestamp: a Date, or epoch ms. */
  timestamp: Date | number,
  prices: Readonly<Record<string, CallPrices>> = {},
): Record<string, unknown> {
  let cost = call.costUSD
  let unpriced = false
  if (cost === undefined) {
    const priced = priceCall(call, prices)
    cost = priced.cost
    unpriced = priced.unpriced
  }
  const record: Record<string, unknown> = {
    id: call.id,
    timestamp,
    provider: call.provider,
    model: call.model,
    inputTokens: call.inputTokens,
    outputTokens: call.outputTokens,
    estimatedCost: cost,
    taskType: call.taskType,
    node,
    cacheReadTokens: call.cacheReadTokens,
    cacheWriteTokens: call.cacheWriteTokens,
    reasoningTokens: call.reasoningTokens,
    agent: AGENT_FIELD[agent],
  }
  if (call.sessionID) record.sessionID = call.sessionID
  if (call.project) record.project = call.project
  if (unpriced) record.unpriced = true
  return record
}

export interface RecordContext {
  agent: AgentName
  node: string
  prices?: Readonly<Record<string, CallPrices>>
  /** The identity timestamp (epoch ms) of a call. */
  firstOf: (call: CollectedCall) => number
}

/**
 * The valid records of `calls`; an invalid one is counted as skipped, the first of them named in a warning. Each is
 * checked by the record's rules (record-rules.ts); one they do not take goes through the schema (record.ts, zod,
 * loaded then), which gives the error.
 */
export async function toRecords(
  calls: CollectedCall[],
  context: RecordContext,
  report: Pick<AgentReport, "skipped" | "warnings">,
): Promise<StoredRecord[]> {
  const records: StoredRecord[] = []
  for (const call of calls) {
    // The timestamp as epoch ms: the rules make the record's Date of it (one Date per record, not two).
    const value = callRecord(call, context.agent, context.node, context.firstOf(call), context.prices)
    const fast = parseRecordFast(value)
    if (fast) {
      records.push(fast as StoredRecord)
      continue
    }
    const parsed = (await import("../record.js")).parseRecord(value)
    if (!parsed.ok) {
      report.skipped["invalid record"] = (report.skipped["invalid record"] ?? 0) + 1
      if (!report.warnings.some((w) => w.startsWith("invalid record"))) {
        report.warnings.push(`invalid record ${call.id}: ${parsed.error}`)
      }
      continue
    }
    records.push(parsed.record as StoredRecord)
  }
  return records
}
