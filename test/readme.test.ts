import { cpSync, existsSync, readdirSync, readFileSync, realpathSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { estimateCost } from "../src/lib/pricing/pricing.js"
import { parseRecord } from "../src/lib/record.js"
import { BIN, cleanEnv, ensureBuilt, ROOT } from "./commands/helpers.js"
import { consoleBlocks, quickStartRunner, quickStartSection } from "./helpers/quick-start.js"
import { tempDir } from "./helpers/tmp.js"

const README = readFileSync(join(ROOT, "README.md"), "utf8")
const EXAMPLES = ["laptop.json", "build-07.json"]

/** The README without fenced code blocks and inline code (what renders as text and links). */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```$/gm, "").replace(/`[^`\n]*`/g, "")
}

describe("README.md", () => {
  it("the quick start, run literally in a copy of the clone's examples, prints what it shows and writes only there", async function () {
    this.timeout(120_000)
    ensureBuilt()
    const clone = realpathSync(tempDir("usage-hub-clone-"))
    cpSync(join(ROOT, "examples"), join(clone, "examples"), { recursive: true })
    // As the quick start says: TZ=UTC; no pinned clock, no USAGE_* of the test environment.
    const env = cleanEnv({ TZ: "UTC", USAGE_NOW: undefined, USAGE_NODE: undefined })
    const runner = quickStartRunner({ cwd: clone, bin: BIN, env })
    const steps = consoleBlocks(quickStartSection(README)).flat()
    expect(steps.map((s) => s.command)).to.include.members([
      "usage migrate-file examples/laptop.json --db ./usage.db --node laptop",
      "usage summary --db ./usage.db",
      "usage daily --db ./usage.db",
      "usage serve --db ./usage.db",
    ])
    try {
      for (const step of steps) expect(await runner.run(step.command), `$ ${step.command}`).to.equal(step.output)
    } finally {
      await runner.stop()
    }
    expect(readdirSync(clone).sort()).to.deep.equal(["examples", "usage.db"])
    expect(readdirSync(env.HOME), "files written in HOME").to.deep.equal([])
  })

  it("links only to files of the repository", () => {
    const text = prose(README)
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1])
    expect(links).to.not.be.empty
    for (const link of links) {
      expect(link, link).to.not.match(/^[a-z]+:/i)
      const path = join(ROOT, link.replace(/#.*$/, ""))
      expect(path.startsWith(ROOT), link).to.equal(true)
      expect(existsSync(path), link).to.equal(true)
    }
    expect(text, "a bare address outside code").to.not.match(/https?:\/\//)
  })

  for (const name of EXAMPLES) {
    it(`examples/${name} is a legacy usage file as the tracker writes it, with legacy prices`, () => {
      const text = readFileSync(join(ROOT, "examples", name), "utf8")
      const doc = JSON.parse(text) as {
        version: number
        lastUpdated: string
        records: Array<Record<string, unknown>>
        summaries: Record<string, { callCount: number; totalCost: number }>
      }
      expect(`${JSON.stringify(doc, null, 2)}\n`).to.equal(text)
      expect(doc.version).to.equal(1)
      expect(Object.keys(doc)).to.deep.equal(["version", "lastUpdated", "records", "summaries"])
      expect(doc.lastUpdated).to.equal(doc.records.at(-1)?.timestamp)
      const providers = new Set<string>()
      const sessions = new Set<string>()
      for (const raw of doc.records) {
        expect(Object.keys(raw)).to.deep.equal([
          "id",
          "timestamp",
          "provider",
          "model",
          "inputTokens",
          "outputTokens",
          "estimatedCost",
          "taskType",
          "sessionID",
        ])
        const parsed = parseRecord(raw)
        if (!parsed.ok) throw new Error(parsed.error)
        const r = parsed.record
        expect(r.estimatedCost, r.id).to.equal(estimateCost(r.provider, r.model, r.inputTokens, r.outputTokens).cost)
        providers.add(r.provider)
        sessions.add(r.sessionID!)
      }
      expect(providers.size).to.be.at.least(3)
      expect(sessions.size).to.be.at.least(4)
      expect(Object.keys(doc.summaries).sort()).to.deep.equal([...providers].sort())
    })
  }
})
