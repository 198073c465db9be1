import { UsageCommand } from "../lib/cli/base-command.js"
import { filterFlags, sourceFlags } from "../lib/cli/flags.js"
import { Flags } from "../lib/cli/oclif.js"
import { type ExportResult, runExport } from "../lib/cli/run-export.js"
import { EXPORT_FORMATS } from "../lib/export-format.js"

const formats = ["csv", "json", "ndjson", "format"]
const others = (self: string) => formats.filter((f) => f !== self)

export default class Export extends UsageCommand {
  static override summary = "Export usage records as JSON, NDJSON or CSV (streamed)."
  static override description =
    "Streams every matching record from the source (--endpoint, --db, --file, else the configured backend, " +
    "else the default store) in (timestamp, node, id) order, with bounded memory. JSON (an array) by default; " +
    "CSV has the API's columns and defuses spreadsheet formulas. --output writes the file atomically."
  static override examples = [
    { description: "Everything, as JSON on stdout", command: "<%= config.bin %> <%= command.id %> > usage.json" },
    {
      description: "October's anthropic calls as CSV",
      command:
        "<%= config.bin %> <%= command.id %> --csv --provider anthropic --since 2026-10-01 --until 2026-11-01 --output october.csv",
    },
    {
      description: "One node from the central service, as NDJSON",
      command: "<%= config.bin %> <%= command.id %> --ndjson --node build-07 --endpoint http://master-node:3001",
    },
  ]
  static override flags = {
    ...sourceFlags,
    ...filterFlags,
    json: Flags.boolean({ description: "Write a JSON array (the default).", exclusive: others("json") }),
    ndjson: Flags.boolean({ description: "Write one JSON record per line.", exclusive: others("ndjson") }),
    csv: Flags.boolean({ description: "Write CSV (header row, formulas defused).", exclusive: others("csv") }),
    format: Flags.string({
      description: "The format, instead of --json/--ndjson/--csv.",
      options: [...EXPORT_FORMATS],
      exclusive: others("format"),
    }),
    output: Flags.string({ char: "o", description: "Write to this file (atomically) instead of stdout." }),
  }

  async run(): Promise<ExportResult> {
    const { flags } = await this.parse(Export)
    const result = await runExport(flags)
    if (result.output) this.logToStderr(`Exported ${result.records} records to ${result.output} (${result.format}).`)
    return result
  }
}
