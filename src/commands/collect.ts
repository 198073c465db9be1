import { UsageCommand } from "../lib/cli/base-command.js"
import { agentDirFlags, configFlag, nodeFlag, targetFlags } from "../lib/cli/flags.js"
import { Flags } from "../lib/cli/oclif.js"
import { type CollectReport, runCollect } from "../lib/cli/run-collect.js"

export default class Collect extends UsageCommand {
  static override summary =
    "Collect the calls in Claude Code's, Codex's, OpenCode's and Gemini CLI's own logs on this node."
  static override description =
    "Reads the agents' local logs (never writing into their folders) and delivers each call as a record with " +
    "its agent, project, tokens (cache and reasoning kept) and cost (the one the agent logged, else priced from " +
    "the model catalogue with cache prices; usage.prices in the config wins) to --db or --endpoint (or " +
    "USAGE_DB / USAGE_ENDPOINT), else the default store, like migrate-file. Without agent names it collects every " +
    "agent whose data it finds, and says which. Incremental (a cursor per file and target in " +
    "$XDG_STATE_HOME/usage-hub/collect) and idempotent (a call collected twice counts once), so it is safe from " +
    "cron; --watch collects every --interval seconds until interrupted. One collector per target runs at a time."
  static override examples = [
    { description: "Every agent found, into the default store", command: "<%= config.bin %> <%= command.id %>" },
    {
      description: "Claude Code and Codex into the central service",
      command:
        "<%= config.bin %> <%= command.id %> claude codex --endpoint http://master-node:3001 --token $USAGE_TOKEN",
    },
    {
      description: "Keep collecting every 30 seconds",
      command: "<%= config.bin %> <%= command.id %> --watch --interval 30",
    },
    {
      description: "What would be new, as JSON",
      command: "<%= config.bin %> <%= command.id %> --dry-run --json",
    },
    {
      description: "Two Claude Code config folders",
      command: "<%= config.bin %> <%= command.id %> claude --claude-dir ~/.claude,~/work-claude",
    },
  ]
  static override enableJsonFlag = true
  static override strict = false
  static override args = {}
  static override flags = {
    ...targetFlags,
    config: configFlag,
    node: nodeFlag,
    ...agentDirFlags,
    "dry-run": Flags.boolean({ description: "Read the logs and count what would be new; write nothing." }),
    watch: Flags.boolean({ description: "Keep collecting every --interval seconds, until SIGINT or SIGTERM." }),
    interval: Flags.string({ description: "Seconds between rounds of --watch (default 10)." }),
    "state-dir": Flags.string({
      description: "Where the cursors and the lock are kept (default $XDG_STATE_HOME/usage-hub/collect).",
    }),
  }

  async run(): Promise<CollectReport | undefined> {
    const { argv, flags } = await this.parse(Collect)
    const json = this.jsonEnabled()
    const view = json ? undefined : await import("../lib/cli/collect-view.js")
    const interval = flags.interval === undefined ? undefined : Number(flags.interval)
    if (interval !== undefined && (flags.interval?.trim() === "" || Number.isNaN(interval))) {
      this.badUsage(`--interval: give a number of seconds (got "${flags.interval}")`)
    }
    const report = await runCollect(
      {
        agents: argv as string[],
        db: flags.db,
        endpoint: flags.endpoint,
        token: flags.token,
        node: flags.node,
        config: flags.config,
        dryRun: flags["dry-run"],
        watch: flags.watch,
        interval,
        stateDir: flags["state-dir"],
        opencodeDir: flags["opencode-dir"],
        claudeDir: flags["claude-dir"],
        codexDir: flags["codex-dir"],
        geminiDir: flags["gemini-dir"],
      },
      {
        onStart: (start) => view && this.log(view.renderCollectStart(start)),
        onWaiting: (pid) =>
          process.stderr.write(`Waiting: another usage collect is running (pid ${pid ?? "unknown"})\n`),
        onAgent: (agent, dryRun) => {
          if (!view) {
            for (const w of agent.warnings) process.stderr.write(`Warning: ${w}\n`)
            return
          }
          // Watching: a round with nothing new for an agent says nothing.
          if (flags.watch && agent.new === 0 && agent.pending === 0 && agent.warnings.length === 0) return
          const out = view.renderAgent(agent, dryRun)
          this.log(out.stdout)
          for (const line of out.stderr) process.stderr.write(`${line}\n`)
        },
        // Watching with --json: one JSON line per round.
        onRound: (round) => {
          if (json && flags.watch) process.stdout.write(`${JSON.stringify(round)}\n`)
        },
      },
    )
    if (flags.watch) return undefined
    // Calls handed to the spool but not delivered (the service is down): safe, but the run did not finish its job.
    if (Object.values(report.agents).some((a) => a.pending > 0)) {
      if (json) this.logJson(report)
      this.exit(1)
    }
    return report
  }
}
