/**
 * The node an import (`usage push`, `usage migrate-file`) gives records that carry none: `--node`, else this
 * machine's node id (USAGE_NODE, usage.http.nodeId, else the hostname). Checked by the one node rule of the
 * record (`nodeSchema`) before anything is read or sent: a bad `--node` is bad usage (exit 2).
 */
import type { ResolvedSettings } from "../config-resolution.js"
import { checkNode } from "../record.js"

export function importNode(flag: string | undefined, settings: Pick<ResolvedSettings, "nodeId">): string {
  if (flag !== undefined) return checkNode(flag, "--node")
  return checkNode(settings.nodeId, "the node id (USAGE_NODE, usage.http.nodeId or the hostname)", "INVALID_CONFIG")
}
