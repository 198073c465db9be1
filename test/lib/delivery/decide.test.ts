import { expect } from "chai"
import { postIngest } from "../../../src/lib/client/ingest-client.js"
import { type Decision, decide } from "../../../src/lib/delivery/decide.js"

const BASE = "http://ingest.test:3001"
const LINES = ['{"id":"a"}', '{"id":"b"}', '{"id":"c"}', '{"id":"d"}']
/** Backoff before retry n: 100 x 2^n (no jitter), so the table can name the delay. */
const backoff = (n: number) => 100 * 2 ** n

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | { error: string } | { hang: true }

/** Sends `lines` to a fake service answering `answer`, and decides on its outcome. */
async function decideOn(answer: Answer, lines = LINES, retries = 0): Promise<Decision> {
  const fetch: typeof globalThis.fetch = async (_url, init) => {
    if ("error" in answer) throw new TypeError("fetch failed", { cause: { code: answer.error } })
    if ("hang" in answer) {
      return new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal?.reason)))
    }
    const text = answer.body === undefined ? "" : JSON.stringify(answer.body)
    return new Response(text, { status: answer.status, headers: answer.headers })
  }
  const outcome = await postIngest({ endpoint: BASE, node: "n1", lines, timeoutMs: 50, fetch })
  return decide(outcome, { size: lines.length, retries, backoff })
}

const error = (message: string, rejected?: unknown) => ({ error: { code: "X", message, rejected } })

describe("decide: the delivery policy", () => {
  const table: Array<[string, Answer, Partial<Decision> & { kind: Decision["kind"] }, string[]?]> = [
    [
      "a 200 report acknowledges the part",
      { status: 200, body: { accepted: 3, duplicates: 1, rejected: [] } },
      {
        kind: "ack",
        acknowledged: 4,
        accepted: 3,
        duplicates: 1,
        deadLetters: [],
      },
    ],
    [
      "a 200 whose report rejects a record acknowledges the rest and sets that one aside",
      { status: 200, body: { accepted: 3, duplicates: 0, rejected: [{ index: 2, error: "bad cost" }] } },
      { kind: "ack", acknowledged: 3, accepted: 3, deadLetters: [{ index: 2, reason: "bad cost", status: 200 }] },
    ],
    [
      "a 2xx without a report is retried (the records may not be stored)",
      { status: 200, body: "<html>" },
      {
        kind: "retry",
        ms: 100,
      },
    ],
    ["a network error is retried after the backoff", { error: "ECONNREFUSED" }, { kind: "retry", ms: 100 }],
    ["a timeout is retried after the backoff", { hang: true }, { kind: "retry", ms: 100 }],
    ["a 408 is retried", { status: 408, body: error("slow") }, { kind: "retry", ms: 100, status: 408 }],
    ["a 429 is retried", { status: 429, body: error("busy") }, { kind: "retry", ms: 100, status: 429 }],
    ["a 500 is retried", { status: 500, body: error("boom") }, { kind: "retry", ms: 100, status: 500 }],
    ["a 503 is retried", { status: 503 }, { kind: "retry", ms: 100, status: 503 }],
    [
      "a Retry-After longer than the backoff is honoured",
      { status: 429, headers: { "retry-after": "7" } },
      { kind: "retry", ms: 7000 },
    ],
    [
      "a Retry-After shorter than the backoff waits the backoff",
      { status: 503, headers: { "retry-after": "0" } },
      { kind: "retry", ms: 100 },
    ],
    [
      "a Retry-After of a day is honoured up to 5 minutes",
      { status: 503, headers: { "retry-after": "86400" } },
      { kind: "retry", ms: 300_000 },
    ],
    [
      "a 413 for several records splits the part in halves",
      { status: 413, body: error("too big") },
      {
        kind: "split",
        at: 2,
      },
    ],
    [
      "a 413 for one record sets it aside",
      { status: 413, body: error("too big") },
      {
        kind: "deadLetter",
        entries: [{ index: 0, reason: "too large for the service: too big", status: 413 }],
        resend: [],
      },
      ['{"id":"a"}'],
    ],
    [
      "a 400 naming records sets them aside and sends the others again",
      { status: 400, body: error("no valid record", [{ index: 1, error: "bad provider" }]) },
      { kind: "deadLetter", entries: [{ index: 1, reason: "bad provider", status: 400 }], resend: [0, 2, 3] },
    ],
    ["a 400 without detail halves the part", { status: 400, body: error("bad body") }, { kind: "split", at: 2 }],
    [
      "a 400 without detail for one record sets it aside",
      { status: 400, body: error("bad body") },
      { kind: "deadLetter", entries: [{ index: 0, reason: "bad body", status: 400 }], resend: [] },
      ['{"id":"a"}'],
    ],
    ["a 422 is a refusal too", { status: 422, body: error("bad body") }, { kind: "split", at: 2 }],
    [
      "a 401 holds the records (the token)",
      { status: 401, body: error("who?") },
      {
        kind: "hold",
        cause: "auth",
        status: 401,
      },
    ],
    [
      "a 403 holds the records (the token)",
      { status: 403, body: error("no") },
      {
        kind: "hold",
        cause: "auth",
        status: 403,
      },
    ],
    ["a 404 holds the records (the URL)", { status: 404 }, { kind: "hold", cause: "misconfigured", status: 404 }],
    ["a 405 holds the records (the URL)", { status: 405 }, { kind: "hold", cause: "misconfigured", status: 405 }],
  ]

  for (const [spec, answer, expected, lines] of table) {
    it(spec, async () => {
      expect(await decideOn(answer, lines)).to.deep.include(expected)
    })
  }

  it("holds the records when no request can be built from the configuration", async () => {
    const outcome = await postIngest({ endpoint: BASE, token: "tøken-✓", node: "n1", lines: LINES, timeoutMs: 50 })
    expect(decide(outcome, { size: 4, retries: 0, backoff })).to.deep.include({ kind: "hold", cause: "unsendable" })
  })

  it("waits the backoff of the retry it is at", async () => {
    expect(await decideOn({ status: 500 }, LINES, 3)).to.deep.include({ kind: "retry", ms: 800 })
  })

  it("ignores rejected indices outside the part", async () => {
    const decision = await decideOn({
      status: 200,
      body: { accepted: 4, duplicates: 0, rejected: [{ index: 9, error: "?" }] },
    })
    expect(decision).to.deep.include({ kind: "ack", deadLetters: [] })
  })
})
