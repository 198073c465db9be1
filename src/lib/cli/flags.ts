/**
 * Every flag that more than one command takes, declared once with one description and one documented
 * default; commands spread the groups or pick single flags. Environment variables are never read by oclif
 * (no `env:` here or in a command): the resolution modules read them, once, after the flags
 * (src/lib/config-resolution.ts, src/lib/source/resolve-source.ts, src/lib/server/settings.ts), so a flag
 * always wins and an environment variable never clashes with another source's flag. The descriptions name
 * the variable each flag falls back to.
 *
 * - `sourceFlags`: where a read command (summary, trends, export) reads: one of `--endpoint`, `--db`,
 *   `--file`, with the read token and the config file.
 * - `filterFlags`: which records (provider, node, model, agent, project, since, until, last) and the time zone of dates
 *   and periods.
 * - `targetFlags`: where migrate-file writes: `--db` or `--endpoint`, with the ingest token. Alone,
 *   `dbFlag` is the store of `serve` and `prune`, `endpointFlag` and `tokenFlag` the service `push` sends to.
 * - `nodeFlag`: the node an import gives records that carry none (not a filter: that is `filterFlags.node`).
 * - `configFlag`, `tzFlag`: the config file and the time zone, for every command that reads them.
 * - `compactFlag`: narrow tables, for every command that prints one (also automatic below 100 columns).
 */
import { Flags } from "./oclif.js"

export const configFlag = Flags.string({
  description: "Config file (env USAGE_CONFIG; default $XDG_CONFIG_HOME/usage-hub/config.json).",
})

export const tzFlag = Flags.string({
  description: "Time zone of days and billing periods, and of bare dates (IANA name; default: the local zone).",
})

export const compactFlag = Flags.boolean({
  description: "A narrow table with the essential columns (automatic when the terminal is narrower than 100 columns).",
})

/** The one store of a command that works on a store (serve, prune, and migrate-file's --db). */
export const dbFlag = Flags.string({
  description:
    "The store: a SQLite path, :memory: or postgres://… (env USAGE_DB; default $XDG_DATA_HOME/usage-hub/usage.db).",
})

export const nodeFlag = Flags.string({
  description:
    "Node of records that carry none (env USAGE_NODE; else the config's usage.http.nodeId; default: this machine's hostname).",
})

export const sourceFlags = {
  endpoint: Flags.string({
    description: "Read from the central service at this URL (env USAGE_ENDPOINT).",
    exclusive: ["db", "file"],
    helpGroup: "SOURCE",
  }),
  db: Flags.string({
    description: "Read a store directly: a SQLite path or postgres://… (env USAGE_DB).",
    exclusive: ["endpoint", "file"],
    helpGroup: "SOURCE",
  }),
  file: Flags.string({
    description: "Read a legacy oh-my-opencode-usage.json file (env USAGE_FILE).",
    exclusive: ["endpoint", "db"],
    helpGroup: "SOURCE",
  }),
  token: Flags.string({
    description:
      "Read token for --endpoint (env USAGE_READ_TOKEN, then USAGE_TOKEN; else the config's usage.http.readToken, then usage.http.token).",
    helpGroup: "SOURCE",
  }),
  config: configFlag,
}

export const filterFlags = {
  provider: Flags.string({ description: "Only this provider." }),
  node: Flags.string({ description: "Only this node." }),
  model: Flags.string({ description: "Only this model." }),
  agent: Flags.string({ description: "Only this agent (claude-code, codex, opencode, gemini-cli, ...)." }),
  project: Flags.string({ description: "Only this project (the working directory's name)." }),
  since: Flags.string({
    description: "From this date (YYYY-MM-DD or YYYYMMDD: midnight in --tz) or ISO instant, inclusive.",
    exclusive: ["last"],
  }),
  until: Flags.string({
    description: "Until this date, that whole day included (YYYY-MM-DD or YYYYMMDD, in --tz), or before this instant.",
    exclusive: ["last"],
  }),
  last: Flags.string({
    description: "The last N days, weeks or months, ending today, today included (instead of --since/--until).",
    helpValue: "7d|4w|3m",
    exclusive: ["since", "until"],
  }),
  tz: tzFlag,
}

/** The central service a writer sends to (push; migrate-file as an alternative to --db). */
export const endpointFlag = Flags.string({
  description: "Send to the central service at this URL (env USAGE_ENDPOINT).",
})

/** The ingest token a writer sends with (push, migrate-file). */
export const tokenFlag = Flags.string({
  description: "Ingest token for the service (env USAGE_TOKEN; else the config's usage.http.token).",
})

export const targetFlags = {
  db: { ...dbFlag, exclusive: ["endpoint"] } as typeof dbFlag,
  endpoint: { ...endpointFlag, exclusive: ["db"] } as typeof endpointFlag,
  token: tokenFlag,
}

/**
 * The agents' data folders `usage collect` reads (no default here: run-collect.ts resolves the environment
 * variable, then the home folder, each description names).
 */
export const agentDirFlags = {
  "opencode-dir": Flags.string({
    description:
      "OpenCode's data folder (env OPENCODE_DATA_DIR; default $XDG_DATA_HOME/opencode, i.e. ~/.local/share/opencode).",
    helpGroup: "AGENT FOLDERS",
  }),
  "claude-dir": Flags.string({
    description:
      "Claude Code's config folders, comma-separated (env CLAUDE_CONFIG_DIR; default $XDG_CONFIG_HOME/claude and ~/.claude).",
    helpGroup: "AGENT FOLDERS",
  }),
  "codex-dir": Flags.string({
    description: "Codex's home folder (env CODEX_HOME; default ~/.codex).",
    helpGroup: "AGENT FOLDERS",
  }),
  "gemini-dir": Flags.string({
    description: "Gemini CLI's tmp folder holding the chats (env GEMINI_DATA_DIR; default ~/.gemini/tmp).",
    helpGroup: "AGENT FOLDERS",
  }),
}
