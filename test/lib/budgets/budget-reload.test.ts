import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import type { BudgetsAnswer } from "../../../src/lib/budgets/budget-types.js"
import { runService, type ServeResult } from "../../../src/lib/server/run.js"
import { tempDir } from "../../helpers/tmp.js"

const budget = (name: string, amount = 10) => ({ name, amount, period: "month" })

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe("usage serve --config: budgets reloaded without a restart", () => {
  let running: Promise<ServeResult> | undefined

  afterEach(async () => {
    process.kill(process.pid, "SIGUSR2")
    await running
    running = undefined
  })

  it("re-reads the budgets when the file changes and on SIGHUP, and keeps the last good ones when it is invalid", async () => {
    const dir = tempDir()
    const config = join(dir, "config.json")
    const write = (service: unknown) => writeFileSync(config, JSON.stringify({ usage: {}, service }))
    write({ budgets: [budget("first")] })
    const started: string[] = []
    const warnings: string[] = []
    running = runService(
      { db: join(dir, "usage.db"), port: 0, config, tz: "UTC" },
      { log: (line) => started.push(line), warn: (line) => warnings.push(line), env: {}, signals: ["SIGUSR2"] },
    )
    await waitUntil(async () => started.length > 0, "the start line")
    const url = /listening on (\S+)/.exec(started[0])![1]
    const names = async () => {
      const answer = (await (await fetch(`${url}/api/usage/budgets`)).json()) as BudgetsAnswer
      return answer.budgets.map((b) => b.name).join(",")
    }
    expect(await names()).to.equal("first")

    // The file changes: picked up within the watch interval.
    write({ budgets: [budget("first"), budget("second")] })
    await waitUntil(async () => (await names()) === "first,second", "the file change")

    // SIGHUP reads it at once (before the file watch would).
    write({ budgets: [budget("third")] })
    process.kill(process.pid, "SIGHUP")
    await waitUntil(async () => (await names()) === "third", "SIGHUP", 500)

    // An invalid file: the last good budgets stay, and the log says why.
    write({ budgets: [{ name: "bad", amount: 1, period: "billing" }] })
    process.kill(process.pid, "SIGHUP")
    await waitUntil(async () => warnings.some((w) => w.includes("not reloaded")), "the refusal")
    expect(await names()).to.equal("third")
    expect(warnings.find((w) => w.includes("not reloaded"))).to.match(
      /not reloaded, the last good budgets stay: .*service\.budgets\.0\.provider: is required when period is "billing"/,
    )
  })
})
