// usage-hub dashboard: reads /api/usage/* (with the read token when the service requires one) and shows one
// view: a range (this period, the last 7/30/90 days, or two dates) and filters (provider, node, model, agent,
// project). Totals, providers and the breakdown come from the summary and update live from the SSE stream;
// the chart and the daily report from one GET /api/usage/report?period=day&by=provider; the nodes from the
// summary by node and GET /api/usage/nodes (last seen, calls in the last hour); budgets from
// GET /api/usage/budgets, with a banner when one is exceeded (also live, from the stream's `budget` events).
// Each panel loads on its own: one failing request shows its error in that panel and leaves the others as
// they are; a 404 from /budgets or /nodes (a service without them) hides that panel or its columns.
// The view lives in the URL's query string, so a shared or reloaded link opens the same view and back/forward
// step through the views; the filters' choices come from the data. Every table is sorted by cost, descending.
// However many providers there are, one update sends a fixed number of requests (see loadSecondary).
// No framework and nothing external: every node is built with the DOM API (textContent, never innerHTML).

const TOKEN_KEY = "usage-hub.readToken"
const BY_KEY = "usage-hub.breakdownBy"
/** The filters, in the order of their controls and of the URL's query string. */
const FILTERS = ["provider", "node", "model", "agent", "project"]
/** The ranges of the picker: how many days (today included), or null (this period; custom). */
const RANGES = { period: null, "7d": 7, "30d": 30, "90d": 90, custom: null }
/** The filters' choices in "this period" come from this many days (the other ranges use their own). */
const OPTION_DAYS = 30
const BREAKDOWNS = {
  model: "Model",
  node: "Node",
  taskType: "Task type",
  agent: "Agent",
  project: "Project",
  provider: "Provider",
}
const ALL_LABELS = {
  provider: "all providers",
  node: "all nodes",
  model: "all models",
  agent: "all agents",
  project: "all projects",
}
/** Nodes, chart, report and budgets follow the live summaries at most this often; the filters' choices less. */
const SECONDARY_EVERY_MS = 2000
const OPTIONS_EVERY_MS = 15_000
/** A node silent for longer than this is marked. */
const SILENT_AFTER_MS = 3_600_000
const COLORS = ["#3a5bd9", "#1f9d55", "#c27c0e", "#b83280", "#2b8a9e", "#7c3aed", "#c53030", "#4a5568"]
/** Providers drawn on their own in the chart; the rest are summed into one "others" series. */
const TREND_SERIES = COLORS.length - 1
const tz = Intl.DateTimeFormat().resolvedOptions().timeZone

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || "",
  by: "model",
  /** The active filters: name -> value (absent: all). */
  filters: {},
  /** A key of RANGES; `from` and `to` (YYYY-MM-DD, both included) for "custom". */
  range: "period",
  from: "",
  to: "",
  /** The first day of the earliest current period (from the latest summary), for "this period"'s chart. */
  periodSince: "",
  source: null,
  secondaryTimer: null,
  secondaryAt: 0,
  optionsAt: 0,
  /** false once /budgets or /nodes answered 404 (the service has no such endpoint): not asked again. */
  budgetsApi: true,
  nodesApi: true,
  /** The last answers, kept to redraw without a request (a resize, the "last seen" clock). */
  report: null,
  nodeSummary: null,
  nodeSeen: null,
  /** Budget names whose banner was dismissed. */
  dismissed: new Set(),
  /** Bumped by every (re)start: answers of an older view are dropped. */
  generation: 0,
}

const $ = (id) => document.getElementById(id)

function h(tag, attrs, ...children) {
  const svg = ["svg", "g", "rect", "line", "text", "title"].includes(tag)
  const el = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag)
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null) continue
    if (key === "class") el.setAttribute("class", value)
    else if (key.startsWith("--")) el.style.setProperty(key, value)
    else el.setAttribute(key, String(value))
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null) continue
    el.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return el
}

const usd = (value) => {
  const digits = value !== 0 && Math.abs(value) < 0.01 ? 4 : 2
  return new Intl.NumberFormat("en-US", {
    style: "currency",
    currency: "USD",
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(value)
}
const int = (value) => new Intl.NumberFormat("en-US").format(value)
const day = (iso) => new Date(iso).toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: tz })
/** Cost descending, then the key: the one order of every table, list and legend. */
const byCost = (key) => (a, b) => b.totalCost - a.totalCost || String(a[key]).localeCompare(String(b[key]))

// ---- local calendar days (the page asks the API in its own zone, tz=) ----

const pad2 = (n) => String(n).padStart(2, "0")
const ymd = (d) => `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`
const parseYmd = (s) => {
  const [y, m, d] = s.split("-").map(Number)
  return new Date(y, m - 1, d)
}
const addDays = (d, n) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + n)
const isYmd = (s) => typeof s === "string" && /^\d{4}-\d{2}-\d{2}$/.test(s) && ymd(parseYmd(s)) === s
const today = () => ymd(new Date())

/** The days from `since` to `last`, both included. */
function daysBetween(since, last) {
  const days = []
  for (let d = parseYmd(since); ymd(d) <= last && days.length < 1000; d = addDays(d, 1)) days.push(ymd(d))
  return days
}

/** The summary's range: none for "this period" (each provider's current period), else since/until (exclusive). */
function rangeParams() {
  const days = RANGES[state.range]
  if (days) return { since: ymd(addDays(new Date(), -(days - 1))) }
  if (state.range === "custom") return { since: state.from, until: ymd(addDays(parseYmd(state.to), 1)) }
  return {}
}

/**
 * The range of the chart, the daily report and the CSV: the view's, and for "this period" from the first day
 * of the earliest current period (else the first of the month) to today.
 */
function dayRange() {
  if (state.range === "custom") return { since: state.from, until: ymd(addDays(parseYmd(state.to), 1)), last: state.to }
  const since =
    rangeParams().since ?? (state.periodSince || ymd(new Date(new Date().getFullYear(), new Date().getMonth(), 1)))
  return { since, last: today() }
}

function rangeLabel() {
  if (state.range === "custom") return `(${state.from} → ${state.to})`
  if (RANGES[state.range]) return `(last ${RANGES[state.range]} days)`
  return "(current periods)"
}

// ---- API and auth ----

class AuthError extends Error {}
class HttpError extends Error {
  constructor(status, message) {
    super(message)
    this.status = status
  }
}

async function request(path) {
  const headers = { accept: "application/json" }
  if (state.token) headers.authorization = `Bearer ${state.token}`
  const res = await fetch(path, { headers })
  if (res.status === 401 || res.status === 403) {
    // 401 with a token sent: the token is unknown (RFC 6750 invalid_token); 403: a token of the other kind.
    askToken(state.token || res.status === 403 ? "That token was refused." : "")
    throw new AuthError(`HTTP ${res.status}`)
  }
  if (!res.ok) {
    let message = `HTTP ${res.status}`
    try {
      message = (await res.json()).error.message
    } catch {}
    throw new HttpError(res.status, message)
  }
  return res
}

async function api(path) {
  return (await request(path)).json()
}

function query(params) {
  const q = new URLSearchParams({ tz, ...params })
  return q.toString()
}

function askToken(message) {
  closeStream()
  setLive("down", "token needed")
  $("token-error").textContent = message
  $("token-dialog").hidden = false
  $("token-input").focus()
}

$("token-form").addEventListener("submit", (event) => {
  event.preventDefault()
  state.token = $("token-input").value.trim()
  sessionStorage.setItem(TOKEN_KEY, state.token)
  $("token-dialog").hidden = true
  $("token-input").value = ""
  start()
})

$("forget-token").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY)
  state.token = ""
  location.reload()
})

// ---- rendering: totals, providers, breakdown ----

function setLive(kind, text) {
  const el = $("live")
  el.className = `pill pill-${kind}`
  el.textContent = text
}

function renderSummary(summary) {
  const entries = Object.values(summary.summaries)
  const sum = (key) => entries.reduce((acc, s) => acc + s[key], 0)
  $("total-cost").textContent = usd(summary.totalCost)
  $("total-calls").textContent = int(sum("callCount"))
  $("total-input").textContent = int(sum("totalInputTokens"))
  $("total-output").textContent = int(sum("totalOutputTokens"))
  $("total-nodes").textContent = int(summary.nodes.length)
  $("updated").textContent = `updated ${new Date(summary.generatedAt).toLocaleTimeString()} · ${summary.tz}`
  $("forget-token").hidden = !state.token
  if (state.range === "period") {
    const starts = entries.map((s) => ymd(new Date(s.periodStart))).sort()
    state.periodSince = starts[0] ?? ""
  }

  const ranged = state.range !== "period"
  const cards = entries
    .sort(byCost("provider"))
    .map((s) =>
      h(
        "article",
        { class: "card", "data-provider": s.provider },
        h("h3", {}, s.provider),
        h("div", { class: "cost" }, usd(s.totalCost)),
        h(
          "div",
          { class: "period" },
          ranged ? rangeLabel().slice(1, -1) : `${day(s.periodStart)} → resets ${day(s.nextReset)} (${s.resetType})`,
        ),
        h(
          "dl",
          {},
          h("dt", {}, "Calls"),
          h("dd", {}, int(s.callCount)),
          h("dt", {}, "Tokens in"),
          h("dd", {}, int(s.totalInputTokens)),
          h("dt", {}, "Tokens out"),
          h("dd", {}, int(s.totalOutputTokens)),
          h("dt", {}, "Nodes"),
          h("dd", {}, int(s.nodes ?? 0)),
        ),
        s.unpricedCalls ? h("div", { class: "note" }, `${int(s.unpricedCalls)} calls at the fallback price`) : null,
      ),
    )
  const where = ranged ? "in this range" : "in the current periods"
  const none = activeFilters().length ? `No usage matches these filters ${where}.` : `No usage ${where} yet.`
  $("providers").replaceChildren(...(cards.length ? cards : [h("p", { class: "empty" }, none)]))

  $("breakdown-key").textContent = BREAKDOWNS[state.by]
  const groups = [...(summary.breakdown?.groups ?? [])].sort(byCost("key"))
  const max = Math.max(0, ...groups.map((g) => g.share))
  const rows = groups.map((g) =>
    h(
      "tr",
      {},
      g.key === "" ? h("td", { class: "none" }, "(none)") : h("td", {}, g.key),
      h("td", { class: "num" }, usd(g.totalCost)),
      h(
        "td",
        {},
        h("div", { class: "bar-wrap" }, h("div", { class: "bar" }), h("small", {}, `${g.share.toFixed(1)}%`)),
      ),
      h("td", { class: "num" }, int(g.callCount)),
      h("td", { class: "num wide-only" }, `${int(g.totalInputTokens)} / ${int(g.totalOutputTokens)}`),
    ),
  )
  $("breakdown").tBodies[0].replaceChildren(...(rows.length ? rows : [emptyRow(5)]))
  // Bar widths through the CSSOM (the page's CSP allows no inline style attributes).
  $("breakdown")
    .querySelectorAll(".bar")
    .forEach((bar, i) => {
      bar.style.width = `${max > 0 ? Math.max(2, (groups[i].share / max) * 100) : 0}%`
    })
}

function emptyRow(span) {
  return h("tr", {}, h("td", { colspan: span, class: "empty" }, "Nothing yet."))
}

/** Shows a panel's own failure in it (the other panels keep what they show). */
function panelError(what, error) {
  return h("p", { class: "panel-error", role: "alert" }, `${what} could not be loaded: ${error.message}`)
}

function tableError(table, span, what, error) {
  $(table).tBodies[0].replaceChildren(
    h("tr", {}, h("td", { colspan: span, class: "panel-error" }, `${what} could not be loaded: ${error.message}`)),
  )
}

// ---- nodes: cost and calls in the view, last seen and calls in the last hour ----

/** "just now", "5 min ago", "3 h ago", "2 d ago". */
function ago(ms) {
  if (ms < 45_000) return "just now"
  if (ms < 3_600_000) return `${Math.max(1, Math.round(ms / 60_000))} min ago`
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`
  return `${Math.round(ms / 86_400_000)} d ago`
}

/**
 * One row per node of the view (by cost, descending); without filters the nodes that sent nothing in the
 * range are listed too (from /nodes), so a silent node shows.
 */
function renderNodes() {
  const seen = state.nodeSeen
  $("nodes").classList.toggle("no-seen", !seen)
  const groups = state.nodeSummary?.breakdown?.groups ?? []
  const rows = new Map(groups.map((g) => [g.key, { node: g.key, totalCost: g.totalCost, callCount: g.callCount }]))
  const info = new Map((seen?.nodes ?? []).map((n) => [n.node, n]))
  if (activeFilters().length === 0) {
    for (const n of info.keys()) if (!rows.has(n)) rows.set(n, { node: n, totalCost: 0, callCount: 0 })
  }
  const now = seen ? Date.parse(seen.generatedAt) + (Date.now() - seen.fetchedAt) : Date.now()
  const list = [...rows.values()].sort(byCost("node")).map((r) => {
    const n = info.get(r.node)
    const age = n?.lastSeen ? Math.max(0, now - Date.parse(n.lastSeen)) : undefined
    return h(
      "tr",
      { "data-node": r.node, class: age !== undefined && age > SILENT_AFTER_MS ? "silent" : null },
      h("td", {}, r.node),
      h("td", { class: "num" }, usd(r.totalCost)),
      h("td", { class: "num wide-only" }, int(r.callCount)),
      h(
        "td",
        { class: "num seen-col last-seen", title: n?.lastSeen ? new Date(n.lastSeen).toLocaleString() : null },
        age === undefined ? "–" : ago(age),
      ),
      h("td", { class: "num seen-col calls-hour" }, n ? int(n.callsLastHour) : "–"),
    )
  })
  $("nodes").tBodies[0].replaceChildren(...(list.length ? list : [emptyRow(5)]))
}

// ---- budgets ----

const budgetName = (alert) => (typeof alert.budget === "object" && alert.budget ? alert.budget.name : alert.budget)

function renderBudgets(answer) {
  const budgets = [...(answer?.budgets ?? [])].sort((a, b) => b.spent - a.spent || a.name.localeCompare(b.name))
  $("budgets-section").hidden = budgets.length === 0
  const items = budgets.map((b) => {
    const share = b.amount > 0 ? b.spent / b.amount : 0
    return h(
      "div",
      { class: `budget budget-${b.status}`, "data-budget": b.name, "data-status": b.status },
      h(
        "div",
        { class: "budget-head" },
        h("strong", {}, b.name),
        h("span", { class: `pill status-${b.status}` }, b.status),
      ),
      h(
        "div",
        {
          class: "progress",
          role: "progressbar",
          "aria-valuemin": 0,
          "aria-valuemax": 100,
          "aria-valuenow": Math.round(share * 100),
        },
        h("div", { class: "progress-fill" }),
      ),
      h(
        "div",
        { class: "budget-line" },
        `${usd(b.spent)} of ${usd(b.amount)} (${Math.round(share * 100)}%) · projected ${usd(b.projected)} · ${day(b.periodStart)} → ${day(b.periodEnd)}`,
      ),
    )
  })
  $("budgets").replaceChildren(...items)
  $("budgets")
    .querySelectorAll(".progress-fill")
    .forEach((fill, i) => {
      const b = budgets[i]
      fill.style.width = `${Math.min(100, b.amount > 0 ? (b.spent / b.amount) * 100 : 0)}%`
    })
  const exceeded = budgets.filter((b) => b.status === "exceeded" && !state.dismissed.has(b.name))
  if (exceeded.length) showBanner(exceeded.map((b) => exceededText(b.name, b.spent, b.amount)).join(" · "))
}

const exceededText = (name, spent, amount) => `Budget ${name} exceeded: ${usd(spent)} of ${usd(amount)}`

function showBanner(text) {
  $("budget-banner-text").textContent = text
  $("budget-banner").hidden = false
}

$("budget-banner-close").addEventListener("click", () => {
  for (const el of $("budgets").querySelectorAll("[data-status='exceeded']")) state.dismissed.add(el.dataset.budget)
  $("budget-banner").hidden = true
})

/** A `budget` event of the stream: a banner when it says exceeded, and the panel reloaded. */
function onBudgetAlert(alert) {
  const name = budgetName(alert)
  if (alert.event === "budget.exceeded" || alert.status === "exceeded") {
    state.dismissed.delete(name)
    showBanner(exceededText(name, alert.spent, alert.amount))
  }
  loadBudgets(state.generation).catch(report)
}

/** Budgets: a 404 means the service has none configured (or no endpoint): the panel hides. */
async function loadBudgets(generation) {
  if (!state.budgetsApi) return
  try {
    const answer = await api("/api/usage/budgets")
    if (generation === state.generation) renderBudgets(answer)
  } catch (error) {
    if (error instanceof AuthError || generation !== state.generation) return
    if (error instanceof HttpError && error.status === 404) {
      state.budgetsApi = false
      $("budgets-section").hidden = true
      return
    }
    $("budgets-section").hidden = false
    $("budgets").replaceChildren(panelError("Budgets", error))
  }
}

// ---- the chart and the daily report (one request) ----

/** The next round step (1, 2 or 5 times a power of ten) at or above v. */
function roundStep(v) {
  if (!(v > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 5]) if (m * p >= v * (1 - 1e-9)) return m * p
  return 10 * p
}

/** The y axis: 0 to a multiple of a round step, about four steps. */
function axisTicks(max) {
  const step = roundStep(max > 0 ? max / 4 : 0.25)
  const top = Math.max(step, Math.ceil(max / step - 1e-9) * step)
  const ticks = []
  for (let i = 0; i * step <= top * (1 + 1e-9); i++) ticks.push(Number((i * step).toPrecision(12)))
  return ticks
}

/** Per provider: its cost per day of `days` and its total; the costliest first, the rest summed into "N others". */
function chartSeries(report, days) {
  const index = new Map(days.map((d, i) => [d, i]))
  const byProvider = new Map()
  for (const row of report.daily ?? []) {
    const i = index.get(row.period)
    if (i === undefined) continue
    for (const b of row.breakdown ?? []) {
      let s = byProvider.get(b.key)
      if (!s) {
        s = { provider: b.key, totalCost: 0, cost: days.map(() => 0), calls: days.map(() => 0) }
        byProvider.set(b.key, s)
      }
      s.totalCost += b.totalCost
      s.cost[i] += b.totalCost
      s.calls[i] += b.callCount
    }
  }
  const all = [...byProvider.values()].sort(byCost("provider"))
  if (all.length <= TREND_SERIES + 1) return all
  const rest = all.slice(TREND_SERIES)
  const others = {
    provider: `${rest.length} others`,
    totalCost: rest.reduce((acc, s) => acc + s.totalCost, 0),
    cost: days.map((_, i) => rest.reduce((acc, s) => acc + s.cost[i], 0)),
    calls: days.map((_, i) => rest.reduce((acc, s) => acc + s.calls[i], 0)),
  }
  return [...all.slice(0, TREND_SERIES), others]
}

/** A stacked bar per day, drawn at the chart's own pixel width (text stays its size on a phone). */
function renderChart() {
  const report = state.report
  if (!report) return
  const { days } = report
  const series = chartSeries(report.answer, days)
  const box = $("trend")
  const W = Math.max(240, Math.floor(box.clientWidth - 24))
  const H = W < 500 ? 200 : 260
  const totals = days.map((_, i) => series.reduce((acc, s) => acc + s.cost[i], 0))
  const ticks = axisTicks(Math.max(0, ...totals))
  const top = ticks.at(-1)
  const labelWidth = Math.max(...ticks.map((t) => usd(t).length)) * 6.5 + 10
  // Room on the right for half of the last date label (about 36 px wide at 11 px) past its bar's middle.
  const roughStep = days.length ? (W - labelWidth - 6) / days.length : 0
  const pad = { left: labelWidth, right: Math.max(6, Math.ceil(20 - roughStep / 2)), top: 10, bottom: 24 }
  const plotW = W - pad.left - pad.right
  const plotH = H - pad.top - pad.bottom
  const step = days.length ? plotW / days.length : plotW
  const y = (v) => pad.top + plotH - (v / top) * plotH
  const svg = h("svg", { viewBox: `0 0 ${W} ${H}`, width: W, height: H })
  for (const v of ticks) {
    svg.append(
      h("line", { class: "grid", x1: pad.left, x2: W - pad.right, y1: y(v), y2: y(v) }),
      h("text", { class: "axis y-tick", x: pad.left - 6, y: y(v) + 4, "text-anchor": "end" }, usd(v)),
    )
  }
  // A date label every `every` days, at least 44 px apart.
  const every = Math.max(1, Math.ceil(44 / step))
  days.forEach((date, i) => {
    let base = 0
    const x = pad.left + i * step + step * 0.15
    const g = h("g", { "data-date": date })
    series.forEach((s, k) => {
      const cost = s.cost[i]
      if (cost <= 0) return
      const y1 = y(base + cost)
      g.append(
        h(
          "rect",
          {
            x,
            y: y1,
            width: Math.max(1, step * 0.7),
            height: Math.max(1, y(base) - y1),
            fill: COLORS[k % COLORS.length],
            rx: 1,
          },
          h("title", {}, `${date} · ${s.provider}: ${usd(cost)} (${int(s.calls[i])} calls)`),
        ),
      )
      base += cost
    })
    svg.append(g)
    if ((days.length - 1 - i) % every === 0) {
      svg.append(
        h("text", { class: "axis x-tick", x: x + step * 0.35, y: H - 7, "text-anchor": "middle" }, date.slice(5)),
      )
    }
  })
  if (series.length === 0)
    svg.append(h("text", { class: "axis", x: W / 2, y: H / 2, "text-anchor": "middle" }, "No usage in this range."))
  box.replaceChildren(svg)
  $("trend-legend").replaceChildren(
    ...series.map((s, k) => h("span", { "--swatch": COLORS[k % COLORS.length] }, `${s.provider} ${usd(s.totalCost)}`)),
  )
}

/** The daily report: one row per day with usage, newest first (the chart shows them in date order). */
function renderDaily() {
  const answer = state.report.answer
  const rows = [...(answer.daily ?? [])]
    .sort((a, b) => b.period.localeCompare(a.period))
    .map((r) =>
      h(
        "tr",
        { "data-day": r.period },
        h("td", {}, r.period),
        h("td", { class: "num" }, usd(r.totalCost)),
        h("td", { class: "num" }, int(r.callCount)),
        h("td", { class: "num wide-only" }, `${int(r.inputTokens)} / ${int(r.outputTokens)}`),
        h("td", { class: "wide-only models" }, (r.models ?? []).join(", ")),
      ),
    )
  $("daily").tBodies[0].replaceChildren(...(rows.length ? rows : [emptyRow(5)]))
  const t = answer.totals
  $("daily").tFoot.replaceChildren(
    h(
      "tr",
      {},
      h("th", {}, "Total"),
      h("th", { class: "num" }, usd(t.totalCost)),
      h("th", { class: "num" }, int(t.callCount)),
      h("th", { class: "num wide-only" }, `${int(t.inputTokens)} / ${int(t.outputTokens)}`),
      h("th", { class: "wide-only" }),
    ),
  )
}

// ---- the view: range, filters and breakdown, kept in the URL ----

/** The active filters as [name, value] pairs, in FILTERS order. */
function activeFilters() {
  return FILTERS.filter((name) => state.filters[name]).map((name) => [name, state.filters[name]])
}

/** The query parameters of the view's summary (its filters, range and breakdown). */
function viewParams() {
  return { ...Object.fromEntries(activeFilters()), ...rangeParams(), by: state.by }
}

/** Reads the view from the URL: its range, filters and breakdown (else the last one chosen here, else model). */
function readLocation() {
  const params = new URLSearchParams(location.search)
  state.filters = {}
  for (const name of FILTERS) {
    const value = params.get(name)
    if (value) state.filters[name] = value
  }
  const range = params.get("range") ?? "period"
  state.range = Object.hasOwn(RANGES, range) ? range : "period"
  state.from = ""
  state.to = ""
  if (state.range === "custom") {
    const dates = [params.get("from"), params.get("to")]
    if (dates.every(isYmd)) [state.from, state.to] = dates.sort()
    else state.range = "period"
  }
  const by = params.get("by")
  const saved = localStorage.getItem(BY_KEY)
  state.by = Object.hasOwn(BREAKDOWNS, by ?? "") ? by : Object.hasOwn(BREAKDOWNS, saved ?? "") ? saved : "model"
}

/** Writes the view into the URL: a new history entry for a change made here (push), else the same entry. */
function writeLocation(push) {
  const params = new URLSearchParams(location.search)
  for (const name of [...FILTERS, "range", "from", "to", "by"]) params.delete(name)
  if (state.range !== "period") params.set("range", state.range)
  if (state.range === "custom") {
    params.set("from", state.from)
    params.set("to", state.to)
  }
  for (const [name, value] of activeFilters()) params.set(name, value)
  params.set("by", state.by)
  const search = `?${params.toString()}`
  if (search === location.search) return
  if (push) history.pushState(null, "", search)
  else history.replaceState(null, "", search)
}

/** Shows the view in the controls. */
function syncControls() {
  $("breakdown-by").value = state.by
  $("range").value = state.range
  $("custom-range").hidden = state.range !== "custom"
  $("range-from").value = state.from
  $("range-to").value = state.to
  $("range-label").textContent = rangeLabel()
  for (const name of FILTERS) {
    const select = $(`filter-${name}`)
    const value = state.filters[name] || ""
    // A value from a link that is not (or no longer) in the data stays choosable.
    if (value && ![...select.options].some((o) => o.value === value)) select.append(h("option", { value }, value))
    select.value = value
  }
  $("clear-filters").hidden = activeFilters().length === 0
}

/** Fills a filter's select with the values seen, the view's own value kept. Untouched when nothing changed. */
function fillSelect(name, values) {
  const select = $(`filter-${name}`)
  const value = state.filters[name] || ""
  const all = [...new Set([...values.filter((v) => v !== ""), ...(value ? [value] : [])])].sort((a, b) =>
    a.localeCompare(b),
  )
  const current = [...select.options].slice(1).map((o) => o.value)
  if (current.join("\n") !== all.join("\n")) {
    select.replaceChildren(
      h("option", { value: "" }, ALL_LABELS[name]),
      ...all.map((v) => h("option", { value: v }, v)),
    )
  }
  select.value = value
}

/**
 * The filters' choices: the providers, nodes, models, agents and projects with usage in the view's range (the
 * last 30 days for "this period"), whatever the current filters, from three summaries. A failure shows beside
 * the filters; the controls keep the choices they had.
 */
async function loadOptions(generation) {
  state.optionsAt = Date.now()
  const range = state.range === "period" ? { since: ymd(addDays(new Date(), -(OPTION_DAYS - 1))) } : rangeParams()
  const answers = await Promise.allSettled(
    ["model", "agent", "project"].map((by) => api(`/api/usage/summary?${query({ ...range, by })}`)),
  )
  if (generation !== state.generation) return
  const failed = answers.find((a) => a.status === "rejected")
  if (failed && failed.reason instanceof AuthError) return
  $("filters-error").textContent = failed ? `Filter choices could not be loaded: ${failed.reason.message}` : ""
  const [models, agents, projects] = answers.map((a) => (a.status === "fulfilled" ? a.value : undefined))
  const keys = (answer) => (answer?.breakdown?.groups ?? []).map((g) => g.key)
  const first = models ?? agents ?? projects
  if (first) {
    fillSelect("provider", Object.keys(first.summaries))
    fillSelect("node", first.nodes)
  }
  if (models) fillSelect("model", keys(models))
  if (agents) fillSelect("agent", keys(agents))
  if (projects) fillSelect("project", keys(projects))
}

// ---- loading ----

/**
 * The panels that follow the summary, each on its own (a failure shows in its panel only), four requests
 * whatever the number of providers: the summary by node, /nodes, the daily report by provider (chart and
 * table; provider names are in answers, never in a URL's path) and /budgets.
 */
async function loadSecondary(generation) {
  state.secondaryAt = Date.now()
  const filters = Object.fromEntries(activeFilters())
  const range = dayRange()
  const days = daysBetween(range.since, range.last)
  const reportRange = { since: range.since, ...(range.until ? { until: range.until } : {}) }
  const [nodes, seen, daily] = await Promise.allSettled([
    api(`/api/usage/summary?${query({ ...filters, ...rangeParams(), by: "node" })}`),
    state.nodesApi ? api("/api/usage/nodes") : Promise.resolve(null),
    api(`/api/usage/report?${query({ period: "day", ...filters, ...reportRange, by: "provider" })}`),
    loadBudgets(generation),
  ])
  if (generation !== state.generation) return
  if (seen.status === "fulfilled") state.nodeSeen = seen.value && { ...seen.value, fetchedAt: Date.now() }
  else if (seen.reason instanceof HttpError && seen.reason.status === 404) {
    state.nodesApi = false
    state.nodeSeen = null
  }
  if (nodes.status === "fulfilled") {
    state.nodeSummary = nodes.value
    renderNodes()
  } else if (!(nodes.reason instanceof AuthError)) tableError("nodes", 5, "Nodes", nodes.reason)
  if (daily.status === "fulfilled") {
    state.report = { answer: daily.value, days }
    renderChart()
    renderDaily()
  } else if (!(daily.reason instanceof AuthError)) {
    state.report = null
    $("trend").replaceChildren(panelError("Daily costs", daily.reason))
    $("trend-legend").replaceChildren()
    tableError("daily", 5, "The daily report", daily.reason)
  }
}

/** The panels follow the live summaries, at most every SECONDARY_EVERY_MS (the filters' choices less often). */
function scheduleSecondary() {
  if (state.secondaryTimer) return
  const wait = Math.max(0, SECONDARY_EVERY_MS - (Date.now() - state.secondaryAt))
  const generation = state.generation
  state.secondaryTimer = setTimeout(() => {
    state.secondaryTimer = null
    if (generation !== state.generation) return
    loadSecondary(generation).catch(report)
    if (Date.now() - state.optionsAt >= OPTIONS_EVERY_MS) loadOptions(generation).catch(report)
  }, wait)
}

function closeStream() {
  if (state.source) state.source.close()
  state.source = null
}

/**
 * The live stream of the view. Its first summary repeats the one start() just loaded: it reloads the other
 * panels only when the stream was reopened after an error (`refresh`), not right after start().
 */
function openStream(refresh = false) {
  closeStream()
  let first = !refresh
  const params = viewParams()
  // EventSource cannot send an Authorization header: the stream accepts the read token as ?token=.
  if (state.token) params.token = state.token
  const source = new EventSource(`/api/usage/stream?${query(params)}`)
  state.source = source
  source.addEventListener("open", () => setLive("live", "live"))
  source.addEventListener("summary", (event) => {
    if (source !== state.source) return
    setLive("live", "live")
    renderSummary(JSON.parse(event.data))
    if (!first) scheduleSecondary()
    first = false
  })
  source.addEventListener("budget", (event) => {
    if (source !== state.source) return
    try {
      onBudgetAlert(JSON.parse(event.data))
    } catch (error) {
      report(error)
    }
  })
  source.addEventListener("error", () => {
    if (source !== state.source) return
    if (source.readyState === EventSource.CLOSED) {
      setLive("down", "offline")
      // Find out why (a token problem opens the token dialog), then retry.
      api(`/api/usage/summary?${query(viewParams())}`)
        .then(() => setTimeout(() => source === state.source && openStream(true), 3000))
        .catch(report)
    } else {
      setLive("idle", "reconnecting…")
    }
  })
}

function report(error) {
  if (error instanceof AuthError) return
  setLive("down", "error")
  $("updated").textContent = error.message
}

/** Loads the view: the summary then its live stream, and on their own the other panels and the filter choices. */
async function start() {
  const generation = ++state.generation
  closeStream()
  clearTimeout(state.secondaryTimer)
  state.secondaryTimer = null
  state.budgetsApi = true
  state.nodesApi = true
  try {
    const summary = await api(`/api/usage/summary?${query(viewParams())}`)
    if (generation !== state.generation) return
    renderSummary(summary)
  } catch (error) {
    if (error instanceof AuthError || generation !== state.generation) return
    report(error)
  }
  openStream()
  await Promise.all([loadSecondary(generation).catch(report), loadOptions(generation).catch(report)])
}

// ---- the CSV of the view ----

/** The records of the view (its filters, and the chart's range) as CSV, fetched with the token and saved. */
async function downloadCsv() {
  const range = dayRange()
  const params = { format: "csv", ...Object.fromEntries(activeFilters()), since: range.since }
  if (range.until) params.until = range.until
  const button = $("download")
  button.disabled = true
  try {
    const blob = await (await request(`/api/usage/export?${query(params)}`)).blob()
    const url = URL.createObjectURL(blob)
    const link = h("a", { href: url, download: `usage-${range.since}-to-${range.last}.csv`, hidden: "" })
    document.body.append(link)
    link.click()
    link.remove()
    setTimeout(() => URL.revokeObjectURL(url), 60_000)
    $("filters-error").textContent = ""
  } catch (error) {
    if (!(error instanceof AuthError))
      $("filters-error").textContent = `The CSV could not be downloaded: ${error.message}`
  } finally {
    button.disabled = false
  }
}

// ---- controls ----

/** A change made on the page: a new view, in a new history entry. */
function changeView() {
  writeLocation(true)
  syncControls()
  start()
}

$("breakdown-by").addEventListener("change", (event) => {
  state.by = event.target.value
  localStorage.setItem(BY_KEY, state.by)
  changeView()
})
for (const name of FILTERS) {
  $(`filter-${name}`).addEventListener("change", (event) => {
    if (event.target.value) state.filters[name] = event.target.value
    else delete state.filters[name]
    changeView()
  })
}
$("range").addEventListener("change", (event) => {
  state.range = event.target.value
  if (state.range === "custom") {
    // Starts as the range shown so far; the two dates change it.
    const shown = dayRange()
    state.from = state.from || shown.since
    state.to = state.to || shown.last
  } else {
    state.from = ""
    state.to = ""
  }
  changeView()
})
for (const id of ["range-from", "range-to"]) {
  $(id).addEventListener("change", () => {
    const from = $("range-from").value
    const to = $("range-to").value
    if (!isYmd(from) || !isYmd(to)) return
    ;[state.from, state.to] = [from, to].sort()
    changeView()
  })
}
$("clear-filters").addEventListener("click", () => {
  state.filters = {}
  changeView()
})
$("download").addEventListener("click", () => downloadCsv())
window.addEventListener("popstate", () => {
  readLocation()
  syncControls()
  start()
})
let resizeTimer = null
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer)
  resizeTimer = setTimeout(renderChart, 150)
})
// "last seen" moves on without a request.
setInterval(() => state.nodeSummary && renderNodes(), 30_000)

readLocation()
writeLocation(false)
syncControls()
start()
