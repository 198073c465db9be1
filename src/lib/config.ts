/**
 * The configuration schema shared by the plugin and the CLI: the `usage` object of the plugin's config
 * (docs/configuration.md), and the `service` object beside it that only `usage serve` reads (budgets and alert
 * webhooks, docs/budgets.md). Errors name the key and the fix. Plugin-safe (no file or env access here;
 * see config-resolution.ts for the CLI's layering of flags, environment and config file).
 */
import { z } from "zod"
import { isEndpointUrl } from "./endpoint.js"
import { UsageHubError } from "./errors.js"

const resetScheduleSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("weekly"), day: z.number().int().min(0).max(6) }),
  z.object({ type: z.literal("monthly"), day: z.number().int().min(1).max(31) }),
])

const httpUrl = z.string().refine(isEndpointUrl, "must be an http:// or https:// URL")

const httpConfigSchema = z.object({
  /** Required when backend is "http" (checked on the whole config, so a token may come before its endpoint). */
  endpoint: httpUrl.optional(),
  token: z.string().min(1).optional(),
  readToken: z.string().min(1).optional(),
  nodeId: z.string().min(1).max(128).optional(),
  retryAttempts: z.number().int().min(0).max(100).default(3),
  localBufferSize: z.number().int().min(1).max(10_000_000).default(1000),
  batchSize: z.number().int().min(1).max(50_000).default(500),
  flushIntervalMs: z.number().int().min(1).max(3_600_000).default(1000),
  timeoutMs: z.number().int().min(1).max(600_000).default(10_000),
  spoolDir: z.string().min(1).optional(),
})

/** USD per 1M tokens; cache prices default to the input price. */
const perMillion = z.number().finite().nonnegative().max(1_000_000)
const modelPricesSchema = z.object({
  input: perMillion,
  output: perMillion,
  cacheRead: perMillion.optional(),
  cacheWrite: perMillion.optional(),
})

export const usageConfigSchema = z
  .object({
    backend: z.enum(["file", "http"]).default("file"),
    file: z.object({ path: z.string().min(1).optional() }).default({}),
    http: httpConfigSchema.optional(),
    resetSchedules: z.record(z.string(), resetScheduleSchema).default({}),
    /** Prices by model name (USD per 1M tokens), winning over every table (the collectors price with them). */
    prices: z.record(z.string(), modelPricesSchema).optional(),
    enabled: z.boolean().optional(),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.backend === "http" && !cfg.http?.endpoint) {
      ctx.addIssue({
        code: "custom",
        path: ["http", "endpoint"],
        message: 'is required when backend is "http" (e.g. "http://master-node:3001")',
      })
    }
  })

export type UsageConfig = z.output<typeof usageConfigSchema>
export type UsageConfigInput = z.input<typeof usageConfigSchema>
export type HttpConfig = z.output<typeof httpConfigSchema>

/** A budget of the service (DESIGN "Budgets and alerts"): `amount` USD per period over the matching records. */
const budgetSchema = z
  .object({
    name: z.string().min(1).max(128),
    amount: z.number().finite().positive(),
    period: z.enum(["billing", "day", "week", "month"]),
    provider: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    node: z.string().min(1).optional(),
    agent: z.string().min(1).optional(),
    /** Shares of `amount` that alert when reached (default 0.8 and 1.0). */
    warnAt: z.array(z.number().finite().positive().max(100)).min(1).max(10).default([0.8, 1]),
  })
  .superRefine((budget, ctx) => {
    if (budget.period === "billing" && budget.provider === undefined)
      ctx.addIssue({ code: "custom", path: ["provider"], message: 'is required when period is "billing"' })
  })

const webhookSchema = z.object({
  url: httpUrl,
  secret: z.string().min(1),
  events: z
    .array(z.enum(["budget.warning", "budget.exceeded"]))
    .min(1)
    .default(["budget.warning", "budget.exceeded"]),
})

export const serviceConfigSchema = z
  .object({
    budgets: z.array(budgetSchema).default([]),
    alerts: z.object({ webhooks: z.array(webhookSchema).default([]) }).default({ webhooks: [] }),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>()
    cfg.budgets.forEach((budget, i) => {
      if (seen.has(budget.name))
        ctx.addIssue({
          code: "custom",
          path: ["budgets", i, "name"],
          message: `${JSON.stringify(budget.name)} is used twice`,
        })
      seen.add(budget.name)
    })
  })

export type ServiceConfig = z.output<typeof serviceConfigSchema>
export type ServiceConfigInput = z.input<typeof serviceConfigSchema>
export type BudgetConfig = ServiceConfig["budgets"][number]
export type WebhookConfig = ServiceConfig["alerts"]["webhooks"][number]

const FIXES: Array<[RegExp, string]> = [
  [/^usage\.backend$/, 'use "file" or "http"'],
  [/^usage\.http\.endpoint$/, "set it to the URL of `usage serve`, e.g. http://master-node:3001"],
  [/^usage\.resetSchedules\./, 'use {"type": "weekly", "day": 0-6} or {"type": "monthly", "day": 1-31}'],
  [/^usage\.prices\./, 'use {"input": 3, "output": 15, "cacheRead": 0.3, "cacheWrite": 3.75} (USD per 1M tokens)'],
  [/^service\.budgets\.\d+\.provider$/, 'name the provider whose reset schedule the period follows, e.g. "anthropic"'],
  [/^service\.budgets\.\d+\.period$/, 'use "billing", "day", "week" or "month"'],
  [/^service\.budgets\.\d+\.amount$/, "give a positive number of USD, e.g. 100"],
  [/^service\.budgets\.\d+\.name$/, "give each budget its own non-empty name"],
  [/^service\.budgets\.\d+\.warnAt/, "use shares of the amount, e.g. [0.8, 1.0]"],
  [/^service\.budgets/, 'use [{"name": "team", "amount": 100, "period": "month"}]'],
  [/^service\.alerts\.webhooks\.\d+\.url$/, "set it to the receiver's http:// or https:// URL"],
  [/^service\.alerts\.webhooks\.\d+\.secret$/, "set the shared secret the receiver checks the signature with"],
  [/^service\.alerts\.webhooks\.\d+\.events/, 'use a subset of ["budget.warning", "budget.exceeded"]'],
  [/^service\.alerts/, 'use {"webhooks": [{"url": "https://…", "secret": "…"}]}'],
]

function configError(error: z.ZodError, root: string, source: string): UsageHubError {
  const problems = error.issues.map((issue) => {
    const key = [root, ...issue.path.map(String)].join(".")
    const fix = FIXES.find(([re]) => re.test(key))?.[1]
    return `${key}: ${issue.message}${fix ? ` (${fix})` : ""}`
  })
  return new UsageHubError("INVALID_CONFIG", `invalid ${source}: ${problems.join("; ")}`)
}

/** Parses `usage` config; throws INVALID_CONFIG naming each bad key and its fix. */
export function parseUsageConfig(value: unknown, source = "config"): UsageConfig {
  const result = usageConfigSchema.safeParse(value ?? {})
  if (result.success) return result.data
  throw configError(result.error, "usage", source)
}

/** Parses the `service` object (budgets, alert webhooks); throws INVALID_CONFIG naming each bad key and its fix. */
export function parseServiceConfig(value: unknown, source = "config"): ServiceConfig {
  const result = serviceConfigSchema.safeParse(value ?? {})
  if (result.success) return result.data
  throw configError(result.error, "service", source)
}
