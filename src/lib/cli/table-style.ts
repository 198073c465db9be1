/**
 * How the CLI's tables are shown, decided without loading the table code (a `--json` run never loads it):
 * compact (`--compact`, or a terminal narrower than 100 columns) and coloured (on a terminal, or with
 * FORCE_COLOR; never with NO_COLOR), so piped output stays plain text.
 */

/** Below this many columns a terminal gets the compact tables. */
export const COMPACT_BELOW_COLUMNS = 100

/** How a table is shown: `compact` keeps the essential columns, `colour` adds ANSI styles. */
export interface TableStyle {
  compact: boolean
  colour: boolean
}

export const PLAIN: TableStyle = { compact: false, colour: false }

interface Output {
  isTTY?: boolean
  columns?: number
}

/**
 * Whether to colour `stream`: FORCE_COLOR (any value but `0`/`false`) forces it, even when piped; else never
 * with NO_COLOR (any non-empty value) or FORCE_COLOR=0, nor off a terminal, nor on a `dumb` one.
 */
export function colourWanted(stream: Output, env: NodeJS.ProcessEnv): boolean {
  const force = env.FORCE_COLOR
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false"
  if (env.NO_COLOR) return false
  return Boolean(stream.isTTY) && env.TERM !== "dumb"
}

/**
 * The style of the tables a command prints on `stream`: compact when asked (`--compact`) or when `stream` is
 * a terminal narrower than 100 columns; coloured as `colourWanted` says.
 */
export function tableStyle(
  compact: boolean | undefined,
  stream: Output = process.stdout,
  env = process.env,
): TableStyle {
  const narrow = Boolean(stream.isTTY) && stream.columns !== undefined && stream.columns < COMPACT_BELOW_COLUMNS
  return { compact: Boolean(compact) || narrow, colour: colourWanted(stream, env) }
}

const SGR = { bold: [1, 22], dim: [2, 22], cyan: [36, 39], yellow: [33, 39] } as const

/** `text` in an ANSI style when `on` (a table measures its cells without the escapes). */
export function paint(text: string, style: keyof typeof SGR, on: boolean): string {
  if (!on || text === "") return text
  const [open, close] = SGR[style]
  return `\u001b[${open}m${text}\u001b[${close}m`
}
