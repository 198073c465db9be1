/**
 * Progress for long work (migrate-file, export to a file): a bar (or a running count when the total is unknown)
 * redrawn in place on stderr at most every 100 ms, and only when stdout is a terminal, so scripts and pipes
 * never see it. `done()` clears the line.
 */
import { formatCount } from "./format.js"

export interface Progress {
  /** Sets how much is done (and optionally the total, once known). */
  update(done: number, total?: number): void
  /** Clears the progress line. */
  done(): void
}

export interface ProgressOptions {
  label: string
  total?: number
  /** Default: stdout is a TTY. */
  enabled?: boolean
  stream?: NodeJS.WritableStream
  unit?: string
}

const WIDTH = 24
const INTERVAL_MS = 100

const silent: Progress = { update() {}, done() {} }

export function createProgress(options: ProgressOptions): Progress {
  const enabled = options.enabled ?? Boolean(process.stdout.isTTY)
  if (!enabled) return silent
  const stream = options.stream ?? process.stderr
  const unit = options.unit ?? "records"
  let total = options.total
  let last = 0
  let drawn = false
  const draw = (done: number) => {
    let text: string
    if (total && total > 0) {
      const ratio = Math.min(1, done / total)
      const filled = Math.round(ratio * WIDTH)
      const bar = "█".repeat(filled) + "░".repeat(WIDTH - filled)
      text = `${options.label} ${bar} ${Math.floor(ratio * 100)}% ${formatCount(done)}/${formatCount(total)} ${unit}`
    } else {
      text = `${options.label} ${formatCount(done)} ${unit}`
    }
    stream.write(`\r\x1b[2K${text}`)
    drawn = true
  }
  return {
    update(done, newTotal) {
      if (newTotal !== undefined) total = newTotal
      const now = Date.now()
      if (now - last < INTERVAL_MS && done !== total) return
      last = now
      draw(done)
    },
    done() {
      if (drawn) stream.write("\r\x1b[2K")
      drawn = false
    },
  }
}
