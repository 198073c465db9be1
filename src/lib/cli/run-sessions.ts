/**
 * `usage sessions`: the sessions report of the chosen source (src/lib/query/sessions.ts), every provider together
 * unless filtered, the newest sessions by last call over all data or the --since/--until/--last range.
 */

import type { SessionsJson } from "../query/sessions.js"
import type { DimensionFilter } from "../store/store.js"
import { compactFlag, filterFlags, sourceFlags } from "./flags.js"
import { Flags } from "./oclif.js"
import { type ReadFlags, withReadSource } from "./read-source.js"
import { tableStyle } from "./table-style.js"

export interface SessionsFlags extends ReadFlags, DimensionFilter {
  limit?: number
  order?: string
  compact?: boolean
}

export const sessionsFlags = {
  ...sourceFlags,
  ...filterFlags,
  limit: Flags.integer({
    description: "Show at most this many sessions, the newest by last call.",
    default: 50,
    min: 1,
  }),
  order: Flags.string({
    description: "Newest last call first (desc, default) or the same sessions oldest first (asc).",
    options: ["desc", "asc"],
  }),
  compact: compactFlag,
}

/** Runs `usage sessions`: the table (or one line when there is none), or the API's JSON with --json. */
export async function sessionsCommand(
  flags: SessionsFlags,
  output: { json: boolean; log: (text: string) => void },
): Promise<SessionsJson> {
  // The table code loads while the source answers.
  const view = output.json ? undefined : import("./sessions-view.js")
  view?.catch(() => {})
  const { provider, node, model, agent, project, limit } = flags
  const order = flags.order as "asc" | "desc" | undefined
  const json = await withReadSource(flags, ({ reader, tz, since, until }) =>
    reader.sessions({ provider, node, model, agent, project, since, until, tz, limit, order }),
  )
  if (view) output.log((await view).renderSessions(json, tableStyle(flags.compact)))
  return json
}
