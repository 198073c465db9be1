import { UsageCommand } from "../lib/cli/base-command.js"
import { configFlag, dbFlag, tzFlag } from "../lib/cli/flags.js"
import { Flags } from "../lib/cli/oclif.js"
import { runServe } from "../lib/cli/run-serve.js"
import type { ServeResult } from "../lib/server/run.js"
import { LOG_LEVELS, SYNCHRONOUS_MODES } from "../lib/server/settings.js"

export default class Serve extends UsageCommand {
  static override summary = "Run the central ingestion service (HTTP API, live dashboard) on SQLite or PostgreSQL."
  static override description =
    "Listens on 127.0.0.1:3001 by default and serves the HTTP API (POST /ingest/usage, GET /api/usage/…), /metrics, /healthz, /openapi.json and the live dashboard at /. A 2xx from /ingest/usage means the records are committed. Stops cleanly on SIGTERM/SIGINT. Budgets and alert webhooks come from the config file's service object (--config; re-read on SIGHUP and when the file changes; docs/budgets.md). Listening on a non-loopback address needs an ingest token (or --insecure). See docs/api.md and docs/operations.md."
  static override examples = [
    "<%= config.bin %> <%= command.id %>",
    "<%= config.bin %> <%= command.id %> --db /var/lib/usage-hub/usage.db --host 0.0.0.0 --ingest-token /etc/usage-hub/ingest.tokens --read-token /etc/usage-hub/read.tokens",
    '<%= config.bin %> <%= command.id %> --db postgres://usage@db.internal/usage --host 0.0.0.0 --ingest-token "$NEW,$OLD"',
    "<%= config.bin %> <%= command.id %> --db :memory: --port 0",
    "<%= config.bin %> <%= command.id %> --db /var/lib/usage-hub/usage.db --synchronous full",
    "<%= config.bin %> <%= command.id %> --db /var/lib/usage-hub/usage.db --retain 400d",
    "<%= config.bin %> <%= command.id %> --db /var/lib/usage-hub/usage.db --config /etc/usage-hub/config.json --tz Europe/Paris",
  ]

  static override flags = {
    port: Flags.integer({ description: "Port to listen on (0: any free port).", default: 3001, min: 0, max: 65535 }),
    host: Flags.string({ description: "Address to listen on.", default: "127.0.0.1" }),
    db: dbFlag,
    tz: tzFlag,
    "ingest-token": Flags.string({
      description:
        "Token(s) required to POST /ingest/* (env USAGE_INGEST_TOKEN): comma-separated (a # is part of the token), or a file with one per line (# comments; re-read on change and on SIGHUP; emptied, it refuses every token). At least 16 characters on a non-loopback address.",
    }),
    "read-token": Flags.string({
      description:
        "Token(s) required for /api/* and /metrics (env USAGE_READ_TOKEN): comma-separated, or a file (re-read on change and on SIGHUP).",
    }),
    "tls-cert": Flags.string({ description: "TLS certificate (PEM) to serve HTTPS.", dependsOn: ["tls-key"] }),
    "tls-key": Flags.string({ description: "TLS private key (PEM).", dependsOn: ["tls-cert"] }),
    insecure: Flags.boolean({
      description: "Allow a non-loopback address without an ingest token, or with tokens shorter than 16 characters.",
      default: false,
    }),
    config: configFlag,
    synchronous: Flags.option({
      description:
        "SQLite durability (env USAGE_SQLITE_SYNCHRONOUS; default normal): normal = a 2xx survives a crash or kill -9 of the service, the last commits may be lost on a power loss; full = fsync every commit, a 2xx also survives a power loss. Ignored for PostgreSQL.",
      options: SYNCHRONOUS_MODES,
    })(),
    "headers-timeout": Flags.integer({
      description: "Seconds a client has to send a request's headers (default 10).",
      min: 1,
    }),
    "request-timeout": Flags.integer({
      description: "Seconds a client has to send a whole request, body included (default 30; 0: no limit).",
      min: 0,
    }),
    "idle-timeout": Flags.integer({
      description: "Seconds without a byte either way before a connection is closed (default 120; 0: never).",
      min: 0,
    }),
    "keep-alive-timeout": Flags.integer({
      description: "Seconds an idle keep-alive connection waits for its next request (default 72).",
      min: 1,
    }),
    "max-connections": Flags.integer({
      description:
        "Connections held at once; more are closed on arrival (default 10000, or the open-file limit less 512 when lower; 0: no cap).",
      min: 0,
    }),
    "stream-interval-ms": Flags.integer({
      description:
        "Least milliseconds between two live updates of one dashboard query (default 1000; commits meanwhile are folded into one update).",
      min: 0,
    }),
    "max-streams-per-token": Flags.integer({
      description:
        "Live streams (open dashboards) one read token, or one address without a token, may hold at once; beyond: 429 (default 1000).",
      min: 1,
    }),
    retain: Flags.string({
      description:
        "Delete records older than this at start and every 24 hours, saying what went: days or weeks, e.g. 400d or 57w (env USAGE_RETAIN; default: keep everything).",
    }),
    "log-level": Flags.option({
      description: "Log level (request logs at info).",
      options: LOG_LEVELS,
      default: "warn",
    })(),
  }

  async run(): Promise<ServeResult> {
    const { flags } = await this.parse(Serve)
    return runServe(flags)
  }
}
