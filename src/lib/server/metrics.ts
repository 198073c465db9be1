/**
 * Prometheus metrics of one service instance (prom-client, a registry per app so several apps in one
 * process do not share counters): records accepted / duplicate / rejected, ingest commits, request
 * durations per route, live SSE clients, and the store's size read from `store.stats()` at scrape time.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client"
import type { UsageStore } from "../store/store.js"

export interface ServiceMetrics {
  registry: Registry
  recordsAccepted: Counter
  recordsDuplicate: Counter
  recordsRejected: Counter
  commits: Counter
  requestDuration: Histogram<"method" | "route" | "status_code">
  sseClients: Gauge
}

export function createMetrics(
  store: Pick<UsageStore, "stats" | "kind">,
  options: { process?: boolean } = {},
): ServiceMetrics {
  const registry = new Registry()
  if (options.process) collectDefaultMetrics({ register: registry, prefix: "usage_hub_" })
  const registers = [registry]
  const metrics: ServiceMetrics = {
    registry,
    recordsAccepted: new Counter({
      name: "usage_hub_records_accepted_total",
      help: "Usage records stored (new identities).",
      registers,
    }),
    recordsDuplicate: new Counter({
      name: "usage_hub_records_duplicate_total",
      help: "Usage records received again (identity already stored), counted once.",
      registers,
    }),
    recordsRejected: new Counter({
      name: "usage_hub_records_rejected_total",
      help: "Usage records refused by validation.",
      registers,
    }),
    commits: new Counter({
      name: "usage_hub_ingest_commits_total",
      help: "Store transactions of the ingest path (several requests may share one).",
      registers,
    }),
    requestDuration: new Histogram({
      name: "usage_hub_http_request_duration_seconds",
      help: "HTTP request durations by method, route and status.",
      labelNames: ["method", "route", "status_code"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    sseClients: new Gauge({
      name: "usage_hub_sse_clients",
      help: "Open /api/usage/stream connections.",
      registers,
    }),
  }
  new Gauge({
    name: "usage_hub_store_records",
    help: "Records in the store.",
    labelNames: ["kind"] as const,
    registers,
    async collect() {
      try {
        this.set({ kind: store.kind }, (await store.stats()).records)
      } catch {
        // An unreachable store shows as a missing sample; /healthz reports the error.
      }
    },
  })
  new Gauge({
    name: "usage_hub_store_bytes",
    help: "Size of the store on disk, where the backend knows it.",
    labelNames: ["kind"] as const,
    registers,
    async collect() {
      try {
        const { bytes } = await store.stats()
        if (bytes !== undefined) this.set({ kind: store.kind }, bytes)
      } catch {
        // As above.
      }
    },
  })
  return metrics
}

/**
 * Records request durations through one labelled child per (method, route, status), made on first use:
 * `observe(labels, value)` would hash the label object on every request.
 */
export function durationObserver(
  metrics: Pick<ServiceMetrics, "requestDuration">,
): (method: string, route: string | undefined, statusCode: number, seconds: number) => void {
  const children = new Map<string, { observe(value: number): void }>()
  return (method, route = "unmatched", statusCode, seconds) => {
    const key = `${method} ${statusCode} ${route}`
    let child = children.get(key)
    if (!child) {
      child = metrics.requestDuration.labels({ method, route, status_code: String(statusCode) })
      children.set(key, child)
    }
    child.observe(seconds)
  }
}
