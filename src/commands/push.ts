import { UsageCommand } from "../lib/cli/base-command.js"
import { configFlag, endpointFlag, nodeFlag, tokenFlag } from "../lib/cli/flags.js"
import { Args, Flags } from "../lib/cli/oclif.js"
import { runPush } from "../lib/cli/run-push.js"
import type { PushResult } from "../lib/import/push.js"

export default class Push extends UsageCommand {
  static override summary = "Send legacy JSON or NDJSON usage files (or stdin) to the central service."
  static override description =
    "Sends each record through the same spool and delivery code as the plugin's http backend: records are " +
    "spooled on disk first, so what the service does not take now goes with the next push (the service counts " +
    "each record once, so pushing a file twice is harmless). Spools left by dead processes in the spool " +
    "directory go along, including those of a killed process whose lock goes stale within --wait; with " +
    "--spool-dir and no files, push only drains that directory (it does not read stdin). Records without a " +
    "node get --node. The service is --endpoint, else USAGE_ENDPOINT, else the config's usage.http.endpoint. " +
    "When the service stays unreachable, exits 1 saying how many records were delivered."
  static override strict = false
  static override args = {
    file: Args.string({
      description:
        "Legacy JSON usage file, NDJSON file, or - for NDJSON on stdin (repeatable). Without files, a piped stdin is read.",
      // The files are read by push itself: oclif must not read stdin into this argument (it took piped NDJSON
      // for a file name, and left nothing for push to read).
      ignoreStdin: true,
    }),
  }
  static override examples = [
    {
      description: "Send this node's legacy history once, after switching the plugin to backend http",
      command:
        "<%= config.bin %> <%= command.id %> ~/.config/opencode/oh-my-opencode-usage.json --endpoint http://master-node:3001",
    },
    {
      description: "Re-send an export (duplicates are skipped)",
      command:
        "<%= config.bin %> export --db ./old.db --format ndjson | <%= config.bin %> <%= command.id %> - --endpoint http://master-node:3001",
    },
    {
      description: "NDJSON piped in (stdin is read when no file is given)",
      command: "cat records.ndjson | <%= config.bin %> <%= command.id %> --node build-07",
    },
    {
      description: "Deliver what a node's dead processes left in its spool directory (e.g. from cron)",
      command:
        "<%= config.bin %> <%= command.id %> --spool-dir ~/.local/state/usage-hub --endpoint http://master-node:3001",
    },
    {
      description: "Files of another machine, with its node name and a token",
      command: '<%= config.bin %> <%= command.id %> build-07.json --node build-07 --token "$USAGE_TOKEN"',
    },
  ]
  static override enableJsonFlag = true
  static override flags = {
    endpoint: endpointFlag,
    token: tokenFlag,
    node: nodeFlag,
    config: configFlag,
    "spool-dir": Flags.string({
      description:
        "Spool directory (default usage.http.spoolDir, else $XDG_STATE_HOME/usage-hub). Without files: only drain it.",
    }),
    "batch-size": Flags.integer({ description: "Records per request.", default: 5000, min: 1, max: 50_000 }),
    wait: Flags.integer({
      description:
        "Seconds to keep retrying while the service makes no progress, before giving up; a spool still locked by a killed process is waited for if its lock goes stale within them.",
      default: 10,
      min: 0,
    }),
  }

  async run(): Promise<PushResult> {
    const { argv, flags } = await this.parse(Push)
    const progress = Boolean(process.stderr.isTTY) && !this.jsonEnabled()
    const result = await runPush({ ...flags, files: argv as string[] }, { progress })
    if (!this.jsonEnabled()) {
      const { renderPushResult } = await import("../lib/import/push-view.js")
      this.log(renderPushResult(result))
    }
    return result
  }
}
