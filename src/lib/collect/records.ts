/**
 * The records of collected calls (src/lib/collect/collect.ts): identity timestamp, node, agent and cost (the one
 * logged, else priced from the catalogue), each checked by the record schema. A module of its own so that a round
 * that read no call loads neither the pricing catalogue nor the schemas.
 */
import type { CallPrices } from "../pricing/call-cost.js"
import { priceCall } from "../pricing/call-cost.js"
import { parseRecord, type StoredRecord } from "../record.js"
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

/** The valid records of `calls`; an invalid one is counted as skipped, the first of them named in a warning. */
export function toRecords(
  calls: CollectedCall[],
  context: RecordContext,
  report: Pick<AgentReport, "skipped" | "warnings">,
): StoredRecord[] {
  const records: StoredRecord[] = []
  for (const call of calls) {
    // The timestamp as epoch ms: the schema makes the record's Date of it (one Date per record, not two).
    const parsed = parseRecord(callRecord(call, context.agent, context.node, context.firstOf(call), context.prices))
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
