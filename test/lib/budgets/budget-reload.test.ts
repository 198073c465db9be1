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

  /** Runs `usage serve --config` in this process; answers the names of its budgets. */
  async function serve(config: string, warnings: string[], configPollMs?: number) {
    const started: string[] = []
    running = runService(
      { db: join(tempDir(), "usage.db"), port: 0, config, tz: "UTC" },
      {
        log: (line) => started.push(line),
        warn: (line) => warnings.push(line),
        env: {},
        signals: ["SIGUSR2"],
        configPollMs,
      },
    )
    await waitUntil(async () => started.length > 0, "the start line")
    const url = /listening on (\S+)/.exec(started[0])![1]
    return async () => {
      const answer = (await (await fetch(`${url}/api/usage/budgets`)).json()) as BudgetsAnswer
      return answer.budgets.map((b) => b.name).join(",")
    }
  }

  const configFile = () => {
    const path = join(tempDir(), "config.json")
    return { path, write: (service: unknown) => writeFileSync(path, JSON.stringify({ usage: {}, service })) }
  }

  it("re-reads the budgets when the file changes, and keeps the last good ones when it is invalid", async () => {
    const config = configFile()
    config.write({ budgets: [budget("first")] })
    const warnings: string[] = []
    const names = await serve(config.path, warnings, 100)
    expect(await names()).to.equal("first")
    config.write({ budgets: [budget("first"), budget("second")] })
    await waitUntil(async () => (await names()) === "first,second", "the file change")
    expect(warnings.at(-1)).to.match(/config .* reloaded: 2 budget\(s\), 0 webhook\(s\)/)

    config.write({ budgets: [{ name: "bad", amount: 1, period: "billing" }] })
    await waitUntil(async () => warnings.some((w) => w.includes("not reloaded")), "the refusal")
    expect(await names()).to.equal("first,second")
    expect(warnings.find((w) => w.includes("not reloaded"))).to.match(
      /not reloaded, the last good budgets stay: .*service\.budgets\.0\.provider: is required when period is "billing"/,
    )
  })

  it("re-reads the budgets on SIGHUP", async () => {
    const config = configFile()
    config.write({ budgets: [budget("first")] })
    // The file is checked only every 10 minutes here: a change seen is SIGHUP's doing.
    const names = await serve(config.path, [], 600_000)
    config.write({ budgets: [budget("third")] })
    await new Promise((r) => setTimeout(r, 300))
    expect(await names()).to.equal("first")
    process.kill(process.pid, "SIGHUP")
    await waitUntil(async () => (await names()) === "third", "SIGHUP")
  })
})
