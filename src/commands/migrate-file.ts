import { UsageCommand } from "../lib/cli/base-command.js"
import { configFlag, nodeFlag, targetFlags } from "../lib/cli/flags.js"
import { Args, Flags } from "../lib/cli/oclif.js"
import { type MigrateReport, runMigrate } from "../lib/cli/run-migrate.js"

export default class MigrateFile extends UsageCommand {
  static override summary =
    "Import legacy oh-my-opencode-usage.json files (or JSON / NDJSON exports) into a store or the central service, once."
  static override description =
    "Writes to --db or --endpoint (or USAGE_DB / USAGE_ENDPOINT), else the default store " +
    "($XDG_DATA_HOME/usage-hub/usage.db). Reads legacy usage files, JSON arrays of records and NDJSON (what " +
    "`usage export --json` / `--ndjson` write), like `usage push`. Records get --node (default: this machine's " +
    "hostname) unless they carry one. Idempotent: a record already there counts as a duplicate, so running it " +
    "twice, or importing an export of the same store, imports nothing new. A file that is not a usage file is " +
    "refused whole (exit 1); the other files are still imported."
  static override examples = [
    {
      description: "Into the default store",
      command: "<%= config.bin %> <%= command.id %> ~/.config/opencode/oh-my-opencode-usage.json",
    },
    {
      description: "Several machines' files into one store",
      command: "<%= config.bin %> <%= command.id %> laptop.json --node laptop --db ./usage.db",
    },
    {
      description: "Into the central service",
      command: "<%= config.bin %> <%= command.id %> old.json --endpoint http://master-node:3001 --token $USAGE_TOKEN",
    },
    {
      description: "An NDJSON export of another store",
      command: "<%= config.bin %> <%= command.id %> old-store.ndjson --db ./usage.db",
    },
    {
      description: "What would be imported, as JSON",
      command: "<%= config.bin %> <%= command.id %> old.json --dry-run --json",
    },
  ]
  static override enableJsonFlag = true
  static override strict = false
  static override args = {
    file: Args.string({
      description: "Usage files: legacy (oh-my-opencode-usage.json), a JSON array of records, or NDJSON.",
      required: true,
      // Files only: oclif must not read a piped stdin into this argument (it would be taken for a file name).
      ignoreStdin: true,
    }),
  }
  static override flags = {
    ...targetFlags,
    config: configFlag,
    node: nodeFlag,
    "dry-run": Flags.boolean({ description: "Read and check the files, count what would be new; write nothing." }),
  }

  async run(): Promise<MigrateReport> {
    const { argv, flags } = await this.parse(MigrateFile)
    const view = !this.jsonEnabled() ? await import("../lib/cli/migrate-view.js") : undefined
    const report = await runMigrate(
      { ...flags, files: argv as string[], dryRun: flags["dry-run"] },
      {
        onStart: (run) => view && this.log(view.renderMigrateStart(run)),
        onFile: (file, run) => {
          const out = view?.renderMigrateFile(file, run.dryRun)
          if (out?.stdout) this.log(out.stdout)
          if (out?.stderr) process.stderr.write(`${out.stderr}\n`)
        },
      },
    )
    if (view) this.log(view.renderMigrateTotal(report))
    if (report.totals.refused > 0) {
      if (this.jsonEnabled()) this.logJson(report)
      this.exit(1)
    }
    return report
  }
}
