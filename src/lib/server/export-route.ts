/**
 * `GET /api/usage/export` (docs/api.md): all matching records, streamed as json, ndjson or csv. On a SQLite
 * store opened on a file, a worker thread reads and formats the export on its own connection
 * (store/sqlite/worker-export.ts) and this thread only writes its Buffers, so a long export to a fast reader
 * leaves the event loop to ingestion and /healthz. Other stores (in-memory SQLite, PostgreSQL, memory) are read
 * through `store.iterate` and formatted here, a chunk per turn of the event loop.
 */
import { Readable } from "node:stream"
import { setImmediate as nextTurn } from "node:timers/promises"
import type { FastifyInstance } from "fastify"
import { EXPORT_CONTENT_TYPES, type ExportFormat, exportChunks } from "../export-format.js"
import { sqliteFileOf } from "../store/sqlite/store-file.js"
import type { RecordFilter, UsageStore } from "../store/store.js"
import { parseExportQuery } from "./query-params.js"

/**
 * Pulls the store's first chunk before answering, so a store that fails at once is a proper JSON error rather
 * than a 200 cut off after the export's header (`[` or the CSV header line, written before the store is read).
 * The returned iterable yields that chunk then the rest, and closes the store's iterator when it is closed.
 * Between chunks it yields to the event loop: a store's pages may be read synchronously, and a fast reader
 * never makes the socket push back, so without this one export would hold the whole service (ingest,
 * `/healthz`) until it ends. A slow reader is handled by the stream's backpressure (it pulls the next chunk
 * only after the socket drained).
 */
async function primed<T>(source: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const iterator = source[Symbol.asyncIterator]()
  const first = await iterator.next()
  async function* all(): AsyncGenerator<T> {
    try {
      if (first.done) return
      yield first.value
      for (;;) {
        await nextTurn()
        const next = await iterator.next()
        if (next.done) return
        yield next.value
      }
    } finally {
      await iterator.return?.()
    }
  }
  return all()
}

/** The export's body: from a worker thread for a SQLite file, else from the store's iterator on this thread. */
async function exportBody(store: UsageStore, filter: RecordFilter, format: ExportFormat): Promise<Readable> {
  const file = sqliteFileOf(store)
  if (file !== undefined) {
    const { exportInWorker } = await import("../store/sqlite/worker-export.js")
    return exportInWorker(file, filter, format)
  }
  const chunks = await primed(store.iterate(filter, 1000))
  return Readable.from(exportChunks(chunks, format), { objectMode: false })
}

export function registerExportRoute(app: FastifyInstance, ctx: { store: UsageStore; tz: string }): void {
  app.get("/api/usage/export", { config: { auth: "read" } }, async (request, reply) => {
    const { format, filter } = parseExportQuery(request.query, { tz: ctx.tz })
    const body = await exportBody(ctx.store, filter, format)
    return reply
      .type(EXPORT_CONTENT_TYPES[format])
      .header("content-disposition", `attachment; filename="usage-export.${format}"`)
      .header("cache-control", "no-store")
      .send(body)
  })
}
