import { UsageCommand } from "../lib/cli/base-command.js"
import { configFlag, dbFlag, filterFlags } from "../lib/cli/flags.js"
import { Flags } from "../lib/cli/oclif.js"
import { runPrune } from "../lib/cli/run-prune.js"
import { describePrune, type PruneReport } from "../lib/prune-report.js"

export default class Prune extends UsageCommand {
  static override summary = "Delete a store's records before a date (retention, or undoing a wrong import)."
  static override description =
    "Deletes the records before --before (exclusive), optionally only those of --node and/or --provider, from " +
    "--db (or USAGE_DB, else the default store $XDG_DATA_HOME/usage-hub/usage.db), and takes them out of every " +
    "total in the same transaction: afterwards every summary equals that of a store that never held them. Says " +
    "how many records it removed, their cost and their first and last instants; --dry-run only counts. Works on " +
    "a store only (not through the service) and never creates one. A bare date is midnight of that day in --tz."
  static override examples = [
    {
      description: "What a 400-day retention would remove, without removing it",
      command: "<%= config.bin %> <%= command.id %> --db ./usage.db --before 2025-10-01 --dry-run",
    },
    {
      description: "Undo a wrong import of one machine's history",
      command: "<%= config.bin %> <%= command.id %> --db ./usage.db --before 2026-11-13 --node old-laptop",
    },
    {
      description: "One provider's records before an instant, on PostgreSQL, as JSON",
      command:
        "<%= config.bin %> <%= command.id %> --db postgres://usage@db.internal/usage --before 2026-01-01T00:00:00Z --provider openai --json",
    },
  ]
  static override enableJsonFlag = true
  static override flags = {
    db: dbFlag,
    // Declared only to refuse it with a clear message (prune never goes through the service).
    endpoint: Flags.string({ hidden: true }),
    config: configFlag,
    before: Flags.string({
      description: "Delete the records before this ISO date or instant (exclusive; a date is midnight in --tz).",
      required: true,
    }),
    node: filterFlags.node,
    provider: filterFlags.provider,
    tz: filterFlags.tz,
    "dry-run": Flags.boolean({ description: "Count what would be deleted; delete nothing." }),
  }

  async run(): Promise<PruneReport> {
    const { flags } = await this.parse(Prune)
    const report = await runPrune({ ...flags, dryRun: flags["dry-run"] })
    if (!this.jsonEnabled()) this.log(describePrune(report))
    return report
  }
}
