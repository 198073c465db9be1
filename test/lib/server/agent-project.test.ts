import { expect } from "chai"
import { startTestService, type TestService, wireRecord } from "./helpers.js"

describe("agent, project and model on the API", () => {
  let svc: TestService
  const records = [
    wireRecord({ agent: "claude-code", project: "usage-hub", model: "claude-opus-4", estimatedCost: 1 }),
    wireRecord({ agent: "claude-code", project: "web-app", estimatedCost: 2 }),
    wireRecord({ agent: "codex", project: "usage-hub", provider: "openai", model: "gpt-5", estimatedCost: 4 }),
    wireRecord({ estimatedCost: 8 }),
  ]

  before(async () => {
    svc = await startTestService()
    const res = await svc.post(records)
    expect(res.json).to.include({ accepted: 4 })
  })

  after(() => svc.stop())

  it("keeps agent and project on the records and exports them (CSV: the last two columns)", async () => {
    const nd = await svc.get("/api/usage/export?format=ndjson")
    const got = nd.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
    expect(got.filter((r) => r.agent === "claude-code")).to.have.length(2)
    expect(got.find((r) => r.estimatedCost === 8)).to.not.have.any.keys("agent", "project")
    const csv = await svc.get("/api/usage/export?format=csv&agent=codex")
    const [head, row] = csv.text.trim().split("\n")
    expect(head.split(",").slice(-2)).to.deep.equal(["agent", "project"])
    expect(row.split(",").slice(-2)).to.deep.equal(["codex", "usage-hub"])
  })

  it("filters summaries by agent, project and model, and breaks them down by agent and project", async () => {
    const byAgent = await svc.get("/api/usage/summary?since=2026-01-01&by=agent")
    const groups = Object.fromEntries(
      byAgent.json.breakdown.groups.map((g: { key: string; totalCost: number }) => [g.key, g.totalCost]),
    )
    expect(groups).to.deep.equal({ "claude-code": 3, codex: 4, "": 8 })
    const project = await svc.get("/api/usage/summary?since=2026-01-01&project=usage-hub")
    expect(project.json.totalCost).to.equal(5)
    const model = await svc.get("/api/usage/summary?since=2026-01-01&agent=claude-code&model=claude-opus-4")
    expect(model.json.totalCost).to.equal(1)
    const byProject = await svc.get("/api/usage/summary?since=2026-01-01&agent=claude-code&by=project")
    expect(byProject.json.breakdown.groups.map((g: { key: string }) => g.key).sort()).to.deep.equal([
      "usage-hub",
      "web-app",
    ])
  })

  it("refuses an over-long filter value with a 400", async () => {
    const res = await svc.get(`/api/usage/summary?agent=${"a".repeat(65)}`)
    expect(res.status).to.equal(400)
    expect(res.json.error.code).to.equal("INVALID_QUERY")
  })
})
