/**
 * Validation of an ingest batch: each candidate item goes through `parseRecord` on its own (a bad record is
 * reported with its index and reason, the others are kept), and gets its node: the record's own, else the
 * body's `node`, else the `X-Usage-Node` header (read as UTF-8), else "unknown". Every node, whichever of
 * these it comes from, is checked by the one node rule (`checkNode`).
 */
import { isUtf8 } from "node:buffer"
import { UsageHubError } from "../errors.js"
import { checkNode, parseRecord, type StoredRecord } from "../record.js"
import type { IngestBody } from "./ingest-body.js"

export interface Rejection {
  index: number
  error: string
}

export interface PreparedBatch {
  records: StoredRecord[]
  rejected: Rejection[]
}

export const UNKNOWN_NODE = "unknown"

/** A character that is not one byte: a header value as Node gives it has none. */
const WIDE = /[\u0100-\uffff]/
/** Optional white space around a header value (RFC 9110), which Node's parser strips already. */
const OWS = /^[ \t]+|[ \t]+$/g

/**
 * Reads the `X-Usage-Node` header, or absent. Node hands header values over as latin1 (one character per
 * byte): the bytes are read again as UTF-8 (invalid UTF-8 is refused), then checked by the node rule.
 */
export function headerNode(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined
  const raw = (Array.isArray(value) ? value[0] : value) ?? ""
  const bytes = Buffer.from(raw, "latin1")
  if (WIDE.test(raw) || !isUtf8(bytes)) {
    throw new UsageHubError("BAD_USAGE", "X-Usage-Node: must be UTF-8 text (a node name is 1 to 128 characters)")
  }
  return checkNode(bytes.toString("utf8").replace(OWS, ""), "X-Usage-Node")
}

export function prepareBatch(body: IngestBody | undefined, fallbackNode: string | undefined): PreparedBatch {
  if (!body) throw new UsageHubError("UNPARSEABLE_BODY", "the body is empty")
  const node = body.node ?? fallbackNode ?? UNKNOWN_NODE
  const records: StoredRecord[] = []
  const rejected: Rejection[] = []
  body.items.forEach((item, index) => {
    if ("parseError" in item) {
      rejected.push({ index, error: item.parseError })
      return
    }
    const parsed = parseRecord(item.value)
    if (parsed.ok) records.push({ ...parsed.record, node: parsed.record.node ?? node })
    else rejected.push({ index, error: parsed.error })
  })
  return { records, rejected }
}

/** The 400 for a body that parsed but holds no valid record (carries `rejected`). */
export function noValidRecord(rejected: Rejection[]): UsageHubError {
  const first = rejected[0]
  const message =
    rejected.length === 0
      ? "the body holds no record"
      : `no valid record in the body (${rejected.length} rejected; first, at index ${first.index}: ${first.error})`
  return new UsageHubError("INVALID_RECORD", message, { details: { rejected } })
}
