/**
 * `usage sessions` for people: one row per session (last call in the report's zone, session, node, agent,
 * project, duration, cost, calls, tokens, models), a Total row over the sessions listed, and a footer with the
 * calls that had no session id; compact keeps last call, session, node, cost and calls. No session is one line.
 */
import type { SessionJson, SessionsJson, SessionTotals } from "../query/sessions.js"
import { type Align, formatCount, formatDate, formatUsd, PLAIN, renderTable, type TableStyle } from "./format.js"

/** `2h 05m`, `12m 30s`, `45s`, `0s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000)
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`
  if (m > 0) return `${m}m ${String(s).padStart(2, "0")}s`
  return `${s}s`
}

function numbers(t: SessionTotals, compact: boolean): string[] {
  const base = [formatUsd(t.totalCost), formatCount(t.callCount)]
  if (compact) return base
  return [
    ...base,
    formatCount(t.inputTokens),
    formatCount(t.outputTokens),
    formatCount(t.cacheReadTokens),
    formatCount(t.cacheWriteTokens),
    formatCount(t.reasoningTokens),
  ]
}

function withoutSessionLine(json: SessionsJson): string | undefined {
  const { callCount, totalCost } = json.withoutSession
  if (callCount === 0) return undefined
  return `${formatCount(callCount)} call${callCount === 1 ? "" : "s"} without a session id (${formatUsd(totalCost)}) not listed.`
}

export function renderSessions(json: SessionsJson, style: TableStyle = PLAIN): string {
  const { compact, colour } = style
  const footer = withoutSessionLine(json)
  if (json.sessions.length === 0) {
    const range = json.since || json.until ? " in this range" : ""
    return `No sessions found${range}.${footer ? ` ${footer}` : ""}`
  }
  const head = compact
    ? ["Last call", "Session", "Node", "Cost", "Calls"]
    : ["Last call", "Session", "Node", "Agent", "Project", "Duration", "Cost", "Calls", "Input", "Output"]
  if (!compact) head.push("Cache read", "Cache write", "Reasoning", "Models")
  const firstNumber = head.indexOf("Cost")
  const align: Align[] = head.map((h, i) =>
    (i >= firstNumber && h !== "Models") || h === "Duration" ? "right" : "left",
  )
  const cells = (s: SessionJson): string[] => {
    const who = compact ? [] : [s.agent ?? "", s.project ?? "", formatDuration(s.durationMs)]
    const models = compact ? [] : [s.models.join(", ")]
    return [formatDate(new Date(s.lastCall), json.tz), s.sessionID, s.node, ...who, ...numbers(s, compact), ...models]
  }
  const rows = json.sessions.map(cells)
  const label = `Total (${formatCount(json.sessions.length)} session${json.sessions.length === 1 ? "" : "s"})`
  rows.push([
    label,
    "",
    "",
    ...(compact ? [] : ["", "", ""]),
    ...numbers(json.totals, compact),
    ...(compact ? [] : [""]),
  ])
  const table = renderTable(head, rows, {
    align,
    colour,
    totalRows: [rows.length - 1],
    costColumns: [firstNumber],
  })
  return [`Sessions (${json.tz})`, table, ...(footer ? [footer] : [])].join("\n")
}
