/**
 * The delivery policy, as one pure function: what to do with a part of a batch given the outcome of sending
 * it (`IngestOutcome`, classified by the ingest client). Every sender of records to `POST /ingest/usage` (the
 * HttpIngestAdapter, `usage push`, `migrate-file --endpoint`) goes through it, via the delivery loop:
 *
 * - ack: the service answered with its report; its `rejected` entries are set aside (dead letters).
 * - deadLetter: records refused for good (a 400/422 naming them, or one record too large for a 413); the rest
 *   of the part, if any, is sent again.
 * - split: a 413 for several records, or a 400 without per-record detail: send the halves (the first `at`).
 * - retry(ms): network errors, timeouts, 408, 429, 5xx, a 2xx without a report: wait (backoff with jitter, at
 *   least what Retry-After asks, honoured up to 5 minutes) and send again.
 * - hold: 401/403 (the token), another 4xx no retry fixes (the URL), or no request could be built (the
 *   configuration): the records stay where they are until something changes.
 */
import type { IngestOutcome } from "../client/ingest-client.js"

/** A Retry-After is honoured up to this long (a proxy asking for a day does not stall delivery for a day). */
export const MAX_RETRY_AFTER_MS = 5 * 60_000

/** A record of the part refused for good, by its index in the part. */
export interface DeadLetter {
  index: number
  reason: string
  status?: number
}

export type HoldCause = "auth" | "misconfigured" | "unsendable"

export type Decision =
  | {
      kind: "ack"
      /** Records of the part the service settled (stored now or before; its rejected entries excluded). */
      acknowledged: number
      accepted: number
      duplicates: number
      /** The report's rejected entries (set aside, never retried). */
      deadLetters: DeadLetter[]
    }
  | {
      kind: "deadLetter"
      entries: DeadLetter[]
      /** Indices of the part's other records, sent again as one part (empty: none). */
      resend: number[]
      /** For messages: "refused by the service" or "too large". */
      why: string
    }
  | { kind: "split"; at: number }
  | { kind: "retry"; ms: number; reason: string; status?: number }
  | { kind: "hold"; cause: HoldCause; reason: string; status?: number }

export interface DecideContext {
  /** Records in the part that was sent. */
  size: number
  /** Retries of this part already made in this attempt cycle (0 before the first retry). */
  retries: number
  /** The backoff delay before retry n (see backoff.ts). */
  backoff: (n: number) => number
}

function inPart(rejected: ReadonlyArray<{ index: number; error: string }>, size: number, status: number): DeadLetter[] {
  return rejected
    .filter((r) => r.index >= 0 && r.index < size)
    .map((r) => ({ index: r.index, reason: r.error, status }))
}

export function decide(outcome: IngestOutcome, context: DecideContext): Decision {
  const { size } = context
  switch (outcome.kind) {
    case "ok":
      return {
        kind: "ack",
        acknowledged: size - new Set(outcome.rejected.map((r) => r.index)).size,
        accepted: outcome.accepted,
        duplicates: outcome.duplicates,
        deadLetters: inPart(outcome.rejected, size, outcome.status),
      }
    case "too-large":
      if (size > 1) return { kind: "split", at: Math.ceil(size / 2) }
      return {
        kind: "deadLetter",
        entries: [{ index: 0, reason: `too large for the service: ${outcome.reason}`, status: 413 }],
        resend: [],
        why: "too large",
      }
    case "refused": {
      const entries = inPart(outcome.rejected ?? [], size, outcome.status)
      if (entries.length > 0) {
        const refused = new Set(entries.map((e) => e.index))
        const resend = Array.from({ length: size }, (_, i) => i).filter((i) => !refused.has(i))
        return { kind: "deadLetter", entries, resend, why: "refused by the service" }
      }
      // No per-record detail: halve the part until the refused record is alone.
      if (size > 1) return { kind: "split", at: Math.ceil(size / 2) }
      return {
        kind: "deadLetter",
        entries: [{ index: 0, reason: outcome.reason, status: outcome.status }],
        resend: [],
        why: "refused by the service",
      }
    }
    case "auth":
    case "misconfigured":
      return { kind: "hold", cause: outcome.kind, reason: outcome.reason, status: outcome.status }
    case "unsendable":
      return { kind: "hold", cause: "unsendable", reason: outcome.reason }
    case "retry":
      return {
        kind: "retry",
        ms: Math.max(context.backoff(context.retries), Math.min(outcome.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS)),
        reason: outcome.reason,
        status: outcome.status,
      }
  }
}
