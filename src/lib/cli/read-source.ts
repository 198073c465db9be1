/**
 * What every read command does first, once: settings (flags over environment over config file), the time
 * zone and the `--since`/`--until`/`--last` range resolved to instants (a bare `--until` date includes its
 * day; bad usage before anything is opened), then the one
 * source opened as a Reader (src/lib/source/). Warnings go to stderr, one line each.
 */
import { type Clock, systemClock } from "../clock.js"
import type { ResolvedSettings } from "../config-resolution.js"
import { defaultSettings, hasConfigToResolve } from "../paths.js"
import { resolveTimeZone } from "../periods.js"
import type { Reader } from "../source/reader.js"
import { openReader, resolveSource, type SourceFlagValues } from "../source/resolve-source.js"
import { parseCliTimeRange } from "../time-range.js"

export interface ReadFlags extends SourceFlagValues {
  config?: string
  tz?: string
  since?: string
  until?: string
  /** `7d`, `4w`, `3m`: a range ending today, today included (instead of since/until). */
  last?: string
}

export interface ReadContext {
  reader: Reader
  settings: ResolvedSettings
  tz: string
  since?: Date
  until?: Date
}

export function warn(message: string): void {
  process.stderr.write(`Warning: ${message}\n`)
}

export async function openReadSource(flags: ReadFlags, clock: Clock = systemClock): Promise<ReadContext> {
  // The config schema (zod) loads only when there is configuration to validate: reads start faster.
  const settings = hasConfigToResolve({ configPath: flags.config })
    ? (await import("../config-resolution.js")).resolveSettings({ configPath: flags.config })
    : defaultSettings()
  const tz = resolveTimeZone(flags.tz)
  const range = parseCliTimeRange(flags, tz, clock())
  const spec = resolveSource(flags, settings)
  const reader = await openReader(spec, { clock, settings, warn })
  return { reader, settings, tz, ...range }
}

/** Opens the source, runs `work` with it, closes it whatever happens. */
export async function withReadSource<T>(flags: ReadFlags, work: (context: ReadContext) => Promise<T>): Promise<T> {
  const context = await openReadSource(flags)
  try {
    return await work(context)
  } finally {
    await context.reader.close()
  }
}
