import { UsageCommand } from "../lib/cli/base-command.js"
import { UsageHubError } from "../lib/errors.js"

export default class Trends extends UsageCommand {
  static override summary = "Show a provider's daily cost, calls and tokens over the last N days."
  static override examples = ["<%= config.bin %> <%= command.id %>"]

  async run(): Promise<void> {
    await this.parse(Trends)
    throw new UsageHubError("NOT_IMPLEMENTED", "usage trends is not implemented yet")
  }
}
