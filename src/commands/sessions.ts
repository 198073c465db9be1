import { UsageCommand } from "../lib/cli/base-command.js"
import { sessionsCommand, sessionsFlags } from "../lib/cli/run-sessions.js"
import type { SessionsJson } from "../lib/query/sessions.js"

export default class Sessions extends UsageCommand {
  static override summary =
    "Show usage per session: first and last call, node, agent, project, models, cost and tokens."
  static override description =
    "Sessions are keyed by node and session id; a session is listed when its last call lies in the range (all data " +
    "unless --since/--until/--last), newest last call first, at most --limit (default 50). Filters by provider, model, " +
    "agent or project list the sessions with a call that matches, with the whole session's sums. Calls without a " +
    "session id are left out and counted under the table. Reads the same sources as `usage summary`; --json prints " +
    "the API's answer (GET /api/usage/sessions)."
  static override examples = [
    { description: "The 50 newest sessions, every provider", command: "<%= config.bin %> <%= command.id %>" },
    {
      description: "This week's sessions of one node, from the central service",
      command: "<%= config.bin %> <%= command.id %> --last 7d --node build-07 --endpoint http://master-node:3001",
    },
    {
      description: "The 10 newest Claude Code sessions as JSON, from a store",
      command: "<%= config.bin %> <%= command.id %> --agent claude-code --limit 10 --db ./usage.db --json",
    },
  ]
  static override enableJsonFlag = true
  static override flags = sessionsFlags

  async run(): Promise<SessionsJson> {
    const { flags } = await this.parse(Sessions)
    return sessionsCommand(flags, { json: this.jsonEnabled(), log: (text) => this.log(text) })
  }
}
