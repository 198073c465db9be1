import { expect } from "chai"
import Fastify from "fastify"
import { createApp, type UsageHubApp } from "../../../src/lib/server/app.js"
import { declaredRoutes, requireRouteAuth } from "../../../src/lib/server/auth.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"

const INGEST_TOKEN = "ingest-token-0123456789"
const READ_TOKEN = "read-token-0123456789abc"

/** Every (method, path) the router serves, read from fastify's own route listing (a tree of path parts). */
function servedRoutes(app: UsageHubApp): Array<{ method: string; url: string }> {
  const out: Array<{ method: string; url: string }> = []
  const parents: Array<{ indent: number; path: string }> = []
  for (const line of app.printRoutes({ commonPrefix: false }).split("\n")) {
    const m = /^([\s│├└─]*)(\S+)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (!m) continue
    const indent = m[1].length
    while (parents.length > 0 && parents[parents.length - 1].indent >= indent) parents.pop()
    const path = (parents[parents.length - 1]?.path ?? "") + m[2]
    parents.push({ indent, path })
    for (const method of m[3]?.split(", ") ?? []) out.push({ method, url: path })
  }
  return out
}

describe("auth fails closed: every route declares its auth", () => {
  let app: UsageHubApp

  before(async () => {
    app = await createApp({ store: new MemoryStore(), ingestToken: INGEST_TOKEN, readToken: READ_TOKEN, tz: "UTC" })
  })
  after(async () => {
    await app.close()
  })

  it("every route the service serves declares public, read or ingest", () => {
    const served = servedRoutes(app)
    expect(served.length).to.be.greaterThan(10)
    const declared = declaredRoutes(app)
    for (const route of served) {
      const found = declared.find((d) => d.method === route.method && d.url === route.url)
      expect(found, `${route.method} ${route.url}`).to.not.equal(undefined)
      expect(["public", "read", "ingest"]).to.include(found?.auth)
    }
  })

  it("every route that declares a token refuses a request without one, and only those", async () => {
    for (const route of declaredRoutes(app)) {
      const url = route.url.replace(/:\w+/g, "anthropic")
      const res = await app.inject({ method: route.method as "GET", url })
      if (route.auth === "public") expect(res.statusCode, `${route.method} ${url}`).to.not.equal(401)
      else expect(res.statusCode, `${route.method} ${url}`).to.equal(401)
    }
    // The read and ingest routes the API documents are among them.
    const auth = (method: string, url: string) => declaredRoutes(app).find((d) => d.method === method && d.url === url)
    expect(auth("POST", "/ingest/usage")?.auth).to.equal("ingest")
    expect(auth("GET", "/api/usage/summary")?.auth).to.equal("read")
    expect(auth("HEAD", "/api/usage/export")?.auth).to.equal("read")
    expect(auth("GET", "/healthz")?.auth).to.equal("public")
  })

  it("registering a route without an auth declaration throws", () => {
    const bare = Fastify()
    requireRouteAuth(bare)
    expect(() => bare.get("/admin", async () => "secret")).to.throw(/GET \/admin declares no auth/)
    expect(() => bare.get("/typo", { config: { auth: "reed" as "read" } }, async () => "x")).to.throw(
      /declares no auth/,
    )
    expect(() => bare.get("/open", { config: { auth: "public" } }, async () => "x")).to.not.throw()
  })

  it("a route without a declaration inside a plugin stops the start", async () => {
    const bare = Fastify()
    requireRouteAuth(bare)
    bare.register(async (child) => {
      child.post("/nested", async () => "x")
    })
    let error: unknown
    try {
      await bare.ready()
    } catch (e) {
      error = e
    }
    expect((error as Error)?.message).to.match(/POST \/nested declares no auth/)
    await bare.close().catch(() => {})
  })
})
