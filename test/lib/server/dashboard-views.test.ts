import { readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { expect } from "chai"
import type { Browser, Page } from "playwright-core"
import { parseServiceConfig } from "../../../src/lib/config.js"
import { openStoreAt } from "../../../src/lib/store/open.js"
import { tempDir } from "../../helpers/tmp.js"
import { launchChromium, optionalEndpointMissing } from "./browser.js"
import { startTestService, type TestService, wireRecord } from "./helpers.js"

/** An element or global of the page (functions passed to evaluate and $$eval run there; tsconfig has no DOM lib). */
// biome-ignore lint/suspicious/noExplicitAny: typed by the browser, not here
type El = any
declare const document: El

const TOKEN = "views-token"
const AUTH = { authorization: `Bearer ${TOKEN}` }
const tz = Intl.DateTimeFormat().resolvedOptions().timeZone
const usd = (value: number) =>
  new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", minimumFractionDigits: 2 }).format(value)
const pad2 = (n: number) => String(n).padStart(2, "0")
/** A local calendar day, `daysAgo` days before today (the page and this test share the machine's zone). */
function localDay(daysAgo: number): Date {
  const now = new Date()
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() - daysAgo, 12)
}
const ymd = (d: Date) => `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`

const WIDTHS = [
  { name: "desktop", width: 1280, height: 900 },
  { name: "phone", width: 390, height: 844 },
]

/** The dashboard's rule for "last seen" (app.js `ago`). */
function ago(ms: number): string {
  if (ms < 45_000) return "just now"
  if (ms < 3_600_000) return `${Math.max(1, Math.round(ms / 60_000))} min ago`
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`
  return `${Math.round(ms / 86_400_000)} d ago`
}

describe("dashboard views: range, budgets, nodes, CSV, daily report (headless Chromium)", function () {
  this.timeout(60_000)
  let browser: Browser
  let svc: TestService
  let errors: string[]
  let pages: Page[]
  /** When each node's records were posted (the stand-in for /api/usage/nodes uses it), and how many. */
  let received: Map<string, { at: number; lastHour: number }>
  /** The service's clock runs this far from the real one (receipt times of /api/usage/nodes come from it). */
  let clockOffset = 0

  before(async function () {
    browser = await launchChromium(this)
  })
  after(async () => {
    await browser?.close()
  })
  beforeEach(async () => {
    clockOffset = 0
    svc = await startTestService({ readToken: TOKEN, clock: () => new Date(Date.now() + clockOffset) })
    received = new Map()
    const now = Date.now()
    // One record per day that matters to the ranges: today, 3, 10, 40 and 100 days ago.
    await post([
      wireRecord({
        provider: "openai",
        model: "gpt-5",
        node: "build-01",
        agent: "codex",
        estimatedCost: 1,
        timestamp: new Date(now - 60_000).toISOString(),
      }),
      wireRecord({
        node: "build-02",
        agent: "claude-code",
        estimatedCost: 0.5,
        timestamp: new Date(now - 120_000).toISOString(),
      }),
      wireRecord({ node: "build-01", estimatedCost: 2, timestamp: localDay(3).toISOString() }),
      wireRecord({
        provider: "openai",
        model: "gpt-5",
        node: "build-02",
        estimatedCost: 4,
        timestamp: localDay(10).toISOString(),
      }),
      wireRecord({
        provider: "google",
        model: "gemini-2.5-pro",
        node: "build-01",
        estimatedCost: 8,
        timestamp: localDay(40).toISOString(),
      }),
      wireRecord({ node: "build-02", estimatedCost: 16, timestamp: localDay(100).toISOString() }),
    ])
    errors = []
    pages = []
  })
  afterEach(async () => {
    for (const page of pages) await page.close()
    await svc?.stop()
    expect(errors, "the page logs no errors").to.deep.equal([])
  })

  async function post(records: Record<string, unknown>[]): Promise<void> {
    const res = await svc.post(records)
    expect(res.status).to.equal(200)
    const at = Date.now() + clockOffset
    for (const r of records) {
      const node = String(r.node)
      const inLastHour = Date.now() - Date.parse(String(r.timestamp)) < 3_600_000 ? 1 : 0
      received.set(node, { at, lastHour: (received.get(node)?.lastHour ?? 0) + inLastHour })
    }
  }

  /** A new page of `width`, opened at `path` with the read token; console errors and exceptions are recorded. */
  async function open(size: (typeof WIDTHS)[number], path = "/", setup?: (page: Page) => Promise<void>): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: size.width, height: size.height } })
    pages.push(page)
    await setup?.(page)
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

  async function apiJson(path: string) {
    const res = await svc.get(path, AUTH)
    expect(res.status, path).to.equal(200)
    return res.json
  }
  const apiTotal = async (params: string) =>
    (await apiJson(`/api/usage/summary?tz=${encodeURIComponent(tz)}${params ? `&${params}` : ""}`)).totalCost

  async function waitText(page: Page, selector: string, text: string): Promise<void> {
    try {
      await page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent === t, [selector, text] as const, {
        timeout: 10_000,
      })
    } catch {
      expect(await page.textContent(selector), `${selector} (after 10 s)`).to.equal(text)
    }
  }

  /** Nothing of the page is wider than the viewport: no sideways scrolling. */
  async function expectNoSidewaysScroll(page: Page, width: number): Promise<void> {
    const scrollWidth = await page.evaluate(() => document.scrollingElement.scrollWidth)
    expect(scrollWidth, "document.scrollingElement.scrollWidth").to.be.at.most(width)
  }

  for (const size of WIDTHS) {
    describe(`at ${size.width} px (${size.name})`, () => {
      it("picks this period, the last 7, 30 or 90 days or two dates; a reload and a shared link keep the view", async () => {
        const reports: URLSearchParams[] = []
        const page = await open(size, "/", async (p) => {
          p.on("request", (req) => {
            const url = new URL(req.url())
            if (url.pathname === "/api/usage/report") reports.push(url.searchParams)
          })
        })
        expect(await page.inputValue("#range")).to.equal("period")
        await waitText(page, "#total-cost", usd(await apiTotal("")))
        expect(await page.textContent("#range-label")).to.equal("(current periods)")
        // This period: the chart and the daily report start with the earliest current period.
        const summary = await apiJson(`/api/usage/summary?tz=${encodeURIComponent(tz)}`)
        const starts = Object.values(summary.summaries as Record<string, { periodStart: string }>)
          .map((p) => ymd(new Date(p.periodStart)))
          .sort()
        await page.waitForSelector("#daily tfoot th")
        expect(reports.at(-1)?.get("since")).to.equal(starts[0])
        expect(reports.at(-1)?.has("until")).to.equal(false)

        for (const [range, days, total] of [
          ["7d", 7, 3.5],
          ["30d", 30, 7.5],
          ["90d", 90, 15.5],
        ] as const) {
          await page.selectOption("#range", range)
          expect(await apiTotal(`since=${ymd(localDay(days - 1))}`)).to.equal(total)
          await waitText(page, "#total-cost", usd(total))
          expect(new URL(page.url()).searchParams.get("range")).to.equal(range)
          expect(await page.textContent("#range-label")).to.equal(`(last ${days} days)`)
        }

        await page.selectOption("#range", "custom")
        await page.waitForSelector("#custom-range:not([hidden])")
        const from = ymd(localDay(45))
        const to = ymd(localDay(35))
        await page.fill("#range-from", from)
        await page.fill("#range-to", to)
        await waitText(page, "#total-cost", usd(8))
        expect(await apiTotal(`since=${from}&until=${ymd(localDay(34))}`)).to.equal(8)
        await page.waitForSelector("#filter-provider option[value='google']", { state: "attached" })
        await page.selectOption("#filter-provider", "google")
        await waitText(page, "#providers .card h3", "google")
        const search = new URL(page.url()).searchParams
        expect(Object.fromEntries(search)).to.deep.equal({ range: "custom", from, to, provider: "google", by: "model" })
        await expectNoSidewaysScroll(page, size.width)

        await page.reload()
        await waitText(page, "#total-cost", usd(8))
        expect(await page.inputValue("#range")).to.equal("custom")
        expect([await page.inputValue("#range-from"), await page.inputValue("#range-to")]).to.deep.equal([from, to])
        expect(await page.inputValue("#filter-provider")).to.equal("google")
        expect(await page.textContent("#range-label")).to.equal(`(${from} → ${to})`)

        const shared = await open(size, new URL(page.url()).search)
        await waitText(shared, "#total-cost", usd(8))
        expect(await shared.inputValue("#range")).to.equal("custom")
        expect(await shared.inputValue("#filter-provider")).to.equal("google")

        await page.goBack()
        await waitText(page, "#total-cost", usd(8))
        expect(await page.inputValue("#filter-provider")).to.equal("")
      })

      it("shows the budgets' progress and status, and a banner when one is exceeded, live from the stream", async () => {
        // The real service with two daily budgets: all providers $10 (today: $1.50), openai $1.20 (today: $1.00).
        await svc.stop()
        svc = await startTestService({
          readToken: TOKEN,
          clock: () => new Date(),
          service: parseServiceConfig({
            budgets: [
              { name: "all-daily", amount: 10, period: "day" },
              { name: "openai-daily", amount: 1.2, period: "day", provider: "openai" },
            ],
          }),
          budgetTuning: { refreshMs: 200 },
        })
        await post([
          wireRecord({ provider: "openai", model: "gpt-5", estimatedCost: 1, timestamp: new Date().toISOString() }),
          wireRecord({ estimatedCost: 0.5, timestamp: new Date().toISOString() }),
        ])
        let hold: Promise<void> | undefined
        const page = await open(size, "/", async (p) => {
          await p.route(/\/api\/usage\/budgets$/, async (route) => {
            await hold
            await route.continue()
          })
        })
        await page.waitForSelector("#budgets-section:not([hidden])")
        await page.waitForFunction(() => document.querySelectorAll("#budgets [data-budget]").length === 2)
        const shown = await page.$$eval("#budgets [data-budget]", (els: El[]) =>
          els.map((el) => ({
            name: el.dataset.budget,
            status: el.querySelector(".pill").textContent,
            fill: Math.round(
              (el.querySelector(".progress-fill").getBoundingClientRect().width /
                el.querySelector(".progress").getBoundingClientRect().width) *
                100,
            ),
            line: el.querySelector(".budget-line").textContent,
          })),
        )
        const api = (await apiJson("/api/usage/budgets")).budgets as { name: string; status: string; spent: number }[]
        expect(api.map((b) => [b.name, b.status, b.spent])).to.have.deep.members([
          ["all-daily", "ok", 1.5],
          ["openai-daily", "warning", 1],
        ])
        // By spent, descending (the page's one order); the bars at spent / amount.
        expect(shown.map(({ name, status, fill }) => ({ name, status, fill }))).to.deep.equal([
          { name: "all-daily", status: "ok", fill: 15 },
          { name: "openai-daily", status: "warning", fill: 83 },
        ])
        expect(shown[1].line).to.match(/^\$1\.00 of \$1\.20 \(83%\) · projected \$[\d,.]+ · /)
        expect(await page.isHidden("#budget-banner")).to.equal(true)
        await expectNoSidewaysScroll(page, size.width)

        // Another openai call takes openai-daily over: the stream's budget event raises the banner.
        // GET /api/usage/budgets is held meanwhile, so the banner can only come from the stream.
        let releaseHold: () => void = () => {}
        hold = new Promise((resolve) => {
          releaseHold = resolve
        })
        await post([
          wireRecord({ provider: "openai", model: "gpt-5", estimatedCost: 0.5, timestamp: new Date().toISOString() }),
        ])
        await page.waitForSelector("#budget-banner:not([hidden])", { timeout: 10_000 })
        expect(await page.textContent("#budget-banner-text")).to.equal("Budget openai-daily exceeded: $1.50 of $1.20")
        releaseHold()
        await page.waitForSelector("#budgets [data-budget='openai-daily'][data-status='exceeded']", { timeout: 10_000 })
        expect(
          await page.$eval("#budgets [data-budget='openai-daily'] .progress-fill", (el: El) =>
            Math.round((el.getBoundingClientRect().width / el.parentElement.getBoundingClientRect().width) * 100),
          ),
          "an exceeded budget's bar is full, not wider",
        ).to.equal(100)
        await expectNoSidewaysScroll(page, size.width)
        await page.click("#budget-banner-close")
        expect(await page.isHidden("#budget-banner")).to.equal(true)
        // A page opened later shows the banner from GET /api/usage/budgets alone.
        await page.reload()
        await page.waitForSelector("#budget-banner:not([hidden])")
        expect(await page.textContent("#budget-banner-text")).to.equal("Budget openai-daily exceeded: $1.50 of $1.20")
      })

      it("hides the budgets panel when the service has no budgets (404)", async () => {
        const page = await open(size)
        await page.route(/\/api\/usage\/budgets$/, (route) =>
          route.fulfill({
            status: 404,
            contentType: "application/json",
            body: JSON.stringify({ error: { code: "NOT_FOUND", message: "no budgets" } }),
          }),
        )
        await page.reload()
        await page.waitForSelector("#daily tfoot th")
        expect(await page.isHidden("#budgets-section")).to.equal(true)
        expect(await page.isHidden("#budget-banner")).to.equal(true)
      })

      it("lists the nodes by cost with last seen and calls in the last hour, a silent node marked", async () => {
        const page = await browser.newPage({ viewport: { width: size.width, height: size.height } })
        pages.push(page)
        page.on("pageerror", (error) => errors.push(error.message))
        // A node that has sent nothing for three hours (its record arrived when the service's clock said so).
        clockOffset = -3 * 3_600_000
        await post([
          wireRecord({
            node: "build-09",
            estimatedCost: 0.25,
            timestamp: new Date(Date.now() - 3 * 3_600_000 - 60_000).toISOString(),
          }),
        ])
        clockOffset = 0
        const stubAnswer = () => ({
          nodes: [...received].map(([node, r]) => ({
            node,
            lastSeen: new Date(r.at).toISOString(),
            callsLastHour: r.lastHour,
          })),
          generatedAt: new Date().toISOString(),
        })
        // What the page gets from /api/usage/nodes: the service's answer (build-09's receipt put 3 h back, in
        // case the store stamps receipts with the real clock rather than the service's), or, on a service
        // without the endpoint, a stand-in built from the posts.
        let source = "real" as "real" | "stub"
        let served:
          | { nodes: { node: string; lastSeen: string; callsLastHour: number }[]; generatedAt: string }
          | undefined
        await page.route(/\/api\/usage\/nodes$/, async (route) => {
          const res = await route.fetch()
          let body = stubAnswer()
          if (res.status() === 200) {
            const real = await res.json()
            const silent = new Date(Date.parse(real.generatedAt) - 3 * 3_600_000 - 60_000).toISOString()
            body = {
              ...real,
              nodes: real.nodes.map((n: { node: string }) => (n.node === "build-09" ? { ...n, lastSeen: silent } : n)),
            }
          } else source = "stub"
          served = body
          await route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(body) })
        })
        await page.goto(`${svc.url}/?range=30d`)
        await page.fill("#token-input", TOKEN)
        await page.click("#token-form button[type=submit]")
        await page.waitForSelector("#nodes tbody tr[data-node] td.last-seen")
        await page.waitForFunction(
          (n: number) => document.querySelectorAll("#nodes tbody tr[data-node]").length === n,
          [...received.keys()].length,
        )
        const rows = await page.$$eval("#nodes tbody tr[data-node]", (trs: El[]) =>
          trs.map((tr) => ({
            node: tr.dataset.node,
            cost: tr.cells[1].textContent,
            seen: tr.cells[3].textContent,
            hour: tr.cells[4].textContent,
            silent: tr.classList.contains("silent"),
          })),
        )
        const byNode = (
          await apiJson(`/api/usage/summary?tz=${encodeURIComponent(tz)}&since=${ymd(localDay(29))}&by=node`)
        ).breakdown.groups as { key: string; totalCost: number }[]
        const costs = new Map(byNode.map((g) => [g.key, g.totalCost]))
        if (!served) throw new Error("the page did not ask for /api/usage/nodes")
        const now = Date.parse(served.generatedAt)
        const expected = served.nodes
          .map((n: { node: string; lastSeen: string; callsLastHour: number }) => ({
            node: n.node,
            cost: usd(costs.get(n.node) ?? 0),
            seen: ago(now - Date.parse(n.lastSeen)),
            hour: String(n.callsLastHour),
            silent: now - Date.parse(n.lastSeen) > 3_600_000,
          }))
          .sort(
            (a: { cost: string; node: string }, b: { cost: string; node: string }) =>
              Number(b.cost.slice(1)) - Number(a.cost.slice(1)) || a.node.localeCompare(b.node),
          )
        expect(rows).to.deep.equal(expected)
        expect(rows.find((r) => r.node === "build-09")).to.deep.include({ seen: "3 h ago", silent: true, hour: "0" })
        expect(rows.find((r) => r.node === "build-01")).to.deep.include({ seen: "just now", silent: false, hour: "1" })
        if (source === "stub")
          console.log("      (GET /api/usage/nodes is not in the service yet: a stand-in answered it)")
        await expectNoSidewaysScroll(page, size.width)
      })

      it("downloads the CSV of the current view: the export of its filters and range", async () => {
        const page = await open(size, "/?range=30d&provider=openai")
        await waitText(page, "#total-cost", usd(5))
        const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")])
        const csv = await readFile(await download.path(), "utf8")
        const since = ymd(localDay(29))
        expect(download.suggestedFilename()).to.equal(`usage-${since}-to-${ymd(localDay(0))}.csv`)
        const api = await svc.get(
          `/api/usage/export?format=csv&provider=openai&since=${since}&tz=${encodeURIComponent(tz)}`,
          AUTH,
        )
        expect(csv).to.equal(api.text)
        const lines = csv.trim().split(/\r?\n/)
        expect(lines, "a header and the two openai records of the last 30 days").to.have.length(3)
        expect(lines.slice(1).every((line) => line.split(",")[2] === "openai")).to.equal(true)
      })

      it("shows the daily report and a readable chart: legend by cost, round axis ticks, no sideways scrolling", async () => {
        const page = await open(size, "/?range=30d")
        await waitText(page, "#total-cost", usd(7.5))
        await page.waitForSelector("#daily tbody tr[data-day]")
        const since = ymd(localDay(29))
        const report = await apiJson(`/api/usage/report?period=day&since=${since}&tz=${encodeURIComponent(tz)}`)
        const rows = await page.$$eval("#daily tbody tr", (trs: El[]) =>
          trs.map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent, tr.cells[2].textContent]),
        )
        expect(rows, "one row per day with usage, newest first").to.deep.equal(
          [...report.daily]
            .sort((a: { period: string }, b: { period: string }) => b.period.localeCompare(a.period))
            .map((r: { period: string; totalCost: number; callCount: number }) => [
              r.period,
              usd(r.totalCost),
              String(r.callCount),
            ]),
        )
        expect(await page.textContent("#daily tfoot th:nth-child(2)")).to.equal(usd(report.totals.totalCost))

        expect(await page.locator("#trend-legend span").allTextContents()).to.deep.equal([
          "openai $5.00",
          "anthropic $2.50",
        ])
        const ticks = (await page.locator("#trend .y-tick").allTextContents()).map((t) =>
          Number(t.replace(/[$,]/g, "")),
        )
        expect(ticks[0]).to.equal(0)
        const step = ticks[1]
        const mantissa = step / 10 ** Math.floor(Math.log10(step))
        expect([1, 2, 5], `tick step ${step}`).to.include(Number(mantissa.toFixed(6)))
        for (const [i, t] of ticks.entries()) expect(t).to.be.closeTo(i * step, 1e-9)
        expect(ticks.at(-1)).to.be.at.least(4)
        expect(ticks.length).to.be.within(3, 7)

        // Readable: text at its size (not squeezed), date labels apart, the chart inside the screen.
        const chart = await page.evaluate(() => {
          const svg = document.querySelector("#trend svg").getBoundingClientRect()
          const labels = [...document.querySelectorAll("#trend .x-tick")].map((el: El) => el.getBoundingClientRect())
          const y = document.querySelector("#trend .y-tick").getBoundingClientRect()
          return {
            right: svg.right,
            labelHeight: y.height,
            gaps: labels.slice(1).map((r: El, i: number) => r.left - labels[i].right),
            count: labels.length,
            lastRight: labels.at(-1).right,
          }
        })
        expect(chart.right).to.be.at.most(size.width)
        expect(chart.lastRight, "the last date label is not cut off").to.be.at.most(chart.right)
        expect(chart.labelHeight, "axis text height in px").to.be.at.least(10)
        expect(chart.count).to.be.at.least(3)
        expect(Math.min(...chart.gaps), "date labels do not overlap").to.be.above(0)

        const costs = (await page.$$eval("#breakdown tbody tr td:nth-child(2)", (tds: El[]) =>
          tds.map((td) => td.textContent),
        )) as string[]
        const values = costs.map((c) => Number(c.replace(/[$,]/g, "")))
        expect(values, "the breakdown by cost, descending").to.deep.equal([...values].sort((a, b) => b - a))
        await expectNoSidewaysScroll(page, size.width)
        await page.screenshot({ path: join(tmpdir(), `usage-hub-dashboard-${size.name}.png`), fullPage: true })
      })
    })
  }

  it("with 1,000 providers, one open dashboard sends a bounded number of requests per update", async function () {
    this.timeout(120_000)
    await svc.stop()
    const file = join(tempDir(), "usage.db")
    const store = await openStoreAt(file, { create: true })
    svc = await startTestService({ readToken: TOKEN, clock: () => new Date(), store })
    const stopService = svc.stop
    svc.stop = async () => {
      await stopService()
      await store.close()
    }
    const now = Date.now()
    const providers = Array.from({ length: 1000 }, (_, i) => `prov-${String(i).padStart(4, "0")}`)
    const seeded = await svc.post(
      providers.map((provider, i) =>
        wireRecord({
          provider,
          node: `node-${i % 5}`,
          estimatedCost: 0.001 * (i + 1),
          timestamp: new Date(now - 120_000).toISOString(),
        }),
      ),
    )
    expect(seeded.status).to.equal(200)
    expect(seeded.json.accepted).to.equal(1000)

    const page = await open(WIDTHS[0], "/?range=7d")
    await page.waitForSelector("#trend svg rect")
    await page.waitForFunction(() => document.querySelectorAll("#providers .card").length === 1000)
    const legend = await page.locator("#trend-legend span").allTextContents()
    expect(legend).to.have.length(8)
    expect(legend[0]).to.equal("prov-0999 $1.00")
    expect(legend[7]).to.match(/^993 others /)

    const requests: string[] = []
    page.on("request", (req) => {
      const url = new URL(req.url())
      if (url.pathname.startsWith("/api/")) requests.push(`${url.pathname}${url.search}`)
    })
    // Ten seconds of live updates: a batch every 250 ms, each to another provider.
    const seconds = 10
    const started = Date.now()
    let batches = 0
    while (Date.now() - started < seconds * 1000) {
      const provider = providers[(batches * 37) % providers.length]
      const res = await svc.post([
        wireRecord({ provider, node: "node-0", estimatedCost: 0.5, timestamp: new Date().toISOString() }),
      ])
      expect(res.status).to.equal(200)
      batches++
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
    // The last update shows: the total follows the posts.
    const total = await apiTotal(`since=${ymd(localDay(6))}`)
    await waitText(page, "#total-cost", usd(total))

    const perPath = new Map<string, number>()
    for (const r of requests) {
      const path = r.split("?")[0]
      perPath.set(path, (perPath.get(path) ?? 0) + 1)
    }
    console.log(
      `      ${batches} batches in ${seconds} s, ${requests.length} API requests: ${JSON.stringify(Object.fromEntries(perPath))}`,
    )
    // Updates are at most one per 2 s (4 requests each) plus the filters' choices (3 every 15 s): about 25.
    expect(requests.length, "requests in 10 s of updates").to.be.at.most(32)
    expect(perPath.get("/api/usage/report") ?? 0, "one daily report per update").to.be.at.most(seconds / 2 + 1)
    expect(
      requests.filter((r) => /prov-\d{4}/.test(r)),
      "no request names a provider (none is asked for on its own)",
    ).to.deep.equal([])
    expect(perPath.get("/api/usage/stream") ?? 0, "the live stream stays open").to.equal(0)
    await expectNoSidewaysScroll(page, WIDTHS[0].width)
  })
})
