/** Shared helpers of the service tests: record factories, a real service on a loopback port, JSON posts. */

import type { UsageRecordJson } from "../../../src/lib/record.js"
import { type RunningServer, type StartOptions, startServer } from "../../../src/lib/server/start.js"
import { openStoreAt } from "../../../src/lib/store/open.js"
import type { UsageStore } from "../../../src/lib/store/store.js"

export const NOW = new Date("2026-11-20T12:00:00.000Z")

let seq = 0

/** A valid wire record; unique id unless overridden. */
export function wireRecord(
  overrides: Partial<UsageRecordJson> & Record<string, unknown> = {},
): Record<string, unknown> {
  seq += 1
  return {
    id: `usage_test_${seq}`,
    timestamp: new Date(NOW.getTime() - (seq % 50) * 60_000).toISOString(),
    provider: "anthropic",
    model: "claude-sonnet-4-5",
    inputTokens: 1000 + seq,
    outputTokens: 100 + (seq % 7),
    estimatedCost: 0.0001 * ((seq % 13) + 1),
    taskType: "primary",
    ...overrides,
  }
}

/** Opens a fresh in-memory SQLite store. */
export function memorySqlite(): Promise<UsageStore> {
  return openStoreAt(":memory:", { create: true })
}

export interface TestService extends RunningServer {
  post(body: unknown, headers?: Record<string, string>, path?: string): Promise<{ status: number; json: any }>
  get(
    path: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; json: any; text: string; headers: Headers }>
  stop(): Promise<void>
}

/** Starts the service on 127.0.0.1, a free port, over `store` (default: in-memory SQLite), clock at NOW, UTC. */
export async function startTestService(options: Partial<StartOptions> = {}): Promise<TestService> {
  const store = options.store ?? (await memorySqlite())
  const server = await startServer({ tz: "UTC", clock: () => NOW, ...options, store, host: "127.0.0.1", port: 0 })
  const post = async (body: unknown, headers: Record<string, string> = {}, path = "/ingest/usage") => {
    const raw = typeof body === "string" || body instanceof Uint8Array
    const res = await fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: raw ? (body as string) : JSON.stringify(body),
    })
    const text = await res.text()
    return { status: res.status, json: text ? JSON.parse(text) : undefined }
  }
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server.url}${path}`, { headers })
    const text = await res.text()
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: res.status, json, text, headers: res.headers }
  }
  return {
    ...server,
    post,
    get,
    async stop() {
      await server.close()
      if (!options.store) await store.close()
    },
  }
}

/** Exact sum of USD amounts in nano-dollars (an independent reference for totals). */
export function sumNanos(records: Array<Record<string, unknown>>): number {
  return records.reduce((acc, r) => acc + Math.round((r.estimatedCost as number) * 1e9), 0)
}
