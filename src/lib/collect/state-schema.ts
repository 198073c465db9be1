/**
 * The schemas of the collector's state file (src/lib/collect/state.ts): the header line (version, target, a cursor
 * per source) and the older one-object version 1. A module of its own so that a round reads a well-formed header
 * without loading zod (state.ts's `readHeaderFast`, tested against `headerSchema`); any other header comes here.
 */
import { z } from "zod"
import { isIdsObject } from "./state.js"

const cursorSchema = z.object({
  size: z.number(),
  mtimeMs: z.number(),
  offset: z.number().optional(),
  updatedAt: z.number().optional(),
})

/** The first timestamp (epoch ms) seen of each call id. Checked as an object only; each value when it is read. */
const idsSchema = z.custom<Record<string, number>>(isIdsObject, "must be an object of call ids")

/** The first line: what a round needs to see whether anything is new. */
export const headerSchema = z.object({
  version: z.literal(2),
  /** The target, for people reading the folder (no secrets). */
  target: z.string(),
  /** Cursor per source path. */
  sources: z.record(z.string(), cursorSchema),
})

/** The older shape: one object, the ids inside it. */
export const versionOneSchema = headerSchema.extend({ version: z.literal(1), firstSeen: idsSchema })

export type CollectStateHeader = z.output<typeof headerSchema>
