/**
 * The record's rule for text fields, without zod: well-formed Unicode (no lone surrogates), no NUL, a length in
 * bounds, and not blank where required. record.ts builds its zod schemas' checks and its fast path on it; code
 * that must not load zod (a `usage collect` round with nothing new) checks node names with `isNodeName`, and
 * leaves the error message of a name it refuses to record.ts's `checkNode`.
 */

/** `text(min, max, blank)` of record.ts, as a predicate. */
export function isText(
  value: unknown,
  min: number,
  max: number,
  blank: "blank allowed" | "not blank",
): value is string {
  return (
    typeof value === "string" &&
    value.length >= min &&
    value.length <= max &&
    value.isWellFormed() &&
    !value.includes("\u0000") &&
    (blank === "blank allowed" || value.trim() !== "")
  )
}

/** What record.ts's `nodeSchema` takes: 1..128 characters of well-formed Unicode, no NUL, not blank. */
export function isNodeName(value: unknown): value is string {
  return isText(value, 1, 128, "not blank")
}
