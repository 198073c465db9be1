// usage-hub dashboard: reads /api/usage/* (with the read token when the service requires one), renders the
// current periods, a breakdown, a 30-day trend (SVG, every provider from one GET /api/usage/trends) and the
// nodes, and updates live from the SSE stream. Each panel loads on its own: one failing request shows its
// error in that panel and leaves the others as they are.
// Filters (provider, node, model, agent, project) and the breakdown live in the URL's query string, so a shared
// link opens the same view and back/forward step through the views; their choices come from the data.
// No framework and nothing external: every node is built with the DOM API (textContent, never innerHTML).

const TOKEN_KEY = "usage-hub.readToken"
const BY_KEY = "usage-hub.breakdownBy"
const TREND_DAYS = 30
/** The filters, in the order of their controls and of the URL's query string. */
const FILTERS = ["provider", "node", "model", "agent", "project"]
/** The filters the trends endpoint applies (it has no model, agent or project filter). */
const TREND_FILTERS = ["provider", "node"]
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
/** The filters' choices are refreshed at most this often while live updates come in. */
const OPTIONS_EVERY_MS = 15_000
const COLORS = ["#3a5bd9", "#1f9d55", "#c27c0e", "#b83280", "#2b8a9e", "#7c3aed", "#c53030", "#4a5568"]
/** Providers drawn on their own in the chart; the rest are summed into one "others" series. */
const TREND_SERIES = COLORS.length - 1
const tz = Intl.DateTimeFormat().resolvedOptions().timeZone

const state = {
  token: sessionStorage.getItem(TOKEN_KEY) || "",
  by: "model",
  /** The active filters: name -> value (absent: all). */
  filters: {},
  source: null,
  secondaryTimer: null,
  secondaryAt: 0,
  optionsAt: 0,
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

// ---- API and auth ----

class AuthError extends Error {}

async function api(path) {
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
    throw new Error(message)
  }
  return res.json()
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

// ---- rendering ----

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

  const cards = entries
    .sort((a, b) => b.totalCost - a.totalCost)
    .map((s) =>
      h(
        "article",
        { class: "card", "data-provider": s.provider },
        h("h3", {}, s.provider),
        h("div", { class: "cost" }, usd(s.totalCost)),
        h("div", { class: "period" }, `${day(s.periodStart)} → resets ${day(s.nextReset)} (${s.resetType})`),
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
  const none = activeFilters().length
    ? "No usage matches these filters in the current periods."
    : "No usage in the current periods yet."
  $("providers").replaceChildren(...(cards.length ? cards : [h("p", { class: "empty" }, none)]))

  $("breakdown-key").textContent = BREAKDOWNS[state.by]
  const groups = summary.breakdown?.groups ?? []
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
      h("td", { class: "num" }, `${int(g.totalInputTokens)} / ${int(g.totalOutputTokens)}`),
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

function renderNodesError(error) {
  $("nodes").tBodies[0].replaceChildren(
    h("tr", {}, h("td", { colspan: 3, class: "panel-error" }, `Nodes could not be loaded: ${error.message}`)),
  )
}

function renderTrendError(error) {
  $("trend").replaceChildren(panelError("Trends", error))
  $("trend-legend").replaceChildren()
}

/** The costliest providers as their own series, the others summed into one (a chart of 1,000 providers stays legible). */
function chartSeries(trends) {
  if (trends.length <= TREND_SERIES + 1) return trends
  const top = trends.slice(0, TREND_SERIES)
  const rest = trends.slice(TREND_SERIES)
  const others = {
    provider: `${rest.length} others`,
    totalCost: rest.reduce((acc, t) => acc + t.totalCost, 0),
    dataPoints: rest[0].dataPoints.map((p, i) => ({
      date: p.date,
      cost: rest.reduce((acc, t) => acc + t.dataPoints[i].cost, 0),
      calls: rest.reduce((acc, t) => acc + t.dataPoints[i].calls, 0),
    })),
  }
  return [...top, others]
}

function renderNodes(summary) {
  const groups = summary.breakdown?.groups ?? []
  const rows = groups.map((g) =>
    h(
      "tr",
      { "data-node": g.key },
      h("td", {}, g.key),
      h("td", { class: "num" }, usd(g.totalCost)),
      h("td", { class: "num" }, int(g.callCount)),
    ),
  )
  $("nodes").tBodies[0].replaceChildren(...(rows.length ? rows : [emptyRow(3)]))
}

function renderTrend(all) {
  const trends = chartSeries(all)
  const W = 900
  const H = 260
  const pad = { left: 56, right: 10, top: 12, bottom: 26 }
  const days = trends[0]?.dataPoints.map((p) => p.date) ?? []
  const totals = days.map((_, i) => trends.reduce((acc, t) => acc + t.dataPoints[i].cost, 0))
  const max = Math.max(...totals, 0)
  const top = max > 0 ? niceCeil(max) : 1
  const plotW = W - pad.left - pad.right
  const plotH = H - pad.top - pad.bottom
  const step = days.length ? plotW / days.length : plotW
  const y = (v) => pad.top + plotH - (v / top) * plotH
  const svg = h("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none" })
  for (let i = 0; i <= 4; i++) {
    const v = (top / 4) * i
    svg.append(
      h("line", { class: "grid", x1: pad.left, x2: W - pad.right, y1: y(v), y2: y(v) }),
      h("text", { class: "axis", x: pad.left - 6, y: y(v) + 4, "text-anchor": "end" }, usd(v)),
    )
  }
  days.forEach((date, i) => {
    let base = 0
    const x = pad.left + i * step + step * 0.15
    const g = h("g", { "data-date": date })
    trends.forEach((t, k) => {
      const cost = t.dataPoints[i].cost
      if (cost <= 0) return
      const y1 = y(base + cost)
      g.append(
        h(
          "rect",
          { x, y: y1, width: step * 0.7, height: Math.max(1, y(base) - y1), fill: COLORS[k % COLORS.length], rx: 2 },
          h("title", {}, `${date} · ${t.provider}: ${usd(cost)} (${int(t.dataPoints[i].calls)} calls)`),
        ),
      )
      base += cost
    })
    svg.append(g)
    if (i % 5 === 0 || i === days.length - 1) {
      svg.append(h("text", { class: "axis", x: x + step * 0.35, y: H - 8, "text-anchor": "middle" }, date.slice(5)))
    }
  })
  if (trends.length === 0)
    svg.append(
      h("text", { class: "axis", x: W / 2, y: H / 2, "text-anchor": "middle" }, "No usage in the last 30 days."),
    )
  $("trend").replaceChildren(svg)
  $("trend-legend").replaceChildren(
    ...trends.map((t, k) => h("span", { "--swatch": COLORS[k % COLORS.length] }, `${t.provider} ${usd(t.totalCost)}`)),
  )
}

function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

// ---- the view: filters and breakdown, kept in the URL ----

/** The active filters as [name, value] pairs, in FILTERS order. */
function activeFilters() {
  return FILTERS.filter((name) => state.filters[name]).map((name) => [name, state.filters[name]])
}

/** The query parameters of the view's summary (its filters and breakdown). */
function viewParams() {
  return { ...Object.fromEntries(activeFilters()), by: state.by }
}

/** Reads the view from the URL: its filters, and its breakdown (else the last one chosen here, else model). */
function readLocation() {
  const params = new URLSearchParams(location.search)
  state.filters = {}
  for (const name of FILTERS) {
    const value = params.get(name)
    if (value) state.filters[name] = value
  }
  const by = params.get("by")
  const saved = localStorage.getItem(BY_KEY)
  state.by = Object.hasOwn(BREAKDOWNS, by ?? "") ? by : Object.hasOwn(BREAKDOWNS, saved ?? "") ? saved : "model"
}

/** Writes the view into the URL: a new history entry for a change made here (push), else the same entry. */
function writeLocation(push) {
  const params = new URLSearchParams(location.search)
  for (const name of FILTERS) params.delete(name)
  params.delete("by")
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
  for (const name of FILTERS) {
    const select = $(`filter-${name}`)
    const value = state.filters[name] || ""
    // A value from a link that is not (or no longer) in the data stays choosable.
    if (value && ![...select.options].some((o) => o.value === value)) select.append(h("option", { value }, value))
    select.value = value
  }
  $("clear-filters").hidden = activeFilters().length === 0
  const ignored = activeFilters()
    .map(([name]) => name)
    .filter((name) => !TREND_FILTERS.includes(name))
  $("trend-note").textContent = ignored.length
    ? `Not filtered by ${ignored.join(", ")}: trends filter by provider and node only.`
    : ""
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
 * The filters' choices: the providers, nodes, models, agents and projects with usage in the last TREND_DAYS
 * days (the chart's window), whatever the current filters, from three summaries. A failure shows beside the
 * filters; the controls keep the choices they had.
 */
async function loadOptions(generation) {
  state.optionsAt = Date.now()
  const since = new Date(Date.now() - TREND_DAYS * 86_400_000).toISOString()
  const answers = await Promise.allSettled(
    ["model", "agent", "project"].map((by) => api(`/api/usage/summary?${query({ since, by })}`)),
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
 * The nodes table and the trend chart, each from one request and each on its own: a failure shows in its
 * panel only. Every provider's trend comes in one answer, the costliest first (the provider names are in
 * the answer, never in the URL's path, so a provider called ".." cannot turn the URL into another one).
 * The nodes follow every filter; the trends the provider and node filters (the endpoint has no others).
 */
async function loadSecondary(generation) {
  state.secondaryAt = Date.now()
  const trendFilters = Object.fromEntries(activeFilters().filter(([name]) => TREND_FILTERS.includes(name)))
  const [nodes, trends] = await Promise.allSettled([
    api(`/api/usage/summary?${query({ ...Object.fromEntries(activeFilters()), by: "node" })}`),
    api(`/api/usage/trends?${query({ ...trendFilters, days: String(TREND_DAYS) })}`),
  ])
  if (generation !== state.generation) return
  if (nodes.status === "fulfilled") renderNodes(nodes.value)
  else if (!(nodes.reason instanceof AuthError)) renderNodesError(nodes.reason)
  if (trends.status === "fulfilled") renderTrend(trends.value)
  else if (!(trends.reason instanceof AuthError)) renderTrendError(trends.reason)
}

/** Trends and nodes follow the live summaries, at most every 2 s (the filters' choices every 15 s). */
function scheduleSecondary() {
  if (state.secondaryTimer) return
  const wait = Math.max(0, 2000 - (Date.now() - state.secondaryAt))
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

function openStream() {
  closeStream()
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
    scheduleSecondary()
  })
  source.addEventListener("error", () => {
    if (source !== state.source) return
    if (source.readyState === EventSource.CLOSED) {
      setLive("down", "offline")
      // Find out why (a token problem opens the token dialog), then retry.
      api(`/api/usage/summary?${query(viewParams())}`)
        .then(() => setTimeout(() => source === state.source && openStream(), 3000))
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

/** Loads the view: the summary then its live stream, and on their own the nodes, trends and filter choices. */
async function start() {
  const generation = ++state.generation
  closeStream()
  clearTimeout(state.secondaryTimer)
  state.secondaryTimer = null
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
$("clear-filters").addEventListener("click", () => {
  state.filters = {}
  changeView()
})
window.addEventListener("popstate", () => {
  readLocation()
  syncControls()
  start()
})

readLocation()
writeLocation(false)
syncControls()
start()
