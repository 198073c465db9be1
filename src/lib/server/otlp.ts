/**
 * OpenTelemetry logs over OTLP/HTTP JSON (`POST /v1/logs`, docs/collectors.md): parses an export request (the
 * OTLP JSON encoding: resourceLogs[].resource.attributes, scopeLogs[].logRecords[], attributes as
 * `{key, value: {stringValue | intValue | doubleValue | boolValue | ...}}`) and turns Claude Code's
 * `claude_code.api_request` events into candidate wire records (`agent: "claude-code"`, id
 * `claude-code:<session.id>:<prompt.id>:<event.sequence>`, node from the resource's `host.name`). Pure: the route
 * (otlp-route.ts) validates the candidates with the ingest path's `prepareBatch` and commits them.
 */
import { isUtf8 } from "node:buffer"
import { z } from "zod"
import { UsageHubError } from "../errors.js"
import { priceCall } from "../pricing/call-cost.js"
import { describeIssues } from "../record.js"
import type { IngestItem } from "./ingest-body.js"

/** One attribute value (OTLP `AnyValue`): arrays, key-value lists and bytes are kept but not read here. */
const anyValueSchema = z.object({
  stringValue: z.string().optional(),
  /** int64: a JSON string in the OTLP JSON encoding, a number from lenient senders. */
  intValue: z.union([z.string(), z.number()]).optional(),
  /** A number, or "NaN"/"Infinity"/"-Infinity" as strings. */
  doubleValue: z.union([z.number(), z.string()]).optional(),
  boolValue: z.boolean().optional(),
  arrayValue: z.unknown().optional(),
  kvlistValue: z.unknown().optional(),
  bytesValue: z.string().optional(),
})

const keyValueSchema = z.object({ key: z.string(), value: anyValueSchema.nullish() })
const attributesSchema = z.array(keyValueSchema).nullish()
/** A fixed64 of nanoseconds since the epoch: a decimal string (or a number from lenient senders). */
const unixNanoSchema = z.union([z.string(), z.number()]).nullish()

const logRecordSchema = z.object({
  timeUnixNano: unixNanoSchema,
  observedTimeUnixNano: unixNanoSchema,
  eventName: z.string().nullish(),
  body: anyValueSchema.nullish(),
  attributes: attributesSchema,
})

/** An OTLP `ExportLogsServiceRequest` in the JSON encoding (unknown fields ignored, as OTLP requires). */
export const otlpLogsRequestSchema = z.object({
  resourceLogs: z
    .array(
      z.object({
        resource: z.object({ attributes: attributesSchema }).nullish(),
        scopeLogs: z.array(z.object({ logRecords: z.array(logRecordSchema).nullish() })).nullish(),
      }),
    )
    .nullish(),
})

export type OtlpLogsRequest = z.output<typeof otlpLogsRequestSchema>
type LogRecord = z.output<typeof logRecordSchema>
type Attribute = string | number | boolean

/** Claude Code's API-call event: the `event.name` attribute, the record's `eventName` or its body. */
const API_REQUEST_NAMES = new Set(["api_request", "claude_code.api_request"])

export const CLAUDE_CODE_AGENT = "claude-code"

/** Parses an OTLP/HTTP JSON logs body; UNPARSEABLE_BODY (400) when it is not one. */
export function parseOtlpLogsJson(body: Buffer): OtlpLogsRequest {
  if (!isUtf8(body)) throw new UsageHubError("UNPARSEABLE_BODY", "the body is not valid UTF-8")
  const text = body.toString("utf8")
  if (text.trim() === "") throw new UsageHubError("UNPARSEABLE_BODY", "the body is empty")
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    const reason = (error as Error).message.replace(/\s+/g, " ").slice(0, 200)
    throw new UsageHubError("UNPARSEABLE_BODY", `the body is not valid JSON: ${reason}`)
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new UsageHubError("UNPARSEABLE_BODY", 'the body is not OTLP JSON logs: expected {"resourceLogs": [...]}')
  }
  const parsed = otlpLogsRequestSchema.safeParse(value)
  if (!parsed.success) {
    throw new UsageHubError("UNPARSEABLE_BODY", `the body is not OTLP JSON logs: ${describeIssues(parsed.error)}`)
  }
  return parsed.data
}

/** The log records of a request, however they are grouped. */
export function countLogRecords(request: OtlpLogsRequest): number {
  let n = 0
  for (const resource of request.resourceLogs ?? []) {
    for (const scope of resource.scopeLogs ?? []) n += scope.logRecords?.length ?? 0
  }
  return n
}

/** An attribute's value: strings, booleans, and numbers (intValue read from its string form). */
function readValue(value: z.output<typeof anyValueSchema> | null | undefined): Attribute | undefined {
  if (!value) return undefined
  if (value.stringValue !== undefined) return value.stringValue
  if (value.intValue !== undefined) return typeof value.intValue === "number" ? value.intValue : Number(value.intValue)
  if (value.doubleValue !== undefined) {
    return typeof value.doubleValue === "number" ? value.doubleValue : Number(value.doubleValue)
  }
  if (value.boolValue !== undefined) return value.boolValue
  return undefined
}

function attributeMap(attributes: z.output<typeof attributesSchema>): Map<string, Attribute> {
  const map = new Map<string, Attribute>()
  for (const { key, value } of attributes ?? []) {
    const read = readValue(value)
    if (read !== undefined) map.set(key, read)
  }
  return map
}

const DECIMAL = /^\s*-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/

/**
 * A numeric attribute (Claude Code sends some as strings): the number, 0 when absent, else the value as sent
 * (the record schema then refuses it with the field's name).
 */
function numeric(value: Attribute | undefined): unknown {
  if (value === undefined) return 0
  if (typeof value === "string" && DECIMAL.test(value)) return Number(value)
  return value
}

function text(value: Attribute | undefined): string | undefined {
  if (value === undefined) return undefined
  return typeof value === "string" ? value : String(value)
}

/** Epoch ms of a `timeUnixNano` (nanoseconds, as a decimal string or a number), or undefined. */
function nanosToMs(value: string | number | null | undefined): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === "number") return value > 0 ? Math.floor(value / 1e6) : undefined
  if (!/^\d{1,20}$/.test(value)) return undefined
  const ms = Number(BigInt(value) / 1_000_000n)
  return ms > 0 ? ms : undefined
}

function isApiRequest(record: LogRecord, attributes: Map<string, Attribute>): boolean {
  const names = [attributes.get("event.name"), record.eventName, record.body?.stringValue]
  return names.some((name) => typeof name === "string" && API_REQUEST_NAMES.has(name))
}

/**
 * The wire record of one `api_request` event (not yet validated: the ingest path's record schema does that).
 * Timestamp: the `event.timestamp` attribute, else the record's time, else its observed time. Cost: `cost_usd`,
 * else priced from the catalogue (flagged `unpriced` when the model is unknown).
 */
function apiRequestRecord(record: LogRecord, attributes: Map<string, Attribute>, hostName: Attribute | undefined) {
  const session = text(attributes.get("session.id"))
  if (!session) return { parseError: "a claude_code.api_request event without session.id" }
  const prompt = text(attributes.get("prompt.id")) ?? ""
  const sequence = text(attributes.get("event.sequence")) ?? ""
  const timestamp =
    text(attributes.get("event.timestamp")) ?? nanosToMs(record.timeUnixNano) ?? nanosToMs(record.observedTimeUnixNano)
  if (timestamp === undefined) return { parseError: "a claude_code.api_request event without a timestamp" }
  const model = text(attributes.get("model"))
  const inputTokens = numeric(attributes.get("input_tokens"))
  const outputTokens = numeric(attributes.get("output_tokens"))
  const cacheReadTokens = numeric(attributes.get("cache_read_tokens"))
  const cacheWriteTokens = numeric(attributes.get("cache_creation_tokens"))
  const wire: Record<string, unknown> = {
    id: `${CLAUDE_CODE_AGENT}:${session}:${prompt}:${sequence}`,
    timestamp,
    provider: "anthropic",
    model,
    inputTokens,
    outputTokens,
    cacheReadTokens,
    cacheWriteTokens,
    taskType: "primary",
    sessionID: session,
    agent: CLAUDE_CODE_AGENT,
  }
  if (hostName !== undefined) wire.node = text(hostName)
  const cost = attributes.get("cost_usd")
  if (cost !== undefined) wire.estimatedCost = numeric(cost)
  else if (
    model &&
    [inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens].every((n) => typeof n === "number")
  ) {
    const priced = priceCall({
      provider: "anthropic",
      model,
      inputTokens: inputTokens as number,
      outputTokens: outputTokens as number,
      cacheReadTokens: cacheReadTokens as number,
      cacheWriteTokens: cacheWriteTokens as number,
    })
    wire.estimatedCost = priced.cost
    if (priced.unpriced) wire.unpriced = true
  }
  return { value: wire }
}

export interface ClaudeCodeEvents {
  /** One candidate per `api_request` event, in the order of the request (a record, or why it is none). */
  items: IngestItem[]
  /** Where each item came from, for error messages: `resourceLogs[i].scopeLogs[j].logRecords[k]`. */
  paths: string[]
  /** Log records of other events (acknowledged, not stored). */
  ignored: number
}

/** The `claude_code.api_request` events of a request as candidate wire records; other events are counted only. */
export function claudeCodeEvents(request: OtlpLogsRequest): ClaudeCodeEvents {
  const items: IngestItem[] = []
  const paths: string[] = []
  let ignored = 0
  for (const [i, resource] of (request.resourceLogs ?? []).entries()) {
    const hostName = attributeMap(resource.resource?.attributes).get("host.name")
    for (const [j, scope] of (resource.scopeLogs ?? []).entries()) {
      for (const [k, record] of (scope.logRecords ?? []).entries()) {
        const attributes = attributeMap(record.attributes)
        if (!isApiRequest(record, attributes)) {
          ignored++
          continue
        }
        items.push(apiRequestRecord(record, attributes, hostName))
        paths.push(`resourceLogs[${i}].scopeLogs[${j}].logRecords[${k}]`)
      }
    }
  }
  return { items, paths, ignored }
}

/** The OTLP answer: `{}` when every record was accepted, else `partialSuccess` with the count and the first reason. */
export function otlpAnswer(
  rejected: ReadonlyArray<{ index: number; error: string }>,
  paths: readonly string[],
): { partialSuccess?: { rejectedLogRecords: number; errorMessage: string } } {
  if (rejected.length === 0) return {}
  const first = rejected[0]
  const where = paths[first.index] ?? `record ${first.index}`
  const errorMessage = `${rejected.length} claude_code.api_request event${rejected.length === 1 ? "" : "s"} rejected; first, ${where}: ${first.error}`
  return { partialSuccess: { rejectedLogRecords: rejected.length, errorMessage } }
}
