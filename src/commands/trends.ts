import { UsageCommand } from "../lib/cli/base-command.js"
import { compactFlag, filterFlags, sourceFlags } from "../lib/cli/flags.js"
import { Args, Flags } from "../lib/cli/oclif.js"
import { parseDays, runTrends } from "../lib/cli/run-trends.js"
import { tableStyle } from "../lib/cli/table-style.js"
import type { TrendData } from "../lib/summary-types.js"

export default class Trends extends UsageCommand {
  static override summary = "Show daily cost over the last N days: every provider side by side, or one in detail."
  static override description =
    "The last N calendar days in --tz (default the local zone), today included; days without usage show " +
    "zeros. Without a provider, one cost column per provider plus the day's total; with one, its calls and " +
    "tokens too. Reads the same sources as `usage summary`; --json prints the API's TrendData (GET " +
    "/api/usage/provider/:provider/trends), or without a provider the list of them (GET /api/usage/trends)."
  static override examples = [
    { description: "The last week, every provider", command: "<%= config.bin %> <%= command.id %>" },
    { description: "The last week of anthropic", command: "<%= config.bin %> <%= command.id %> anthropic" },
    {
      description: "30 days from the central service",
      command: "<%= config.bin %> <%= command.id %> --provider openai --days 30 --endpoint http://master-node:3001",
    },
    {
      description: "One node, as JSON",
      command: "<%= config.bin %> <%= command.id %> --provider anthropic --node build-07 --json",
    },
  ]
  static override enableJsonFlag = true
  static override args = {
    provider: Args.string({ description: "The provider to show (or --provider; default: every provider)." }),
  }
  static override flags = {
    ...sourceFlags,
    provider: Flags.string({ description: "The provider to show (or give it as the argument)." }),
    node: filterFlags.node,
    tz: filterFlags.tz,
    days: Flags.string({ description: "How many days, ending today: 1 to 366 (default 7).", helpValue: "7|30|N" }),
    order: Flags.string({
      description: "Days oldest first (asc, the default) or newest first (desc).",
      options: ["asc", "desc"],
    }),
    compact: compactFlag,
  }

  async run(): Promise<TrendData | TrendData[]> {
    const { args, flags } = await this.parse(Trends)
    // The view module loads while the source answers: it overlaps a server's round trips.
    const view = this.jsonEnabled() ? undefined : import("../lib/cli/trends-view.js")
    view?.catch(() => {})
    const result = await runTrends({ ...flags, argument: args.provider })
    if (view) {
      const { renderAllTrends, renderTrends } = await view
      const style = { ...tableStyle(flags.compact), order: flags.order as "asc" | "desc" | undefined }
      this.log(
        Array.isArray(result) ? renderAllTrends(result, parseDays(flags.days), style) : renderTrends(result, style),
      )
    }
    return result
  }
}
