import { UsageCommand } from "../lib/cli/base-command.js"
import { compactFlag, filterFlags, sourceFlags } from "../lib/cli/flags.js"
import { Flags } from "../lib/cli/oclif.js"
import { runSummary } from "../lib/cli/run-summary.js"
import { tableStyle } from "../lib/cli/table-style.js"
import { GROUP_BY_VALUES, type UsageSummaryResult } from "../lib/summary-types.js"

export default class Summary extends UsageCommand {
  static override summary = "Show spend per provider for the current billing period, or any range."
  static override description =
    "Reads one source: --endpoint (the central service), --db (a store), --file (a legacy file), else the " +
    "configured backend, else the default store ($XDG_DATA_HOME/usage-hub/usage.db). Each provider answers " +
    "for its own billing period unless --since/--until give a range; --json prints the API's summary shape."
  static override examples = [
    {
      description: "This period, from the central service",
      command: "<%= config.bin %> <%= command.id %> --endpoint http://master-node:3001",
    },
    { description: "Where the money goes, per model", command: "<%= config.bin %> <%= command.id %> --by model" },
    {
      description: "One provider on one node",
      command: "<%= config.bin %> <%= command.id %> --provider anthropic --node build-07",
    },
    {
      description: "October in Paris time, from a store",
      command:
        "<%= config.bin %> <%= command.id %> --db ./usage.db --since 2026-10-01 --until 2026-11-01 --tz Europe/Paris",
    },
    {
      description: "A legacy file, as JSON for scripts",
      command: "<%= config.bin %> <%= command.id %> --file ~/.config/opencode/oh-my-opencode-usage.json --json",
    },
  ]
  static override enableJsonFlag = true
  static override flags = {
    ...sourceFlags,
    ...filterFlags,
    by: Flags.string({ description: "Also break the spend down by this dimension.", options: [...GROUP_BY_VALUES] }),
    order: Flags.string({
      description: "Rows by cost: desc (dearest first, the default) or asc.",
      options: ["desc", "asc"],
      default: "desc",
    }),
    compact: compactFlag,
  }

  async run(): Promise<UsageSummaryResult> {
    const { flags } = await this.parse(Summary)
    // The view module loads while the source answers: it overlaps a server's round trips.
    const view = this.jsonEnabled() ? undefined : import("../lib/cli/summary-view.js")
    view?.catch(() => {})
    const by = flags.by as (typeof GROUP_BY_VALUES)[number] | undefined
    const { result, lastRecordDay } = await runSummary({ ...flags, by }, { hints: view !== undefined })
    if (view) {
      const empty = { provider: flags.provider, lastRecordDay }
      this.log((await view).renderSummary(result, flags.order as "asc" | "desc", empty, tableStyle(flags.compact)))
    }
    return result
  }
}
