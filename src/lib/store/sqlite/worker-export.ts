/**
 * A SQLite export run off the main thread: `exportInWorker` starts export-worker.ts on its own read-only
 * connection to the store's file and returns the export as a byte stream, so the service's event loop only
 * moves Buffers while the worker queries and formats (one export never starves ingestion or /healthz).
 * The stream is primed: it is returned after the worker's first Buffer (or the end), and a failure before that
 * rejects, so the route answers a proper JSON error rather than a 200 cut off after the header.
 * Backpressure: the stream grants the worker one credit each time it wants more (`_read`), so the worker stays
 * at most a few Buffers ahead of the socket. Destroying the stream (the client went away) terminates the
 * worker, which closes its connection.
 */
import { existsSync } from "node:fs"
import { Readable } from "node:stream"
import { fileURLToPath } from "node:url"
import { Worker } from "node:worker_threads"
import type { ExportFormat } from "../../export-format.js"
import type { RecordFilter } from "../store.js"
import { storeError } from "../store-error.js"
import type { ExportCredit, ExportJob, ExportWorkerMessage } from "./export-worker.js"

export interface WorkerExportOptions {
  /** Records per keyset page (default 2000). */
  pageRows?: number
  /** About how many bytes each Buffer holds (default 1 MiB). */
  chunkBytes?: number
  /** Buffers the worker may have posted ahead of the stream's reads (default 2). */
  credits?: number
  busyTimeoutMs?: number
  /** The worker thread's nice value on Linux (default 10; 0: the process's priority). */
  nice?: number
}

const live = new Set<Worker>()

/** Export workers running now (for tests and diagnostics: 0 once every export ended or was abandoned). */
export function activeExportWorkers(): number {
  return live.size
}

/**
 * Starts the worker: the compiled sibling in dist/; else (the tests run src/ through tsx) the TypeScript
 * source, after registering tsx's loader in the worker (Node 20 does not hand a loader to workers).
 */
function startWorker(job: ExportJob): Worker {
  const compiled = new URL("./export-worker.js", import.meta.url)
  if (existsSync(fileURLToPath(compiled))) return new Worker(compiled, { workerData: job })
  const source = JSON.stringify(new URL("./export-worker.ts", import.meta.url).href)
  const loader = JSON.stringify(import.meta.resolve("tsx/esm/api"))
  const boot = `import(${loader}).then(({ register }) => { register(); return import(${source}) })`
  return new Worker(boot, { eval: true, workerData: job })
}

class WorkerExportStream extends Readable {
  constructor(private readonly worker: Worker) {
    super()
  }

  override _read(): void {
    this.worker.postMessage({ type: "credit" } satisfies ExportCredit)
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    void this.worker.terminate()
    callback(error)
  }
}

/** The export of the records of the SQLite database at `file` that match `filter`, as `format` bytes. */
export function exportInWorker(
  file: string,
  filter: RecordFilter,
  format: ExportFormat,
  options: WorkerExportOptions = {},
): Promise<Readable> {
  const job: ExportJob = {
    file,
    filter,
    format,
    pageRows: options.pageRows ?? 2000,
    chunkBytes: options.chunkBytes ?? 1 << 20,
    credits: options.credits ?? 2,
    busyTimeoutMs: options.busyTimeoutMs ?? 5000,
    nice: options.nice ?? 10,
  }
  const worker = startWorker(job)
  live.add(worker)
  return new Promise((resolve, reject) => {
    let stream: WorkerExportStream | undefined
    let done = false
    const fail = (cause: unknown) => {
      if (done) return
      done = true
      const error = storeError(`SQLite database ${file}: export failed`, cause)
      if (stream) stream.destroy(error)
      else {
        void worker.terminate()
        reject(error)
      }
    }
    const opened = () => {
      if (!stream) {
        stream = new WorkerExportStream(worker)
        resolve(stream)
      }
      return stream
    }
    worker.on("message", (message: ExportWorkerMessage) => {
      if (done) return
      if (message.type === "error") fail(Object.assign(new Error(message.message), { code: message.code }))
      else if (message.type === "data") {
        const { buffer, byteOffset, byteLength } = message.bytes
        opened().push(Buffer.from(buffer, byteOffset, byteLength))
      } else {
        done = true
        opened().push(null)
      }
    })
    worker.on("error", fail)
    worker.once("exit", (code) => {
      live.delete(worker)
      fail(new Error(`the export worker stopped before the end (exit code ${code})`))
    })
  })
}
