/**
 * What every agent-log reader (src/lib/collect/readers/<agent>.ts) gives the collector: the sources it finds in
 * the agent's data folder, and the calls that are new in a source since a cursor. Readers only read: nothing
 * is ever written to an agent's folder. Identity, node, pricing and delivery are the collector's
 * (src/lib/collect/collect.ts), so a reader stays a small parser of one agent's real format.
 */

/** The agents `usage collect` reads, by their CLI name. */
export const AGENT_NAMES = ["opencode", "claude", "codex", "gemini"] as const
export type AgentName = (typeof AGENT_NAMES)[number]

/** The record's `agent` field for each reader (DESIGN "The usage record"). */
export const AGENT_FIELD: Record<AgentName, string> = {
  opencode: "opencode",
  claude: "claude-code",
  codex: "codex",
  gemini: "gemini-cli",
}

/** One source of an agent: a log file or a database, by absolute path. */
export interface SourceRef {
  agent: AgentName
  path: string
  kind: "jsonl" | "json" | "sqlite"
}

/**
 * Where reading a source stopped, so the next run reads only what is new: the file's size and mtime when read,
 * the byte offset after its last complete line (JSONL), or the newest `time_updated` seen (OpenCode's database).
 */
export interface SourceCursor {
  size: number
  mtimeMs: number
  offset?: number
  updatedAt?: number
}

/** One model call as the agent logged it, before identity, node and pricing are settled by the collector. */
export interface CollectedCall {
  /** The agent-prefixed identity (DESIGN: `opencode:<message id>`, `claude-code:<message.id>:<requestId>`, ...). */
  id: string
  /** The instant the source first shows the call. */
  timestamp: Date
  provider: string
  model: string
  /** Input tokens without the cached part. */
  inputTokens: number
  outputTokens: number
  cacheReadTokens: number
  cacheWriteTokens: number
  /** Of the cache writes, those kept for an hour (Claude Code's 1-hour cache: priced at their own, higher rate). */
  cacheWrite1hTokens?: number
  reasoningTokens: number
  /** The output count already includes the reasoning tokens (Codex logs it so): reasoning is not priced twice. */
  reasoningInOutput?: boolean
  /** The cost the agent logged (USD), when it logged one above 0; else the collector prices the call. */
  costUSD?: number
  sessionID?: string
  /** The working directory's name. */
  project?: string
  /** "primary", "subagent", or the agent's mode. */
  taskType: string
}

/** Lines or files a reader passed over, by reason ("not JSON", "synthetic model", ...). */
export type SkipCounts = Record<string, number>

export interface ReadResult {
  calls: CollectedCall[]
  /** The cursor to store once these calls are delivered. */
  cursor: SourceCursor
  skipped: SkipCounts
  /** One line per problem worth telling (e.g. a file that does not parse, naming it). */
  warnings: string[]
  /** Facts worth a line in the report (e.g. Codex calls whose model was assumed). */
  notes?: SkipCounts
}

export interface AgentReader {
  readonly agent: AgentName
  /** The agent's sources under `dir` (its data folder); [] when it has none. */
  sources(dir: string): Promise<SourceRef[]>
  /** The calls new in `source` since `cursor` (undefined: from the start). */
  read(source: SourceRef, cursor: SourceCursor | undefined): Promise<ReadResult>
}
