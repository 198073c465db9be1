import { readFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { usageRecordSchema } from "../../../src/lib/record.js"
import { renderApiMarkdown } from "../../../src/lib/server/api-doc.js"
import { openApiDocument } from "../../../src/lib/server/openapi.js"
import { startTestService, type TestService, wireRecord } from "./helpers.js"

const ROOT = join(import.meta.dirname, "..", "..", "..")

describe("OpenAPI document", () => {
  let svc: TestService

  before(async () => {
    svc = await startTestService()
  })
  after(async () => {
    await svc.stop()
  })

  it("is served at /openapi.json as OpenAPI 3.1", async () => {
    const res = await svc.get("/openapi.json")
    expect(res.status).to.equal(200)
    expect(res.json.openapi).to.equal("3.1.0")
    expect(res.json).to.deep.equal(JSON.parse(JSON.stringify(openApiDocument(res.json.info.version))))
  })

  it("documents routes the service has, and every main route", () => {
    const doc = openApiDocument()
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(ops)) {
        const url = path.replace(/\{(\w+)\}/g, ":$1")
        expect(svc.app.hasRoute({ method: method.toUpperCase() as "GET", url }), `${method} ${path}`).to.equal(true)
      }
    }
    const routes = svc.app.printRoutes({ commonPrefix: false })
    for (const served of [
      "/ingest/usage",
      "/api/usage/summary",
      "/api/usage/export",
      "/api/usage/trends",
      "/api/usage/stream",
      "/healthz",
      "/metrics",
    ]) {
      expect(routes).to.include(served.split("/").pop())
      expect(Object.keys(doc.paths as object)).to.include(served)
    }
  })

  it("documents every field of a served summary, its provider entries and its breakdown", async () => {
    await svc.post([wireRecord(), wireRecord({ provider: "openai" })])
    const res = await svc.get("/api/usage/summary?since=2026-01-01&by=model")
    expect(res.status).to.equal(200)
    type Props = { properties: Record<string, unknown> }
    const schemas = (openApiDocument().components as { schemas: Record<string, Props> }).schemas
    const documented = (name: string) => Object.keys(schemas[name].properties)
    expect(documented("UsageSummary")).to.include.members(Object.keys(res.json))
    for (const entry of Object.values(res.json.summaries as Record<string, object>)) {
      expect(documented("ProviderUsageSummary")).to.include.members(Object.keys(entry))
    }
    for (const group of res.json.breakdown.groups as object[]) {
      expect(documented("BreakdownEntry")).to.include.members(Object.keys(group))
    }
  })

  it("takes the record schema from the zod schema the service validates with", () => {
    const schema = (openApiDocument().components as { schemas: { UsageRecord: { required: string[] } } }).schemas
      .UsageRecord
    const required = Object.entries(usageRecordSchema.shape)
      .filter(([, field]) => !field.safeParse(undefined).success)
      .map(([key]) => key)
    expect([...schema.required].sort()).to.deep.equal(required.sort())
  })

  it("is rendered to docs/api.md, which is current (npx tsx scripts/gen-api-doc.ts)", () => {
    expect(readFileSync(join(ROOT, "docs", "api.md"), "utf8")).to.equal(renderApiMarkdown())
  })
})
