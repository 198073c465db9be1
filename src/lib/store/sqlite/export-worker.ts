/**
 * The SQLite export's worker thread (started by worker-export.ts): opens its own read-only connection to the
 * store's file (WAL: it reads committed data while the service writes), pages through the matching records by
 * keyset with SqliteStore.iterate's pages (record-pages.ts), formats them (export-format.ts: the same bytes as the store's
 * path) and posts the text to the main thread as Buffers of about `chunkBytes`, transferred, not copied.
 * Backpressure is a credit protocol: each posted Buffer spends one credit, and the worker waits (its pages
 * unread) until the main thread grants another, which it does when the HTTP response wants more. The thread
 * runs at a lower priority (nice), so on a busy machine the export slows down rather than ingestion. A failure is
 * posted as `{ type: "error" }`; the main thread ends the worker (terminate) when the client goes away.
 */
import { readlinkSync } from "node:fs"
import { setPriority } from "node:os"
import { parentPort, workerData } from "node:worker_threads"
import type Database from "better-sqlite3"
import { createExportWriter, type ExportFormat } from "../../export-format.js"
import type { RecordFilter } from "../store.js"
import { sqliteNativeBinding } from "./native-binding.js"
import { recordPages } from "./record-pages.js"

/** What the worker is started with (its `workerData`). */
export interface ExportJob {
  file: string
  filter: RecordFilter
  format: ExportFormat
  /** Records per keyset page. */
  pageRows: number
  /** A Buffer is posted once this much text is pending (the last one may be smaller). */
  chunkBytes: number
  /** Buffers the worker may post before it is granted more. */
  credits: number
  busyTimeoutMs: number
  /** The thread's nice value (Linux; 0 keeps the process's): when the CPU is short, ingestion goes first. */
  nice: number
}

/** Worker -> main thread. */
export type ExportWorkerMessage =
  | { type: "data"; bytes: Uint8Array }
  | { type: "end" }
  | { type: "error"; message: string; code?: string }

/** Main thread -> worker: one more Buffer may be posted. */
export interface ExportCredit {
  type: "credit"
}

/**
 * Lowers this thread's scheduling priority. On Linux a thread has its own nice value, set through its thread id
 * (named by /proc/thread-self); elsewhere, or if refused, the export runs at the process's priority.
 */
function lowerPriority(nice: number): void {
  if (nice <= 0) return
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop())
    if (Number.isSafeInteger(tid) && tid > 0) setPriority(tid, nice)
  } catch {
    // not Linux, or no /proc: the process's priority
  }
}

async function run(job: ExportJob, port: NonNullable<typeof parentPort>): Promise<void> {
  lowerPriority(job.nice)
  let credits = job.credits
  let granted: (() => void) | undefined
  port.on("message", (message: ExportCredit) => {
    if (message.type !== "credit") return
    credits += 1
    granted?.()
  })
  const post = async (text: string) => {
    while (credits === 0) await new Promise<void>((resolve) => (granted = resolve))
    granted = undefined
    credits -= 1
    // Its own ArrayBuffer (never the shared pool of small Buffers), so it can be transferred.
    const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text))
    bytes.write(text)
    port.postMessage({ type: "data", bytes } satisfies ExportWorkerMessage, [bytes.buffer])
  }

  try {
    await exportPages(job, post)
    port.postMessage({ type: "end" } satisfies ExportWorkerMessage)
  } finally {
    port.removeAllListeners("message")
  }
}

/** Reads the matching records page by page and hands their text to `post` in pieces of about `chunkBytes`. */
async function exportPages(job: ExportJob, post: (text: string) => Promise<void>): Promise<void> {
  const Driver = (await import("better-sqlite3")).default
  const db: Database.Database = new Driver(job.file, {
    readonly: true,
    fileMustExist: true,
    timeout: job.busyTimeoutMs,
    nativeBinding: sqliteNativeBinding(),
  })
  try {
    const statements = new Map<string, Database.Statement>()
    const run = (text: string, params: (string | number)[]) => {
      let statement = statements.get(text)
      if (!statement) {
        statement = db.prepare(text).raw(true)
        statements.set(text, statement)
      }
      return statement.all(...params) as unknown[][]
    }
    const writer = createExportWriter(job.format)
    let pending = writer.start()
    for (const records of recordPages(run, job.filter, job.pageRows)) {
      pending += writer.chunk(records)
      if (pending.length >= job.chunkBytes) {
        await post(pending)
        pending = ""
      }
    }
    pending += writer.end()
    if (pending) await post(pending)
  } finally {
    db.close()
  }
}

if (parentPort) {
  const port = parentPort
  run(workerData as ExportJob, port).catch((error: unknown) => {
    const code = (error as { code?: unknown } | undefined)?.code
    port.postMessage({
      type: "error",
      message: error instanceof Error ? error.message : String(error),
      code: typeof code === "string" ? code : undefined,
    } satisfies ExportWorkerMessage)
  })
}
