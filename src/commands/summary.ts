import { UsageCommand } from "../lib/cli/base-command.js"
import { UsageHubError } from "../lib/errors.js"

export default class Summary extends UsageCommand {
  static override summary = "Show spend per provider for the current billing period, or any range."
  static override examples = ["<%= config.bin %> <%= command.id %>"]

  async run(): Promise<void> {
    await this.parse(Summary)
    throw new UsageHubError("NOT_IMPLEMENTED", "usage summary is not implemented yet")
  }
}
