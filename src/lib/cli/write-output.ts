/**
 * Writing a stream of text to stdout or to a file with backpressure (bounded memory however long the stream).
 * A file is written atomically: into a temporary file beside it, flushed, then renamed over the target, so a
 * failed or interrupted export never leaves half a file under the asked name. A closed stdout pipe
 * (`usage export | head`) ends the output quietly.
 */
import { once } from "node:events"
import { createWriteStream } from "node:fs"
import { rename, unlink } from "node:fs/promises"
import { basename, dirname, join } from "node:path"
import { UsageHubError } from "../errors.js"

const FILE_ERRORS: Record<string, string> = {
  ENOENT: "its directory does not exist",
  EACCES: "permission denied",
  EISDIR: "it is a directory",
  ENOSPC: "no space left on the device",
}

async function pump(pieces: AsyncIterable<string>, dest: NodeJS.WritableStream): Promise<void> {
  let failure: Error | undefined
  const onError = (error: Error) => {
    failure = error
  }
  dest.on("error", onError)
  try {
    for await (const piece of pieces) {
      if (failure) throw failure
      if (!dest.write(piece)) await once(dest, "drain")
    }
    if (failure) throw failure
  } finally {
    dest.off("error", onError)
  }
}

function isBrokenPipe(error: unknown): boolean {
  return (error as { code?: string })?.code === "EPIPE"
}

/** Writes to stdout; resolves false if the reader went away (EPIPE), true otherwise. */
export async function writeToStdout(pieces: AsyncIterable<string>, stdout = process.stdout): Promise<boolean> {
  // oclif rethrows stdout errors other than EPIPE from its own listener (an uncaught crash with a stack):
  // while we write, the error is ours to report in one line.
  const others = stdout.listeners("error") as Array<(error: Error) => void>
  stdout.removeAllListeners("error")
  try {
    await pump(pieces, stdout)
    return true
  } catch (error) {
    if (isBrokenPipe(error)) return false
    const code = (error as { code?: string }).code
    if (code && FILE_ERRORS[code]) {
      throw new UsageHubError("FILE_ERROR", `cannot write to stdout: ${FILE_ERRORS[code]}`, { cause: error })
    }
    throw error
  } finally {
    for (const listener of others) stdout.on("error", listener)
  }
}

/** Writes to `path` through a temporary file renamed into place once everything is flushed. */
export async function writeFileAtomically(path: string, pieces: AsyncIterable<string>): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`)
  const file = createWriteStream(temp, { flags: "wx", flush: true })
  try {
    await once(file, "open")
    await pump(pieces, file)
    file.end()
    await once(file, "close")
    await rename(temp, path)
  } catch (error) {
    file.destroy()
    await unlink(temp).catch(() => {})
    if (error instanceof UsageHubError) throw error
    const code = (error as { code?: string }).code
    if (code && /^E[A-Z]+$/.test(code)) {
      const why = FILE_ERRORS[code] ?? (error as Error).message
      throw new UsageHubError("FILE_ERROR", `cannot write ${path}: ${why}`, { cause: error })
    }
    throw error
  }
}
