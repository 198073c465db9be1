/**
 * The body of `POST /ingest/usage`: decompression (gzip/deflate, with the size limit applied to the
 * DECOMPRESSED bytes so decompression bombs stop early), the accepted content types (JSON: one record, an
 * array or `{node, records}`; NDJSON: one record per non-empty line) and the record-count limit.
 * Produces the candidate items, each either a parsed JSON value or the reason its line did not parse.
 */
import { isUtf8 } from "node:buffer"
import { Transform, type TransformCallback } from "node:stream"
import { createGunzip, createInflate } from "node:zlib"
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify"
import { UsageHubError } from "../errors.js"
import { checkNode } from "../record.js"

export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024
export const DEFAULT_MAX_RECORDS = 50_000
export const NDJSON_TYPES = ["application/x-ndjson", "application/ndjson", "application/jsonl"] as const

export type IngestItem = { value: unknown } | { parseError: string }

export interface IngestBody {
  format: "json" | "ndjson"
  items: IngestItem[]
  /** The body's `node` (from `{node, records}`). */
  node?: string
}

export interface IngestLimits {
  bodyLimit: number
  maxRecords: number
}

const tooLarge = (what: string): UsageHubError => new UsageHubError("PAYLOAD_TOO_LARGE", what)

/**
 * A decompressing stream that counts bytes in (`receivedEncodedLength`, which fastify checks against
 * Content-Length) and out, failing with 413 as soon as the output passes the limit.
 */
class LimitedDecoder extends Transform {
  receivedEncodedLength = 0
  private produced = 0

  constructor(
    private readonly limit: number,
    private readonly decoder: Transform,
  ) {
    super()
    decoder.on("data", (chunk: Buffer) => {
      this.produced += chunk.length
      if (this.produced > this.limit) {
        decoder.destroy()
        this.destroy(tooLarge(`the decompressed body is larger than ${this.limit} bytes`))
        return
      }
      this.push(chunk)
    })
    decoder.on("error", (error) => {
      this.destroy(new UsageHubError("UNPARSEABLE_BODY", `the body is not valid compressed data: ${error.message}`))
    })
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.receivedEncodedLength += chunk.length
    if (this.receivedEncodedLength > this.limit) {
      callback(tooLarge(`the body is larger than ${this.limit} bytes`))
      return
    }
    if (this.decoder.write(chunk)) callback()
    else this.decoder.once("drain", () => callback())
  }

  override _flush(callback: TransformCallback): void {
    this.decoder.once("end", () => callback())
    this.decoder.end()
  }
}

/** fastify `preParsing` hook: undoes Content-Encoding (gzip, deflate, identity); anything else is 415. */
export function decompressHook(limit: number) {
  return async (request: FastifyRequest, _reply: FastifyReply, payload: NodeJS.ReadableStream) => {
    const encoding = String(request.headers["content-encoding"] ?? "identity")
      .trim()
      .toLowerCase()
    if (encoding === "identity" || encoding === "") return payload
    let decoder: Transform
    if (encoding === "gzip" || encoding === "x-gzip") decoder = createGunzip()
    else if (encoding === "deflate") decoder = createInflate()
    else
      throw new UsageHubError(
        "UNSUPPORTED_MEDIA_TYPE",
        `unsupported Content-Encoding ${JSON.stringify(encoding)} (use gzip)`,
      )
    const limited = new LimitedDecoder(limit, decoder)
    payload.pipe(limited)
    payload.on("error", (error: Error) => limited.destroy(error))
    return limited
  }
}

function decodeText(body: Buffer): string {
  // isUtf8 + toString is cheaper than a fatal TextDecoder; a BOM is dropped as TextDecoder did.
  if (!isUtf8(body)) throw new UsageHubError("UNPARSEABLE_BODY", "the body is not valid UTF-8")
  const text = body.toString("utf8")
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text
}

function jsonError(error: unknown): string {
  return (error as Error).message.replace(/\s+/g, " ").slice(0, 200)
}

function checkCount(count: number, limits: IngestLimits): void {
  if (count > limits.maxRecords) {
    throw tooLarge(`the body holds ${count} records, more than the limit of ${limits.maxRecords} (split the batch)`)
  }
}

/** Parses a JSON body: one record, an array of records, or `{"node", "records": [...]}`. */
export function parseJsonBody(body: Buffer, limits: IngestLimits): IngestBody {
  const text = decodeText(body)
  if (text.trim() === "") throw new UsageHubError("UNPARSEABLE_BODY", "the body is empty")
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new UsageHubError("UNPARSEABLE_BODY", `the body is not valid JSON: ${jsonError(error)}`)
  }
  if (Array.isArray(value)) {
    checkCount(value.length, limits)
    return { format: "json", items: value.map((v) => ({ value: v })) }
  }
  if (value === null || typeof value !== "object") {
    throw new UsageHubError(
      "UNPARSEABLE_BODY",
      `the body must be a record, an array of records or {"node", "records": [...]}, not ${value === null ? "null" : typeof value}`,
    )
  }
  const object = value as Record<string, unknown>
  if ("records" in object) {
    if (!Array.isArray(object.records)) {
      throw new UsageHubError("UNPARSEABLE_BODY", `"records" must be an array of records`)
    }
    const node = object.node === undefined ? undefined : checkNode(object.node, '"node"', "UNPARSEABLE_BODY")
    checkCount(object.records.length, limits)
    return { format: "json", items: object.records.map((v) => ({ value: v })), node }
  }
  return { format: "json", items: [{ value }] }
}

/** Parses NDJSON: one record per non-empty line; a line that is not JSON is rejected on its own. */
export function parseNdjsonBody(body: Buffer, limits: IngestLimits): IngestBody {
  const text = decodeText(body)
  const lines = text.split("\n").filter((line) => line.trim() !== "")
  if (lines.length === 0) throw new UsageHubError("UNPARSEABLE_BODY", "the body holds no line")
  checkCount(lines.length, limits)
  const items = lines.map((line): IngestItem => {
    try {
      return { value: JSON.parse(line) }
    } catch (error) {
      return { parseError: `not valid JSON: ${jsonError(error)}` }
    }
  })
  return { format: "ndjson", items }
}

/**
 * Registers the ingest content types on an encapsulated fastify context (the ingest route's), replacing the
 * default JSON parser. Other types answer 415.
 */
export function registerIngestParsers(app: FastifyInstance, limits: IngestLimits): void {
  app.removeAllContentTypeParsers()
  const options = { parseAs: "buffer" as const, bodyLimit: limits.bodyLimit }
  app.addContentTypeParser("application/json", options, (_request, body: Buffer, done) => {
    done(null, parseJsonBody(body, limits))
  })
  app.addContentTypeParser([...NDJSON_TYPES], options, (_request, body: Buffer, done) => {
    done(null, parseNdjsonBody(body, limits))
  })
  app.addContentTypeParser("*", (request, _payload, done) => {
    const type = request.headers["content-type"]
    done(
      new UsageHubError(
        "UNSUPPORTED_MEDIA_TYPE",
        `unsupported Content-Type ${JSON.stringify(type ?? "")}: send application/json or application/x-ndjson`,
      ),
      undefined,
    )
  })
}
