/**
 * The OpenAPI 3.1 document of the service, served at `/openapi.json` and rendered to docs/api.md. The record
 * schema is generated from the zod schema the service validates with, so the document cannot drift from it.
 */
import { z } from "zod"
import { API_ERROR_CODES, ERROR_TABLE } from "../errors.js"
import { CSV_COLUMNS, EXPORT_FORMATS } from "../export-format.js"
import { MAX_TREND_DAYS } from "../query/trends.js"
import { usageRecordSchema } from "../record.js"
import { GROUP_BY_VALUES, LEGACY_SUMMARY_KEYS } from "../summary-types.js"
import { DEFAULT_BODY_LIMIT, DEFAULT_MAX_RECORDS } from "./ingest-body.js"

type Json = Record<string, unknown>

function recordSchema(): Json {
  const schema = z.toJSONSchema(usageRecordSchema, { io: "input", unrepresentable: "any" }) as Json
  delete schema.$schema
  const properties = schema.properties as Record<string, Json>
  properties.timestamp = {
    description:
      "ISO 8601 instant with a zone (`Z` or an offset), or epoch milliseconds; from 2000-01-01T00:00:00Z up to (not including) 2100-01-01T00:00:00Z, a real calendar date and time (2026-02-30 is refused).",
    oneOf: [{ type: "string", format: "date-time" }, { type: "integer" }],
  }
  properties.node = {
    ...properties.node,
    description: "Reporting node, not blank; see the ingest endpoint for the default.",
  }
  properties.estimatedCost = { ...properties.estimatedCost, description: "USD, finite, 0..1e9." }
  properties.sessionID = { ...properties.sessionID, description: "Empty counts as absent." }
  properties.unpriced = { ...properties.unpriced, description: "No known price: the cost is the fallback estimate." }
  return {
    ...schema,
    description:
      "A usage record, as nodes send it. Identity is (node, id, timestamp as an instant): a redelivered record counts once. Unknown fields are ignored.",
    additionalProperties: true,
  }
}

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` })
const json = (schema: Json, description: string): Json => ({
  description,
  content: { "application/json": { schema } },
})
const errorResponse = (description: string): Json => json(ref("Error"), description)
const queryParam = (name: string, description: string, schema: Json = { type: "string" }): Json => ({
  name,
  in: "query",
  required: false,
  description,
  schema,
})

const filterParams = [
  queryParam("provider", "Only this provider."),
  queryParam("node", "Only this node."),
  queryParam("model", "Only this model."),
  queryParam("agent", "Only this agent (`claude-code`, `codex`, `opencode`, `gemini-cli`, ...)."),
  queryParam("project", "Only this project (the working directory's name)."),
  queryParam(
    "since",
    "Inclusive start: an ISO date (`YYYY-MM-DD` or `YYYYMMDD`, midnight in `tz`) or instant. With `since`/`until` the answer is for that range instead of each provider's current billing period.",
  ),
  queryParam("until", "Exclusive end: an ISO date (`YYYY-MM-DD` or `YYYYMMDD`, midnight in `tz`) or instant."),
  queryParam("tz", "IANA time zone of day and period boundaries (default: the service's `--tz`)."),
]

const readErrors = {
  "400": errorResponse("A bad query parameter (code INVALID_QUERY)."),
  "401": errorResponse(
    'A read token is configured and none was sent, or an unknown or malformed one (code UNAUTHORIZED; `WWW-Authenticate` says `error="invalid_token"` for the latter).',
  ),
  "403": errorResponse("The token sent is an ingest token, not a read token (code FORBIDDEN)."),
}

const REPORT_TOTAL_KEYS = [
  "totalCost",
  "callCount",
  "inputTokens",
  "outputTokens",
  "cacheReadTokens",
  "cacheWriteTokens",
  "reasoningTokens",
  "unpricedCalls",
]

const reportTotals = {
  type: "object",
  required: REPORT_TOTAL_KEYS,
  properties: {
    totalCost: { type: "number", description: "USD, summed exactly (integer nano-dollars)." },
    ...Object.fromEntries(REPORT_TOTAL_KEYS.slice(1).map((k) => [k, { type: "integer" }])),
  },
}

const summaryEntry: Json = {
  type: "object",
  required: [...LEGACY_SUMMARY_KEYS],
  properties: {
    provider: { type: "string" },
    periodStart: { type: "string", format: "date-time", description: "Start of the period (or `since`)." },
    nextReset: { type: "string", format: "date-time" },
    resetType: { enum: ["weekly", "monthly"] },
    totalCost: { type: "number", description: "USD, summed exactly (integer nano-dollars)." },
    totalInputTokens: { type: "integer" },
    totalOutputTokens: { type: "integer" },
    callCount: { type: "integer" },
    nodes: { type: "integer", description: "How many nodes reported." },
    unpricedCalls: { type: "integer", description: "Calls costed with the fallback estimate." },
    totalCacheReadTokens: { type: "integer" },
    totalCacheWriteTokens: { type: "integer" },
    totalReasoningTokens: { type: "integer" },
    share: { type: "number", description: "This provider's share of the answer's total cost, 0..100." },
  },
}

const DESCRIPTION = `The central ingestion service of usage-hub (\`usage serve\`). Nodes post usage records; people and tools read summaries, trends and exports; the dashboard at \`/\` shows it live.

**Errors.** Every error is JSON \`{"error": {"code", "message"}}\` with the status of its code: ${API_ERROR_CODES.map(
  (code) => `${code} ${ERROR_TABLE[code].status}`,
).join(
  ", ",
)}. No stack trace is ever sent, and a 5xx says only its code and "see the service log": the detail (driver messages, database paths) is logged by the service.

**Headers.** Every answer (data, errors, the event stream, the dashboard's files) carries \`X-Content-Type-Options: nosniff\`: a browser takes it as the type it declares, never sniffs JSON or CSV into HTML or script.

**Auth.** \`--ingest-token\` (env \`USAGE_INGEST_TOKEN\`) guards \`POST /ingest/*\` and \`POST /v1/logs\`; \`--read-token\` (env \`USAGE_READ_TOKEN\`) guards \`/api/*\` and \`/metrics\`. Send \`Authorization: Bearer <token>\`. As RFC 6750 has it: no token is 401 with \`WWW-Authenticate: Bearer realm="usage-hub"\`; an unknown or malformed token is 401 with \`WWW-Authenticate: Bearer realm="usage-hub", error="invalid_token"\`; a valid token of the other kind (a read token on ingest, an ingest token on reads) is 403 with \`error="insufficient_scope"\`. Each option takes several tokens (comma-separated, or a file re-read when it changes and on SIGHUP) so tokens rotate without downtime. Tokens are printable ASCII (no space): the service refuses to start with any other, and a token sent as non-ASCII bytes is 401. Tokens are compared in constant time over SHA-256 digests. \`/\` (the dashboard's static files), \`/healthz\` and \`/openapi.json\` are public: the dashboard asks for the read token and sends it with every data request. Because a browser's EventSource cannot send headers, \`GET /api/usage/stream\` also accepts the read token as the \`token\` query parameter (on that endpoint only, and under that literal name only: \`%74oken\` is not it); the value of every query parameter whose decoded name holds \`token\` is redacted from logs. An unconfigured token leaves its endpoints open.

**Durability.** A 2xx from \`POST /ingest/usage\` is sent only after the store committed the records (see docs/operations.md for what the SQLite store's synchronous mode promises).

**Dates** are ISO 8601 strings in UTC in every answer.`

/** Builds the document (a fresh object each call). */
export function openApiDocument(version = "0.1.0"): Json {
  return {
    openapi: "3.1.0",
    info: { title: "usage-hub", version, description: DESCRIPTION, license: { name: "MIT", identifier: "MIT" } },
    servers: [{ url: "http://127.0.0.1:3001", description: "default `usage serve` address" }],
    tags: [
      { name: "ingest", description: "Nodes report usage records." },
      { name: "read", description: "Summaries, trends, exports and live updates." },
      { name: "ops", description: "Health, metrics, this document." },
    ],
    paths: {
      "/ingest/usage": {
        post: {
          tags: ["ingest"],
          summary: "Store usage records",
          description: `The body is one record, an array of records, \`{"node": "...", "records": [...]}\` (JSON), or one record per non-empty line (\`application/x-ndjson\`). \`Content-Encoding: gzip\` (or deflate) is accepted. Each record is validated on its own: valid records are stored even when others are rejected, and the answer lists each rejected record with its \`index\` (position in the array, or 0-based line among the non-empty lines of NDJSON) and the reason. A record without \`node\` takes the body's \`node\`, else the \`X-Usage-Node\` header, else \`"unknown"\`. Numbers sent as strings, \`NaN\`/\`Infinity\` (or numbers too large for a double) and values that are not objects are refused per record. The answer is sent after the commit. Limits: ${DEFAULT_BODY_LIMIT / 1024 / 1024} MiB after decompression (decompression bombs stop at the limit) and ${DEFAULT_MAX_RECORDS.toLocaleString("en-US")} records per request; over either: 413.`,
          security: [{ ingestToken: [] }, {}],
          parameters: [
            {
              name: "X-Usage-Node",
              in: "header",
              required: false,
              description: "Node of records that name none (when the body has no `node`).",
              schema: { type: "string", minLength: 1, maxLength: 128 },
            },
          ],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  oneOf: [
                    ref("UsageRecord"),
                    { type: "array", items: ref("UsageRecord"), maxItems: DEFAULT_MAX_RECORDS },
                    {
                      type: "object",
                      required: ["records"],
                      properties: {
                        node: { type: "string", minLength: 1, maxLength: 128 },
                        records: { type: "array", items: ref("UsageRecord"), maxItems: DEFAULT_MAX_RECORDS },
                      },
                    },
                  ],
                },
              },
              "application/x-ndjson": {
                schema: { type: "string", description: "One UsageRecord as JSON per line." },
              },
            },
          },
          responses: {
            "200": json(ref("IngestReport"), "Committed. Duplicates (same identity) are counted, not stored again."),
            "400": json(
              ref("IngestError"),
              "Unparseable body (UNPARSEABLE_BODY), bad X-Usage-Node (BAD_USAGE), or no valid record (INVALID_RECORD, with `rejected`).",
            ),
            "401": errorResponse(
              'An ingest token is configured and none was sent, or an unknown or malformed one (code UNAUTHORIZED; `WWW-Authenticate` says `error="invalid_token"` for the latter).',
            ),
            "403": errorResponse("The token sent is a read token, not an ingest token (code FORBIDDEN)."),
            "413": errorResponse("Over the size or record limit (PAYLOAD_TOO_LARGE): split the batch."),
            "415": errorResponse("Unsupported Content-Type or Content-Encoding."),
          },
        },
      },
      "/v1/logs": {
        post: {
          tags: ["ingest"],
          summary: "OpenTelemetry logs (OTLP/HTTP JSON): Claude Code's API calls",
          description:
            "An OTLP `ExportLogsServiceRequest` in the JSON encoding (what Claude Code sends with `OTEL_LOGS_EXPORTER=otlp` and `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`; docs/collectors.md). Each `claude_code.api_request` event (the `event.name` attribute `api_request`, or the record's `eventName` or body `claude_code.api_request`) becomes a record: `agent` `claude-code`, provider `anthropic`, id `claude-code:<session.id>:<prompt.id>:<event.sequence>`, timestamp from `event.timestamp` (else the record's time), `model`, `input_tokens`, `output_tokens`, `cache_read_tokens`, `cache_creation_tokens` (as cache write), cost from `cost_usd` (else priced from the catalogue, flagged `unpriced` when the model is unknown), node from the resource's `host.name`, else `X-Usage-Node`, else `\"unknown\"`. Records are validated and committed as `POST /ingest/usage` does (a redelivery counts once); other events are acknowledged and ignored. `Content-Encoding: gzip` (or deflate) is accepted; protobuf is not (415).",
          security: [{ ingestToken: [] }, {}],
          parameters: [
            {
              name: "X-Usage-Node",
              in: "header",
              required: false,
              description: "Node of the records whose resource has no `host.name`.",
              schema: { type: "string", minLength: 1, maxLength: 128 },
            },
          ],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  description:
                    "OTLP JSON: resourceLogs[].resource.attributes, resourceLogs[].scopeLogs[].logRecords[].",
                  properties: { resourceLogs: { type: "array", items: { type: "object" } } },
                },
              },
            },
          },
          responses: {
            "200": json(
              {
                type: "object",
                properties: {
                  partialSuccess: {
                    type: "object",
                    properties: {
                      rejectedLogRecords: { type: "integer", minimum: 1 },
                      errorMessage: { type: "string" },
                    },
                  },
                },
              },
              "Committed: `{}` when every api_request event was stored (or was already), else `partialSuccess` with the number refused and the first reason.",
            ),
            "400": errorResponse(
              "The body is not OTLP JSON logs (UNPARSEABLE_BODY), or a bad X-Usage-Node (BAD_USAGE).",
            ),
            "401": errorResponse("An ingest token is configured and none (or an unknown one) was sent (UNAUTHORIZED)."),
            "403": errorResponse("The token sent is a read token, not an ingest token (FORBIDDEN)."),
            "413": errorResponse("Over the size or record limit (PAYLOAD_TOO_LARGE)."),
            "415": errorResponse(
              "Not JSON: protobuf (`application/x-protobuf`) is not supported; set `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`.",
            ),
          },
        },
      },
      "/api/usage/summary": {
        get: {
          tags: ["read"],
          summary: "Spend per provider",
          description:
            "Per provider over its current billing period (periods are midnights in `tz`), or over `since`/`until`. `by` adds a breakdown of the same records.",
          security: [{ readToken: [] }, {}],
          parameters: [
            ...filterParams,
            queryParam("by", "Add a breakdown by this dimension.", { enum: [...GROUP_BY_VALUES] }),
          ],
          responses: { "200": json(ref("UsageSummary"), "The summary."), ...readErrors },
        },
      },
      "/api/usage/provider/{provider}/trends": {
        get: {
          tags: ["read"],
          summary: "Daily trend of one provider",
          description: `\`rangeDays\` calendar days in \`tz\` ending today, today included; days without usage are present with zeros. \`range=7d|30d\` or \`days=N\` (1..${MAX_TREND_DAYS}); default 7. Percent-encode the provider; a provider named \`.\` or \`..\` cannot be reached in a path (clients resolve it away): ask \`GET /api/usage/trends?provider=..\`.`,
          security: [{ readToken: [] }, {}],
          parameters: [
            { name: "provider", in: "path", required: true, schema: { type: "string", minLength: 1, maxLength: 128 } },
            queryParam("range", "7d or 30d.", { enum: ["7d", "30d"] }),
            queryParam("days", `Number of days, 1..${MAX_TREND_DAYS}.`, {
              type: "integer",
              minimum: 1,
              maximum: MAX_TREND_DAYS,
            }),
            queryParam("node", "Only this node."),
            queryParam("tz", "IANA time zone of the days."),
          ],
          responses: { "200": json(ref("TrendData"), "The trend."), ...readErrors },
        },
      },
      "/api/usage/trends": {
        get: {
          tags: ["read"],
          summary: "Daily trends of every provider",
          description: `Every provider with usage in the range, each as the TrendData \`/api/usage/provider/{provider}/trends\` answers (same days, totals and averages), the costliest first, in one request whatever the number of providers. \`provider=\` narrows the answer to one provider (an empty array when it has no usage in the range): it works for any provider name, \`.\`, \`..\` and names with \`/\` included, which a browser or proxy may rewrite in a path. \`range=7d|30d\` or \`days=N\` (1..${MAX_TREND_DAYS}); default 7.`,
          security: [{ readToken: [] }, {}],
          parameters: [
            queryParam("provider", "Only this provider."),
            queryParam("range", "7d or 30d.", { enum: ["7d", "30d"] }),
            queryParam("days", `Number of days, 1..${MAX_TREND_DAYS}.`, {
              type: "integer",
              minimum: 1,
              maximum: MAX_TREND_DAYS,
            }),
            queryParam("node", "Only this node."),
            queryParam("tz", "IANA time zone of the days."),
          ],
          responses: {
            "200": json({ type: "array", items: ref("TrendData") }, "The trends, the costliest provider first."),
            ...readErrors,
          },
        },
      },
      "/api/usage/report": {
        get: {
          tags: ["read"],
          summary: "Usage per day, week or month",
          description:
            "Every provider together (or the filtered ones), one row per calendar day, week or month in `tz` that has usage, in date order: `period` is the day `YYYY-MM-DD`, the week's first day `YYYY-MM-DD` (Monday unless `startOfWeek` says otherwise) or the month `YYYY-MM`. Without `since`/`until`, all data; `since`/`until` clip the first and last period, and `since`/`until` in the answer are the range covered (`null` when nothing matched). The rows are under `daily`, `weekly` or `monthly`. Answered from the rollups, never by a scan.",
          security: [{ readToken: [] }, {}],
          parameters: [
            { name: "period", in: "query", required: true, schema: { enum: ["day", "week", "month"] } },
            ...filterParams,
            queryParam("by", "Add a breakdown of each row by this dimension.", { enum: [...GROUP_BY_VALUES] }),
            queryParam("order", "Rows oldest first (`asc`, the default) or newest first (`desc`).", {
              enum: ["asc", "desc"],
            }),
            queryParam("startOfWeek", "First day of a week, 0 (Sunday) to 6; default 1 (Monday, ISO).", {
              type: "integer",
              minimum: 0,
              maximum: 6,
            }),
          ],
          responses: { "200": json(ref("UsageReport"), "The report."), ...readErrors },
        },
      },
      "/api/usage/sessions": {
        get: {
          tags: ["read"],
          summary: "Usage per session",
          description:
            "Sessions keyed by (node, sessionID), answered from the session aggregate the store keeps at insert (never a scan): the newest by last call first, at most `limit`. A session matches when its LAST call lies in [`since`, `until`) and its node is `node`; `provider`, `model`, `agent` and `project` keep the sessions with at least one call matching all of them, and a session's sums are always the whole session's. `agent` and `project` are those with the most calls in the session (`null` when none). `totals` sum the sessions listed; calls without a session id are left out and counted in `withoutSession` (those whose own timestamp is in the range and that match the filters).",
          security: [{ readToken: [] }, {}],
          parameters: [
            ...filterParams,
            queryParam("limit", "At most this many sessions, the newest by last call (1 to 10000; default 50).", {
              type: "integer",
              minimum: 1,
              maximum: 10_000,
            }),
            queryParam("order", "`desc` (default): newest last call first; `asc`: the same sessions, oldest first.", {
              enum: ["asc", "desc"],
            }),
          ],
          responses: { "200": json(ref("SessionsReport"), "The sessions."), ...readErrors },
        },
      },
      "/api/usage/nodes": {
        get: {
          tags: ["read"],
          summary: "Nodes: last receipt and calls in the last hour",
          description:
            "Every node that sent records: `lastSeen`, the service's clock when its last new record was committed (for records stored before this was kept: the newest record's timestamp), and `callsLastHour`, its calls with a timestamp in the hour before `generatedAt`, from the rollups.",
          security: [{ readToken: [] }, {}],
          responses: { "200": json(ref("Nodes"), "The nodes, by name."), ...readErrors },
        },
      },
      "/api/usage/budgets": {
        get: {
          tags: ["read"],
          summary: "Budgets in their current period",
          description:
            "Every budget of the service's config file (`service.budgets`, docs/budgets.md) in its current period, spend read from the rollups: `share` = spent / amount, `projected` = spent / the elapsed share of the period, `status` `exceeded` from a share of 1, `warning` from the lowest `warnAt` threshold, else `ok`. Each threshold crossing is also sent once as a `budget` event on `/api/usage/stream` and to the configured webhooks.",
          security: [{ readToken: [] }, {}],
          responses: { "200": json(ref("Budgets"), "The budgets, in the order of the config."), ...readErrors },
        },
      },
      "/api/usage/export": {
        get: {
          tags: ["read"],
          summary: "All matching records, streamed",
          description: `Records in (timestamp, node, id) order, streamed with bounded memory. \`json\` is an array, \`ndjson\` one record per line, \`csv\` a header row then the columns ${CSV_COLUMNS.map((c) => `\`${c}\``).join(", ")} (RFC 4180 quoting, \`\\n\` line ends, timestamps in UTC). A CSV cell starting with \`=\`, \`+\`, \`-\`, \`@\`, a tab or a carriage return gets a leading \`'\` so spreadsheets do not run it as a formula.`,
          security: [{ readToken: [] }, {}],
          parameters: [
            queryParam("format", "Output format (default json).", { enum: [...EXPORT_FORMATS] }),
            ...filterParams,
          ],
          responses: {
            "200": {
              description: "The records.",
              content: {
                "application/json": { schema: { type: "array", items: ref("UsageRecord") } },
                "application/x-ndjson": { schema: { type: "string" } },
                "text/csv": { schema: { type: "string" } },
              },
            },
            ...readErrors,
          },
        },
      },
      "/api/usage/stream": {
        get: {
          tags: ["read"],
          summary: "Live summaries (Server-Sent Events)",
          description:
            "A `summary` event (data: a UsageSummary as JSON) at once and after committed ingest batches that can have changed it (a stream filtered to a provider, a node or a time range skips commits of other providers, nodes or times), at most once a second per distinct query (commits meanwhile are folded into one update; under heavy ingest with many distinct queries, updates come less often rather than slow ingestion down), and a `: heartbeat` comment every 15 s. A `budget` event (data: the alert as the webhooks get it, docs/budgets.md) for each budget threshold crossing this replica raised. Takes the summary's query parameters. The read token may be sent as `token` in the query, since EventSource cannot send headers. One token (or, without a token, one client address) holds at most 1000 streams at once: beyond, 429. `HEAD` answers the stream's headers and ends (no stream is held).",
          security: [{ readToken: [] }, { queryToken: [] }, {}],
          parameters: [
            ...filterParams,
            queryParam("by", "Add a breakdown by this dimension.", { enum: [...GROUP_BY_VALUES] }),
            queryParam("token", "The read token (for EventSource)."),
          ],
          responses: {
            "200": {
              description: "An event stream.",
              content: { "text/event-stream": { schema: { type: "string" } } },
            },
            ...readErrors,
            "429": errorResponse(
              "This token (or address) already holds the most streams allowed (code TOO_MANY_STREAMS).",
            ),
          },
        },
      },
      "/healthz": {
        get: {
          tags: ["ops"],
          summary: "Liveness with store status",
          responses: {
            "200": json(ref("Health"), "The service and its store are up."),
            "503": json(ref("Health"), "The store does not answer."),
          },
        },
      },
      "/metrics": {
        get: {
          tags: ["ops"],
          summary: "Prometheus metrics",
          description:
            "Text exposition format: `usage_hub_records_accepted_total`, `usage_hub_records_duplicate_total`, `usage_hub_records_rejected_total`, `usage_hub_ingest_commits_total`, `usage_hub_http_request_duration_seconds`, `usage_hub_sse_clients`, `usage_hub_store_records`, `usage_hub_store_bytes`, and process metrics (`usage_hub_process_*`, `usage_hub_nodejs_*`) under `usage serve`.",
          security: [{ readToken: [] }, {}],
          responses: {
            "200": { description: "Metrics.", content: { "text/plain": { schema: { type: "string" } } } },
            "401": readErrors["401"],
            "403": readErrors["403"],
          },
        },
      },
      "/openapi.json": {
        get: {
          tags: ["ops"],
          summary: "This document",
          responses: { "200": { description: "OpenAPI 3.1.", content: { "application/json": {} } } },
        },
      },
      "/": {
        get: {
          tags: ["ops"],
          summary: "The live dashboard",
          description: "Static HTML, JavaScript and CSS (public); its data comes from `/api/*` with the read token.",
          responses: { "200": { description: "HTML.", content: { "text/html": {} } } },
        },
      },
    },
    components: {
      securitySchemes: {
        ingestToken: { type: "http", scheme: "bearer", description: "One of the --ingest-token tokens." },
        readToken: { type: "http", scheme: "bearer", description: "One of the --read-token tokens." },
        queryToken: {
          type: "apiKey",
          in: "query",
          name: "token",
          description: "The read token, on /api/usage/stream only.",
        },
      },
      schemas: {
        UsageRecord: recordSchema(),
        Rejection: {
          type: "object",
          required: ["index", "error"],
          properties: { index: { type: "integer", minimum: 0 }, error: { type: "string" } },
        },
        IngestReport: {
          type: "object",
          required: ["accepted", "duplicates", "rejected"],
          properties: {
            accepted: { type: "integer", description: "New records stored." },
            duplicates: { type: "integer", description: "Records whose identity was already stored." },
            rejected: { type: "array", items: ref("Rejection") },
          },
        },
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: { code: { enum: [...API_ERROR_CODES] }, message: { type: "string" } },
            },
          },
        },
        IngestError: {
          description: "An Error; when records were rejected it also carries the ingest report (accepted 0).",
          allOf: [
            ref("Error"),
            {
              type: "object",
              properties: {
                accepted: { type: "integer" },
                duplicates: { type: "integer" },
                rejected: { type: "array", items: ref("Rejection") },
              },
            },
          ],
        },
        ProviderUsageSummary: summaryEntry,
        BreakdownEntry: {
          type: "object",
          properties: {
            key: { type: "string" },
            totalCost: { type: "number" },
            callCount: { type: "integer" },
            totalInputTokens: { type: "integer" },
            totalOutputTokens: { type: "integer" },
            totalCacheReadTokens: { type: "integer" },
            totalCacheWriteTokens: { type: "integer" },
            totalReasoningTokens: { type: "integer" },
            unpricedCalls: { type: "integer" },
            nodes: { type: "integer" },
            share: { type: "number", description: "Share of the total cost, 0..100." },
          },
        },
        UsageSummary: {
          type: "object",
          required: ["summaries", "totalCost", "nodes", "generatedAt", "tz"],
          properties: {
            summaries: { type: "object", additionalProperties: ref("ProviderUsageSummary") },
            totalCost: { type: "number" },
            totalsByResetType: {
              type: "object",
              description:
                "The total per kind of billing period (`weekly`, `monthly`, ...): `totalCost` adds periods of different lengths.",
              additionalProperties: {
                type: "object",
                properties: { totalCost: { type: "number" }, callCount: { type: "integer" } },
              },
            },
            knownProviders: {
              type: "array",
              items: { type: "string" },
              description: "When a `provider` filter matched nothing: the providers that have records.",
            },
            nodes: { type: "array", items: { type: "string" }, description: "Nodes that reported." },
            generatedAt: { type: "string", format: "date-time" },
            tz: { type: "string" },
            since: { type: "string", format: "date-time" },
            until: { type: "string", format: "date-time" },
            breakdown: {
              type: "object",
              properties: {
                by: { enum: [...GROUP_BY_VALUES] },
                groups: { type: "array", items: ref("BreakdownEntry") },
              },
            },
          },
        },
        ReportTotals: reportTotals,
        ReportRow: {
          type: "object",
          required: ["period", ...REPORT_TOTAL_KEYS, "models"],
          properties: {
            period: { type: "string", description: "`YYYY-MM-DD` (a day or a week's first day) or `YYYY-MM`." },
            ...reportTotals.properties,
            models: { type: "array", items: { type: "string" }, description: "The models used, sorted." },
            breakdown: {
              type: "array",
              description: "With `by`: one entry per value, the costliest first.",
              items: {
                type: "object",
                properties: { key: { type: "string" }, ...reportTotals.properties },
              },
            },
          },
        },
        UsageReport: {
          type: "object",
          required: ["totals", "tz", "since", "until"],
          properties: {
            daily: { type: "array", items: ref("ReportRow"), description: "With `period=day`." },
            weekly: { type: "array", items: ref("ReportRow"), description: "With `period=week`." },
            monthly: { type: "array", items: ref("ReportRow"), description: "With `period=month`." },
            totals: ref("ReportTotals"),
            tz: { type: "string" },
            by: { enum: [...GROUP_BY_VALUES] },
            since: { type: ["string", "null"], format: "date-time" },
            until: { type: ["string", "null"], format: "date-time" },
          },
        },
        SessionsReport: {
          type: "object",
          required: ["sessions", "totals", "withoutSession", "tz", "since", "until"],
          properties: {
            sessions: {
              type: "array",
              items: {
                type: "object",
                required: [
                  "sessionID",
                  "node",
                  "agent",
                  "project",
                  "firstCall",
                  "lastCall",
                  "durationMs",
                  "models",
                  ...REPORT_TOTAL_KEYS,
                ],
                properties: {
                  sessionID: { type: "string" },
                  node: { type: "string" },
                  agent: { type: ["string", "null"], description: "The agent with the most calls in the session." },
                  project: { type: ["string", "null"], description: "The project with the most calls in the session." },
                  firstCall: { type: "string", format: "date-time" },
                  lastCall: { type: "string", format: "date-time" },
                  durationMs: { type: "integer", description: "`lastCall` - `firstCall`." },
                  models: { type: "array", items: { type: "string" }, description: "The models used, sorted." },
                  ...reportTotals.properties,
                },
              },
            },
            totals: ref("ReportTotals"),
            withoutSession: {
              type: "object",
              required: ["callCount", "totalCost"],
              description: "Calls without a session id in the range, not in any session.",
              properties: { callCount: { type: "integer" }, totalCost: { type: "number" } },
            },
            tz: { type: "string" },
            since: { type: ["string", "null"], format: "date-time" },
            until: { type: ["string", "null"], format: "date-time" },
          },
        },
        Nodes: {
          type: "object",
          required: ["nodes", "generatedAt"],
          properties: {
            nodes: {
              type: "array",
              items: {
                type: "object",
                required: ["node", "lastSeen", "callsLastHour"],
                properties: {
                  node: { type: "string" },
                  lastSeen: {
                    type: "string",
                    format: "date-time",
                    description: "When its last new record was committed.",
                  },
                  callsLastHour: { type: "integer" },
                },
              },
            },
            generatedAt: { type: "string", format: "date-time" },
          },
        },
        TrendData: {
          type: "object",
          required: ["provider", "rangeDays", "dataPoints", "totalCost", "avgDailyCost"],
          properties: {
            provider: { type: "string" },
            rangeDays: { type: "integer" },
            dataPoints: {
              type: "array",
              items: {
                type: "object",
                properties: {
                  date: { type: "string", format: "date" },
                  cost: { type: "number" },
                  calls: { type: "integer" },
                  inputTokens: { type: "integer" },
                  outputTokens: { type: "integer" },
                },
              },
            },
            totalCost: { type: "number" },
            avgDailyCost: { type: "number" },
          },
        },
        Budgets: {
          type: "object",
          required: ["budgets"],
          properties: {
            budgets: {
              type: "array",
              items: {
                type: "object",
                required: ["name", "amount", "spent", "share", "periodStart", "periodEnd", "projected", "status"],
                properties: {
                  name: { type: "string" },
                  amount: { type: "number", description: "USD per period." },
                  spent: { type: "number", description: "USD spent in the period so far." },
                  share: { type: "number", description: "spent / amount." },
                  periodStart: { type: "string", format: "date-time" },
                  periodEnd: { type: "string", format: "date-time", description: "Exclusive." },
                  projected: { type: "number", description: "Spend at the period's end at the pace so far." },
                  status: { enum: ["ok", "warning", "exceeded"] },
                },
              },
            },
          },
        },
        Health: {
          type: "object",
          properties: {
            status: { enum: ["ok", "error"] },
            uptimeSeconds: { type: "number" },
            store: {
              type: "object",
              properties: {
                kind: { enum: ["memory", "sqlite", "postgres"] },
                status: { enum: ["ok", "error"] },
                records: { type: "integer" },
                error: { type: "string" },
              },
            },
          },
        },
      },
    },
  }
}
