import { expect } from "chai"
import type { Browser } from "playwright-core"
import { launchChromium } from "./browser.js"
import { startTestService, type TestService, wireRecord } from "./helpers.js"

/** The page's DOM, as far as the functions run in the browser use it (tsconfig has no DOM lib). */
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null
  querySelectorAll(selector: string): { length: number }
}

describe("dashboard (headless Chromium)", function () {
  this.timeout(30_000)
  let browser: Browser
  let svc: TestService

  before(async function () {
    browser = await launchChromium(this)
  })
  after(async () => {
    await browser?.close()
  })
  beforeEach(async () => {
    svc = await startTestService({ readToken: "dash-token", clock: () => new Date() })
  })
  afterEach(async () => {
    await svc?.stop()
  })

  it("asks for the read token, shows the total and updates it live after a post", async () => {
    const now = Date.now()
    await svc.post([
      wireRecord({ node: "build-01", estimatedCost: 1.25, timestamp: new Date(now - 60_000).toISOString() }),
      wireRecord({
        node: "build-02",
        provider: "openai",
        model: "gpt-5.2",
        estimatedCost: 0.5,
        timestamp: new Date(now - 120_000).toISOString(),
      }),
    ])
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
    const external: string[] = []
    page.on("request", (req) => {
      if (!req.url().startsWith(svc.url) && !req.url().startsWith("data:")) external.push(req.url())
    })
    await page.goto(svc.url)
    await page.waitForSelector("#token-dialog:not([hidden])")
    await page.fill("#token-input", "dash-token")
    await page.click("#token-form button[type=submit]")
    await page.waitForFunction(() => document.querySelector("#total-cost")?.textContent === "$1.75")
    await page.waitForSelector("#live.pill-live")
    await page.waitForSelector("#nodes tr[data-node='build-02']")
    await page.waitForSelector("#trend svg rect")
    expect(await page.locator("#providers .card").count()).to.equal(2)

    const posted = await svc.post([
      wireRecord({ node: "build-03", estimatedCost: 2, timestamp: new Date().toISOString() }),
    ])
    expect(posted.status).to.equal(200)
    await page.waitForFunction(() => document.querySelector("#total-cost")?.textContent === "$3.75", undefined, {
      timeout: 10_000,
    })
    await page.waitForSelector("#nodes tr[data-node='build-03']", { timeout: 10_000 })

    await page.selectOption("#breakdown-by", "node")
    await page.waitForFunction(() => document.querySelector("#breakdown-key")?.textContent === "Node")
    await page.waitForFunction(() => document.querySelectorAll("#breakdown tbody tr").length === 3)
    await page.screenshot({ path: "/tmp/usage-hub-dashboard.png", fullPage: true })
    expect(external, "the page loads nothing from elsewhere").to.deep.equal([])
    await page.close()
  })

  it("draws every provider's daily cost from one report request, a provider named .. included", async () => {
    const now = Date.now()
    const extra = Array.from({ length: 10 }, (_, i) =>
      wireRecord({
        provider: `p${i}`,
        estimatedCost: 0.01 * (i + 1),
        timestamp: new Date(now - 60_000).toISOString(),
      }),
    )
    await svc.post([
      wireRecord({ provider: "..", estimatedCost: 5, timestamp: new Date(now - 60_000).toISOString() }),
      wireRecord({ provider: "anthropic", estimatedCost: 1, timestamp: new Date(now - 60_000).toISOString() }),
      ...extra,
    ])
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } })
    const paths: string[] = []
    page.on("request", (req) => {
      const url = new URL(req.url())
      if (url.pathname.startsWith("/api/")) paths.push(url.pathname)
    })
    await page.goto(svc.url)
    await page.fill("#token-input", "dash-token")
    await page.click("#token-form button[type=submit]")
    await page.waitForSelector("#trend svg rect")
    const titles = await page.locator("#trend svg rect title").allTextContents()
    expect(
      titles.some((t) => / · \.\.: \$5\.00 /.test(t)),
      titles.join("\n"),
    ).to.equal(true)
    const legend = await page.locator("#trend-legend span").allTextContents()
    expect(legend[0]).to.equal(".. $5.00")
    // 12 providers: the 7 costliest on their own, the other 5 summed.
    expect(legend).to.have.length(8)
    expect(legend[7]).to.match(/^5 others /)
    expect(paths.filter((p) => p === "/api/usage/report")).to.deep.equal(["/api/usage/report"])
    expect(paths.filter((p) => p.includes("trends") || p.includes("/provider/"))).to.deep.equal([])
    expect(await page.locator("#providers .card").count()).to.equal(12)
    await page.close()
  })

  it("shows a failed panel's error in that panel and keeps the others", async () => {
    await svc.post([wireRecord({ node: "build-09", estimatedCost: 1.25, timestamp: new Date().toISOString() })])
    const page = await browser.newPage()
    await page.route(/\/api\/usage\/report/, (route) =>
      route.fulfill({
        status: 500,
        contentType: "application/json",
        body: JSON.stringify({ error: { code: "STORE_ERROR", message: "the store failed (see the service log)" } }),
      }),
    )
    await page.goto(svc.url)
    await page.fill("#token-input", "dash-token")
    await page.click("#token-form button[type=submit]")
    await page.waitForSelector("#trend .panel-error")
    expect(await page.locator("#trend .panel-error").textContent()).to.include("the store failed")
    expect(await page.locator("#daily .panel-error").textContent()).to.include("the store failed")
    await page.waitForSelector("#nodes tr[data-node='build-09']")
    expect(await page.locator("#total-cost").textContent()).to.equal("$1.25")
    await page.waitForSelector("#live.pill-live")
    await page.close()
  })

  it("asks again when the token is refused", async () => {
    const page = await browser.newPage()
    await page.goto(svc.url)
    await page.fill("#token-input", "wrong")
    await page.click("#token-form button[type=submit]")
    await page.waitForFunction(() => document.querySelector("#token-error")?.textContent === "That token was refused.")
    expect(await page.isVisible("#token-dialog")).to.equal(true)
    await page.close()
  })
})
