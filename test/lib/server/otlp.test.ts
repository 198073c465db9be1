import { gzipSync } from "node:zlib"
import { expect } from "chai"
import { UsageHubError } from "../../../src/lib/errors.js"
import type { StoredRecord } from "../../../src/lib/record.js"
import { claudeCodeEvents, otlpAnswer, parseOtlpLogsJson } from "../../../src/lib/server/otlp.js"
import type { UsageStore } from "../../../src/lib/store/store.js"
import { memorySqlite, startTestService, type TestService } from "./helpers.js"

type Value = { stringValue: string } | { intValue: string | number } | { doubleValue: number } | { boolValue: boolean }
const str = (key: string, value: string) => ({ key, value: { stringValue: value } as Value })
const int = (key: string, value: number | string) => ({ key, value: { intValue: value } as Value })
const dbl = (key: string, value: number) => ({ key, value: { doubleValue: value } as Value })

const SESSION = "4f1c2a9e-7b1d-4c3e-9a57-0d2b5e6f8a11"
const PROMPT = "a6d0c3f2-18e4-4b7a-bb0c-2e9f1d4c7a35"

/** The attributes Claude Code puts on every event (user, session, terminal) plus the event's own. */
function event(name: string, sequence: number, timestamp: string, own: Array<{ key: string; value: Value }>) {
  return {
    timeUnixNano: String(Date.parse(timestamp) * 1_000_000),
    observedTimeUnixNano: String(Date.parse(timestamp) * 1_000_000 + 1_000),
    body: { stringValue: `claude_code.${name}` },
    attributes: [
      str("user.id", "e3b0c44298fc1c149afbf4c8996fb924"),
      str("session.id", SESSION),
      str("organization.id", "2f5a7c1e-0000-4000-8000-000000000001"),
      str("user.account_uuid", "9c8b7a6d-0000-4000-8000-000000000002"),
      str("terminal.type", "tmux"),
      str("event.name", name),
      str("event.timestamp", timestamp),
      int("event.sequence", sequence),
      str("prompt.id", PROMPT),
      ...own,
    ],
  }
}

/** An api_request event as Claude Code exports it (counts as intValue, some senders send them as strings). */
function apiRequest(sequence: number, timestamp: string, overrides: Array<{ key: string; value: Value }> = []) {
  const own = [
    str("model", "claude-sonnet-4-5-20250929"),
    dbl("cost_usd", 0.0123456),
    int("duration_ms", 2834),
    int("input_tokens", 1200),
    int("output_tokens", "340"),
    int("cache_read_tokens", 15000),
    str("cache_creation_tokens", "2100"),
    str("request_id", `req_011CV${sequence}`),
  ]
  const keys = new Set(overrides.map((o) => o.key))
  return event("api_request", sequence, timestamp, [...own.filter((a) => !keys.has(a.key)), ...overrides])
}

/** A whole export: resource attributes (host.name when given), one scope, the records. */
function exportBody(records: unknown[], hostName?: string) {
  const attributes = [
    str("service.name", "claude-code"),
    str("service.version", "2.0.14"),
    str("os.type", "linux"),
    str("host.arch", "amd64"),
    ...(hostName ? [str("host.name", hostName)] : []),
  ]
  return {
    resourceLogs: [
      {
        resource: { attributes },
        scopeLogs: [{ scope: { name: "com.anthropic.claude_code.events", version: "2.0.14" }, logRecords: records }],
      },
    ],
  }
}

/** A realistic batch: a prompt, two API calls, a tool decision and its result. */
function sessionBatch() {
  return [
    event("user_prompt", 0, "2026-11-20T10:00:00.000Z", [int("prompt_length", 42)]),
    apiRequest(1, "2026-11-20T10:00:03.250Z"),
    event("tool_decision", 2, "2026-11-20T10:00:03.300Z", [str("tool_name", "Bash"), str("decision", "accept")]),
    event("tool_result", 3, "2026-11-20T10:00:05.000Z", [str("tool_name", "Bash"), str("success", "true")]),
    apiRequest(4, "2026-11-20T10:00:09.900Z", [
      str("model", "claude-haiku-4-5-20251001"),
      dbl("cost_usd", 0.0007),
      int("input_tokens", 800),
      int("output_tokens", 60),
    ]),
  ]
}

/** The api_request records of a body, through the parser the route uses. */
const eventsOf = (body: unknown) => claudeCodeEvents(parseOtlpLogsJson(Buffer.from(JSON.stringify(body))))

async function stored(store: UsageStore): Promise<StoredRecord[]> {
  const out: StoredRecord[] = []
  for await (const chunk of store.iterate({})) out.push(...(chunk as StoredRecord[]))
  return out.sort((a, b) => a.id.localeCompare(b.id))
}

describe("OTLP logs: Claude Code's api_request events as records (otlp.ts)", () => {
  it("turns each api_request event into a record and counts the other events as ignored", () => {
    const { items, ignored } = eventsOf(exportBody(sessionBatch(), "build-07"))
    expect(ignored).to.equal(3)
    expect(items).to.have.length(2)
    expect((items[0] as { value: unknown }).value).to.deep.equal({
      id: `claude-code:${SESSION}:${PROMPT}:1`,
      timestamp: "2026-11-20T10:00:03.250Z",
      provider: "anthropic",
      model: "claude-sonnet-4-5-20250929",
      inputTokens: 1200,
      outputTokens: 340,
      cacheReadTokens: 15000,
      cacheWriteTokens: 2100,
      taskType: "primary",
      sessionID: SESSION,
      agent: "claude-code",
      node: "build-07",
      estimatedCost: 0.0123456,
    })
  })

  it("finds the event by its eventName or body when the event.name attribute is absent", () => {
    const record = apiRequest(7, "2026-11-20T11:00:00.000Z")
    record.attributes = record.attributes.filter((a) => a.key !== "event.name")
    const byBody = eventsOf(exportBody([record]))
    expect(byBody.items).to.have.length(1)
    const byEventName = eventsOf(exportBody([{ ...record, body: undefined, eventName: "claude_code.api_request" }]))
    expect(byEventName.items).to.have.length(1)
  })

  it("takes the record's time when the event has no event.timestamp", () => {
    const record = apiRequest(8, "2026-11-20T12:34:56.789Z")
    record.attributes = record.attributes.filter((a) => a.key !== "event.timestamp")
    const [item] = eventsOf(exportBody([record])).items
    expect((item as { value: { timestamp: unknown } }).value.timestamp).to.equal(Date.parse("2026-11-20T12:34:56.789Z"))
  })

  it("prices an event without cost_usd from the catalogue, and flags a model nobody prices", () => {
    const known = apiRequest(9, "2026-11-20T12:00:00.000Z", [str("model", "claude-sonnet-4-20250514")])
    known.attributes = known.attributes.filter((a) => a.key !== "cost_usd")
    const unknown = apiRequest(10, "2026-11-20T12:00:01.000Z", [str("model", "claude-nobody-knows")])
    unknown.attributes = unknown.attributes.filter((a) => a.key !== "cost_usd")
    const [a, b] = eventsOf(exportBody([known, unknown])).items as Array<{ value: Record<string, unknown> }>
    // 1200 x 3 + 340 x 15 + 15000 x 0.3 + 2100 x 3.75 per 1M tokens
    expect(a.value.estimatedCost).to.be.closeTo((1200 * 3 + 340 * 15 + 15000 * 0.3 + 2100 * 3.75) / 1e6, 1e-12)
    expect(a.value.unpriced).to.equal(undefined)
    expect(b.value.unpriced).to.equal(true)
  })

  it("refuses a body that is not OTLP JSON logs", () => {
    for (const body of [
      "",
      "not json",
      "[1,2]",
      '{"resourceLogs": 5}',
      '{"resourceLogs": [{"scopeLogs": [{"logRecords": {}}]}]}',
    ]) {
      expect(() => parseOtlpLogsJson(Buffer.from(body)), body)
        .to.throw(UsageHubError)
        .with.property("code", "UNPARSEABLE_BODY")
    }
    expect(claudeCodeEvents(parseOtlpLogsJson(Buffer.from("{}")))).to.deep.equal({ items: [], paths: [], ignored: 0 })
  })

  it("answers {} when nothing was refused, else partialSuccess naming the first refused record", () => {
    expect(otlpAnswer([], [])).to.deep.equal({})
    expect(
      otlpAnswer([{ index: 1, error: "model: missing" }], ["a", "resourceLogs[0].scopeLogs[0].logRecords[4]"]),
    ).to.deep.equal({
      partialSuccess: {
        rejectedLogRecords: 1,
        errorMessage:
          "1 claude_code.api_request event rejected; first, resourceLogs[0].scopeLogs[0].logRecords[4]: model: missing",
      },
    })
  })
})

describe("POST /v1/logs against the service", () => {
  let svc: TestService
  let store: UsageStore

  beforeEach(async () => {
    store = await memorySqlite()
    svc = await startTestService({ store })
  })
  afterEach(async () => {
    await svc.stop()
    await store.close()
  })

  it("stores Claude Code's api_request events of a realistic export, under the resource's host.name, and answers {}", async () => {
    const res = await svc.post(exportBody(sessionBatch(), "build-07"), {}, "/v1/logs")
    expect(res.status).to.equal(200)
    expect(res.json).to.deep.equal({})
    const records = await stored(store)
    expect(records.map((r) => [r.id, r.node, r.agent, r.timestamp.toISOString()])).to.deep.equal([
      [`claude-code:${SESSION}:${PROMPT}:1`, "build-07", "claude-code", "2026-11-20T10:00:03.250Z"],
      [`claude-code:${SESSION}:${PROMPT}:4`, "build-07", "claude-code", "2026-11-20T10:00:09.900Z"],
    ])
    expect(records[1]).to.include({
      provider: "anthropic",
      model: "claude-haiku-4-5-20251001",
      inputTokens: 800,
      outputTokens: 60,
      cacheReadTokens: 15000,
      cacheWriteTokens: 2100,
      estimatedCost: 0.0007,
      sessionID: SESSION,
    })
  })

  it("takes the node from X-Usage-Node when the resource has no host.name, else unknown", async () => {
    await svc.post(exportBody([apiRequest(1, "2026-11-20T10:00:00.000Z")]), { "x-usage-node": "laptop-3" }, "/v1/logs")
    await svc.post(exportBody([apiRequest(2, "2026-11-20T10:00:01.000Z")]), {}, "/v1/logs")
    expect((await stored(store)).map((r) => r.node)).to.deep.equal(["laptop-3", "unknown"])
  })

  it("counts a redelivered export once", async () => {
    const body = exportBody(sessionBatch(), "build-07")
    expect((await svc.post(body, {}, "/v1/logs")).json).to.deep.equal({})
    expect((await svc.post(body, {}, "/v1/logs")).json).to.deep.equal({})
    const gz = await fetch(`${svc.url}/v1/logs`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: gzipSync(JSON.stringify(body)),
    })
    expect(gz.status).to.equal(200)
    expect(await stored(store)).to.have.length(2)
    const summary = await svc.get("/api/usage/summary?since=2026-11-01&by=agent")
    expect(summary.json.summaries.anthropic.callCount).to.equal(2)
  })

  it("stores the good records of a batch and reports a bad one as partialSuccess", async () => {
    const bad = apiRequest(2, "2026-11-20T10:00:05.000Z", [str("input_tokens", "lots")])
    const noModel = apiRequest(3, "2026-11-20T10:00:06.000Z")
    noModel.attributes = noModel.attributes.filter((a) => a.key !== "model")
    const res = await svc.post(
      exportBody([apiRequest(1, "2026-11-20T10:00:00.000Z"), bad, noModel], "build-07"),
      {},
      "/v1/logs",
    )
    expect(res.status).to.equal(200)
    expect(res.json.partialSuccess.rejectedLogRecords).to.equal(2)
    expect(res.json.partialSuccess.errorMessage).to.match(
      /^2 claude_code\.api_request events rejected; first, resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[1\]: inputTokens/,
    )
    expect((await stored(store)).map((r) => r.id)).to.deep.equal([`claude-code:${SESSION}:${PROMPT}:1`])
  })

  it("answers 400 to a body that is not OTLP JSON, and 415 to protobuf with the setting to change", async () => {
    const notOtlp = await svc.post({ resourceLogs: "yes" }, {}, "/v1/logs")
    expect(notOtlp.status).to.equal(400)
    expect(notOtlp.json.error.code).to.equal("UNPARSEABLE_BODY")
    const protobuf = await fetch(`${svc.url}/v1/logs`, {
      method: "POST",
      headers: { "content-type": "application/x-protobuf" },
      body: new Uint8Array([0x0a, 0x02, 0x08, 0x01]),
    })
    expect(protobuf.status).to.equal(415)
    expect(((await protobuf.json()) as { error: { message: string } }).error.message).to.contain(
      "OTEL_EXPORTER_OTLP_PROTOCOL=http/json",
    )
  })
})

describe("POST /v1/logs with an ingest token", () => {
  const TOKEN = "ingest-token-0123456789"
  let svc: TestService

  beforeEach(async () => {
    svc = await startTestService({ ingestToken: TOKEN })
  })
  afterEach(async () => {
    await svc.stop()
  })

  it("is 401 without the token and stores with it (OTEL_EXPORTER_OTLP_HEADERS=Authorization=Bearer …)", async () => {
    const body = exportBody([apiRequest(1, "2026-11-20T10:00:00.000Z")], "build-07")
    const without = await svc.post(body, {}, "/v1/logs")
    expect(without.status).to.equal(401)
    const withToken = await svc.post(body, { authorization: `Bearer ${TOKEN}` }, "/v1/logs")
    expect(withToken.status).to.equal(200)
    expect(withToken.json).to.deep.equal({})
    const health = await svc.get("/healthz")
    expect(health.json.store.records).to.equal(1)
  })
})
