import { expect } from "chai"
import type { Browser, Page } from "playwright-core"
import { launchChromium, optionalEndpointMissing } from "./browser.js"
import { startTestService, type TestService, wireRecord } from "./helpers.js"

/** The page's DOM, as far as the functions run in the browser use it (tsconfig has no DOM lib). */
declare const document: {
  querySelector(selector: string): { textContent: string | null; value?: string } | null
  querySelectorAll(selector: string): { length: number }
}

const TOKEN = "dash-token"
const usd = (value: number) => `$${value.toFixed(2)}`

describe("dashboard filters and breakdowns (headless Chromium)", function () {
  this.timeout(30_000)
  let browser: Browser
  let svc: TestService
  let errors: string[]
  let pages: Page[]

  before(async function () {
    browser = await launchChromium(this)
  })
  after(async () => {
    await browser?.close()
  })
  beforeEach(async () => {
    svc = await startTestService({ readToken: TOKEN, clock: () => new Date() })
    const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString()
    const posted = await svc.post([
      wireRecord({
        agent: "codex",
        project: "api",
        provider: "openai",
        model: "gpt-5",
        node: "build-01",
        estimatedCost: 0.5,
        timestamp: ago(1),
      }),
      wireRecord({
        agent: "codex",
        project: "web",
        provider: "openai",
        model: "gpt-5",
        node: "build-01",
        estimatedCost: 0.25,
        timestamp: ago(2),
      }),
      wireRecord({
        agent: "claude-code",
        project: "web",
        model: "claude-sonnet-4-5",
        node: "build-02",
        estimatedCost: 1,
        timestamp: ago(3),
      }),
      wireRecord({
        agent: "claude-code",
        project: "api",
        model: "claude-opus-4-5",
        node: "build-02",
        estimatedCost: 2,
        timestamp: ago(4),
      }),
      // A record of the plugin from before agents were recorded: no agent, no project.
      wireRecord({ model: "claude-sonnet-4-5", node: "build-03", estimatedCost: 0.125, timestamp: ago(5) }),
    ])
    expect(posted.status).to.equal(200)
    errors = []
    pages = []
  })
  afterEach(async () => {
    for (const page of pages) await page.close()
    await svc?.stop()
    expect(errors, "the page logs no errors").to.deep.equal([])
  })

  /** A new page that records console errors and uncaught exceptions, opened at `path` with the read token. */
  async function open(path = "/"): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
    pages.push(page)
    page.on("console", (message) => {
      if (message.type() === "error" && !optionalEndpointMissing(message)) errors.push(message.text())
    })
    page.on("pageerror", (error) => errors.push(error.message))
    await page.goto(`${svc.url}${path}`)
    await page.fill("#token-input", TOKEN)
    // The first requests, sent without the token, are refused (the browser logs those 401s): errors count from here.
    errors.length = 0
    await page.click("#token-form button[type=submit]")
    await page.waitForSelector("#live.pill-live")
    return page
  }

  async function apiTotal(params: string): Promise<number> {
    const res = await svc.get(`/api/usage/summary?${params}`, { authorization: `Bearer ${TOKEN}` })
    expect(res.status).to.equal(200)
    return res.json.totalCost
  }

  async function waitText(page: Page, selector: string, text: string): Promise<void> {
    try {
      await page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent === t, [selector, text] as const, {
        timeout: 10_000,
      })
    } catch {
      expect(await page.textContent(selector), `${selector} (after 10 s)`).to.equal(text)
    }
  }

  it("fills the filters from the data, and agent=codex shows the API's total for agent=codex, live too", async () => {
    const page = await open()
    await waitText(page, "#total-cost", usd(3.875))
    await page.waitForSelector("#filter-agent option[value='codex']", { state: "attached" })
    expect(await page.locator("#filter-agent option").allTextContents()).to.deep.equal([
      "all agents",
      "claude-code",
      "codex",
    ])
    expect(await page.locator("#filter-project option").allTextContents()).to.deep.equal(["all projects", "api", "web"])
    expect(await page.locator("#filter-node option").allTextContents()).to.deep.equal([
      "all nodes",
      "build-01",
      "build-02",
      "build-03",
    ])
    expect(await page.locator("#filter-provider option").allTextContents()).to.deep.equal([
      "all providers",
      "anthropic",
      "openai",
    ])
    expect(await page.locator("#filter-model option").allTextContents()).to.deep.equal([
      "all models",
      "claude-opus-4-5",
      "claude-sonnet-4-5",
      "gpt-5",
    ])

    await page.selectOption("#filter-agent", "codex")
    const codex = await apiTotal("agent=codex")
    expect(codex).to.equal(0.75)
    await waitText(page, "#total-cost", usd(codex))
    expect(new URL(page.url()).searchParams.get("agent")).to.equal("codex")
    // The nodes follow the filter: build-01 alone once the filtered answer is in.
    await page.waitForFunction(() => document.querySelectorAll("#nodes tbody tr").length === 1)
    expect(await page.locator("#nodes tbody tr").getAttribute("data-node")).to.equal("build-01")

    // The live stream carries the filtered summary: a claude-code call beside a codex one adds only the latter.
    await svc.post([
      wireRecord({ agent: "claude-code", estimatedCost: 4, node: "build-02", timestamp: new Date().toISOString() }),
      wireRecord({
        agent: "codex",
        provider: "openai",
        model: "gpt-5",
        estimatedCost: 0.5,
        timestamp: new Date().toISOString(),
      }),
    ])
    expect(await apiTotal("agent=codex")).to.equal(1.25)
    await waitText(page, "#total-cost", usd(1.25))
  })

  it("opens a shared link with its filter preselected and its breakdown by project", async () => {
    const page = await open("/?agent=claude-code&by=project")
    await waitText(page, "#total-cost", usd(await apiTotal("agent=claude-code")))
    expect(await page.inputValue("#filter-agent")).to.equal("claude-code")
    expect(await page.inputValue("#breakdown-by")).to.equal("project")
    await waitText(page, "#breakdown-key", "Project")
    const rows = await page
      .locator("#breakdown tbody tr")
      .evaluateAll((trs) =>
        trs.map((tr) =>
          [...(tr as unknown as { cells: { textContent: string }[] }).cells].slice(0, 2).map((c) => c.textContent),
        ),
      )
    expect(rows).to.deep.equal([
      ["api", "$2.00"],
      ["web", "$1.00"],
    ])
  })

  it("shows records without an agent as (none) in the breakdown by agent", async () => {
    const page = await open("/?by=agent")
    await page.waitForFunction(() => document.querySelectorAll("#breakdown tbody tr").length === 3)
    expect(await page.locator("#breakdown tbody td:first-child").allTextContents()).to.deep.equal([
      "claude-code",
      "codex",
      "(none)",
    ])
  })

  it("keeps the view in the URL: back and forward step through the views", async () => {
    const page = await open("/")
    expect(new URL(page.url()).search, "the view is written into the URL").to.equal("?by=model")
    await waitText(page, "#total-cost", usd(3.875))
    await page.waitForSelector("#filter-project option[value='web']", { state: "attached" })
    await page.selectOption("#filter-project", "web")
    await waitText(page, "#total-cost", usd(1.25))
    await page.selectOption("#breakdown-by", "agent")
    await waitText(page, "#breakdown-key", "Agent")
    expect(new URL(page.url()).search).to.equal("?project=web&by=agent")

    await page.goBack()
    await waitText(page, "#breakdown-key", "Model")
    expect(await page.inputValue("#filter-project")).to.equal("web")
    await page.goBack()
    await waitText(page, "#total-cost", usd(3.875))
    expect(await page.inputValue("#filter-project")).to.equal("")
    await page.goForward()
    await waitText(page, "#total-cost", usd(1.25))
    expect(await page.inputValue("#filter-project")).to.equal("web")
  })

  it("filters the chart and the daily report by every filter, and clears the filters", async () => {
    const reports: string[] = []
    const page = await browser.newPage()
    pages.push(page)
    page.on("request", (req) => {
      const url = new URL(req.url())
      if (url.pathname === "/api/usage/report") reports.push(url.search)
    })
    page.on("pageerror", (error) => errors.push(error.message))
    await page.goto(`${svc.url}/?provider=openai&model=gpt-5&node=build-01&agent=codex`)
    await page.fill("#token-input", TOKEN)
    await page.click("#token-form button[type=submit]")
    await waitText(page, "#total-cost", usd(0.75))
    await page.waitForSelector("#trend svg rect")
    expect(await page.locator("#trend-legend span").allTextContents()).to.deep.equal(["openai $0.75"])
    await waitText(page, "#daily tfoot th:nth-child(2)", usd(0.75))
    const last = new URLSearchParams(reports.at(-1))
    expect(
      Object.fromEntries(["provider", "node", "model", "agent", "period", "by"].map((k) => [k, last.get(k)])),
    ).to.deep.equal({
      provider: "openai",
      node: "build-01",
      model: "gpt-5",
      agent: "codex",
      period: "day",
      by: "provider",
    })
    await page.click("#clear-filters")
    await waitText(page, "#total-cost", usd(3.875))
    await waitText(page, "#daily tfoot th:nth-child(2)", usd(3.875))
  })
})
