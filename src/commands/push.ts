import { UsageCommand } from "../lib/cli/base-command.js"
import { UsageHubError } from "../lib/errors.js"

export default class Push extends UsageCommand {
  static override summary = "Send legacy JSON or NDJSON usage files (or stdin) to the central service."
  static override examples = ["<%= config.bin %> <%= command.id %>"]

  async run(): Promise<void> {
    await this.parse(Push)
    throw new UsageHubError("NOT_IMPLEMENTED", "usage push is not implemented yet")
  }
}
