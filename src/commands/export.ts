import { UsageCommand } from "../lib/cli/base-command.js"
import { UsageHubError } from "../lib/errors.js"

export default class Export extends UsageCommand {
  static override summary = "Export usage records as JSON, NDJSON or CSV (streamed)."
  static override examples = ["<%= config.bin %> <%= command.id %>"]

  async run(): Promise<void> {
    await this.parse(Export)
    throw new UsageHubError("NOT_IMPLEMENTED", "usage export is not implemented yet")
  }
}
