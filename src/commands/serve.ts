import { UsageCommand } from "../lib/cli/base-command.js"
import { UsageHubError } from "../lib/errors.js"

export default class Serve extends UsageCommand {
  static override summary = "Run the central ingestion service (HTTP API, live dashboard) on SQLite or PostgreSQL."
  static override examples = ["<%= config.bin %> <%= command.id %>"]

  async run(): Promise<void> {
    await this.parse(Serve)
    throw new UsageHubError("NOT_IMPLEMENTED", "usage serve is not implemented yet")
  }
}
