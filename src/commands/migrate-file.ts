import { UsageCommand } from "../lib/cli/base-command.js"
import { UsageHubError } from "../lib/errors.js"

export default class MigrateFile extends UsageCommand {
  static override summary = "Import legacy oh-my-opencode-usage.json files into a store or the central service, once."
  static override examples = ["<%= config.bin %> <%= command.id %>"]

  async run(): Promise<void> {
    await this.parse(MigrateFile)
    throw new UsageHubError("NOT_IMPLEMENTED", "usage migrate-file is not implemented yet")
  }
}
