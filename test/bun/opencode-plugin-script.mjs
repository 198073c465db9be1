// OpenCode's view of `usage-hub/opencode`: imports the plugin module (PLUGIN_MODULE: "usage-hub/opencode" from a
// project whose node_modules holds the package, or the source file under Bun), calls every export as OpenCode's
// older loaders did (no dedupe of the default and named export), feeds a fake event stream to every hook set, then
// exits (the plugin writes what is pending on exit). Prints one JSON line: the runtime, the exports, what loaded.
// Env: PLUGIN_MODULE, USAGE_CONFIG (set by the test), PROJECT_DIR, WAIT_MS.
import { createRequire } from "node:module"

const mod = await import(process.env.PLUGIN_MODULE)
const out = {
  runtime: typeof Bun !== "undefined" ? `bun ${Bun.version}` : `node ${process.version}`,
  exports: Object.fromEntries(Object.entries(mod).map(([k, v]) => [k, typeof v])),
  sameFunction: mod.default === mod.UsageHubOpenCodePlugin,
}
const input = {
  directory: process.env.PROJECT_DIR,
  worktree: process.env.PROJECT_DIR,
  project: { id: "p1" },
  client: {},
}
const hooks = []
for (const fn of Object.values(mod)) hooks.push(await fn(input))
const emit = async (event) => {
  for (const h of hooks) await h.event?.({ event })
}

const root = "/home/dev/projects/usage-hub"
const assistant = (id, extra) => ({
  id,
  sessionID: "ses_7f3a1c",
  role: "assistant",
  parentID: "msg_user_1",
  time: { created: Date.parse("2026-11-20T10:00:00.000Z") + id.length * 1000 },
  providerID: "anthropic",
  modelID: "claude-sonnet-4-20250514",
  mode: "build",
  path: { cwd: `${root}/src`, root },
  cost: 0,
  tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
  ...extra,
})
const done = (created) => ({ created, completed: created + 4200 })
const t = Date.parse("2026-11-20T10:00:00.000Z")

await emit({ type: "session.updated", properties: { info: { id: "ses_7f3a1c", title: "fix the build" } } })
await emit({
  type: "message.updated",
  properties: { info: { id: "msg_user_1", role: "user", sessionID: "ses_7f3a1c", time: { created: t } } },
})
// Streaming: the message exists, not complete yet.
await emit({
  type: "message.updated",
  properties: {
    info: assistant("msg_a", {
      time: { created: t + 1000 },
      tokens: { input: 1200, output: 10, reasoning: 0, cache: { read: 0, write: 0 } },
    }),
  },
})
await emit({
  type: "message.part.updated",
  properties: { part: { id: "prt_1", messageID: "msg_a", type: "text", text: "Looking" } },
})
// Complete, with OpenCode's cost: recorded.
const a = assistant("msg_a", {
  time: done(t + 1000),
  cost: 0.0123,
  tokens: { input: 1200, output: 340, reasoning: 25, cache: { read: 15000, write: 2100 } },
})
await emit({ type: "message.updated", properties: { info: a } })
// The same message again (OpenCode updates a message after completion, e.g. its summary): not recorded again.
await emit({ type: "message.updated", properties: { info: { ...a } } })
// Complete without a cost: priced from the catalogue.
await emit({
  type: "message.updated",
  properties: {
    info: assistant("msg_b", {
      time: done(t + 60_000),
      agent: "plan",
      mode: undefined,
      tokens: { input: 1000, output: 100, reasoning: 0, cache: { read: 2000, write: 400 } },
    }),
  },
})
// A model nobody prices: the fallback estimate, flagged unpriced.
await emit({
  type: "message.updated",
  properties: {
    info: assistant("msg_c", {
      time: done(t + 120_000),
      providerID: "local",
      modelID: "my-finetune-7b",
      tokens: { input: 500, output: 50, reasoning: 0, cache: { read: 0, write: 0 } },
    }),
  },
})
// Aborted before any token: nothing to record.
await emit({ type: "message.updated", properties: { info: assistant("msg_d", { time: done(t + 180_000) }) } })
// Malformed events never throw into OpenCode.
await emit({ type: "message.updated" })
await emit({ type: "message.updated", properties: { info: null } })

out.loaded = Object.keys(createRequire(import.meta.url).cache ?? {}).filter((p) =>
  /better-sqlite3|[\\/]pg[\\/]|undici|fastify/.test(p),
)
console.log(JSON.stringify(out))
// WAIT_MS: stay up that long (an HTTP backend delivers its spool meanwhile), as a running OpenCode does.
if (process.env.WAIT_MS) await new Promise((resolve) => setTimeout(resolve, Number(process.env.WAIT_MS)))
process.exit(0)
