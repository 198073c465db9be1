/**
 * The `--file` source: a legacy usage file (or an export in JSON/NDJSON) read through the shared import code
 * (the same validation and node stamping as `push` and `migrate-file`) into a MemoryStore that the query
 * plans then read. Records the import code rejects are left out and counted in one warning.
 */
import { readUsageRecords } from "../import/read-usage-file.js"
import { MemoryStore } from "../store/memory/store.js"

export async function loadLegacyFile(
  path: string,
  node: string,
  warn?: (message: string) => void,
): Promise<MemoryStore> {
  const store = new MemoryStore()
  let rejected = 0
  let firstReason: string | undefined
  const onRejected = (r: { index: number; error: string }) => {
    rejected += 1
    firstReason ??= `record ${r.index}: ${r.error}`
  }
  for await (const batch of readUsageRecords(path, { node, onRejected })) await store.insert(batch)
  if (rejected > 0) warn?.(`${path}: skipped ${rejected} invalid record(s), first: ${firstReason}`)
  return store
}
