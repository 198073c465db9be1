/**
 * The flags shared by the read commands (summary, trends, export): one source (`--endpoint`, `--db` or
 * `--file`), the config file, the time zone and the filters. Defined once; commands spread them.
 */
import { Flags } from "@oclif/core"

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
    description: "Read a legacy oh-my-opencode-usage.json file.",
    exclusive: ["endpoint", "db"],
    helpGroup: "SOURCE",
  }),
  token: Flags.string({
    description: "Bearer token for --endpoint (env USAGE_READ_TOKEN, USAGE_TOKEN).",
    helpGroup: "SOURCE",
  }),
  config: Flags.string({
    description: "Config file (env USAGE_CONFIG; default $XDG_CONFIG_HOME/usage-hub/config.json).",
    helpGroup: "SOURCE",
  }),
  tz: Flags.string({ description: "Time zone of day and period boundaries (IANA name; default: local zone)." }),
}

export const filterFlags = {
  provider: Flags.string({ description: "Only this provider." }),
  node: Flags.string({ description: "Only this node." }),
  since: Flags.string({ description: "From this ISO date or instant (inclusive)." }),
  until: Flags.string({ description: "Until this ISO date or instant (exclusive)." }),
}
