import { mkdirSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import { request as httpRequest } from "node:http"
import { join } from "node:path"
import { expect } from "chai"
import { parseTokenOption, tokenMatches } from "../../../src/lib/server/auth.js"
import { tempDir } from "../../helpers/tmp.js"
import { startTestService, type TestService, wireRecord } from "./helpers.js"

describe("service auth", () => {
  describe("token options", () => {
    it("takes several comma-separated tokens, any of which matches", () => {
      const source = parseTokenOption(" new-token , old-token ", "--read-token")!
      expect(tokenMatches(source, "new-token")).to.equal(true)
      expect(tokenMatches(source, "old-token")).to.equal(true)
      expect(tokenMatches(source, "new-token,old-token")).to.equal(false)
      expect(tokenMatches(source, "")).to.equal(false)
      expect(source.description).to.equal("2 tokens")
    })

    it("keeps a # in an inline token (comments belong to token files)", () => {
      const source = parseTokenOption("a#bcdef,second#", "--ingest-token")!
      expect(tokenMatches(source, "a#bcdef")).to.equal(true)
      expect(tokenMatches(source, "second#")).to.equal(true)
      expect(tokenMatches(source, "a")).to.equal(false)
      expect(source.description).to.equal("2 tokens")
    })

    it("starts a comment in a token file at a line's start or after a space, not inside a token", () => {
      const file = join(tempDir(), "ingest.tokens")
      writeFileSync(file, "# rotated 2026-11\n  # indented comment\nabc#def # the build farm\nghi#\n")
      const source = parseTokenOption(file, "--ingest-token")!
      expect(tokenMatches(source, "abc#def")).to.equal(true)
      expect(tokenMatches(source, "ghi#")).to.equal(true)
      expect(tokenMatches(source, "abc")).to.equal(false)
      expect(tokenMatches(source, "# the build farm")).to.equal(false)
      expect(source.shortest()).to.equal(4)
    })

    it("refuses at start a token with a character outside printable ASCII, without echoing it", () => {
      for (const value of ["tökén-0123456789", "good-token-0123456789,два-0123456789", "with space-0123456789"]) {
        expect(() => parseTokenOption(value, "--ingest-token"), value)
          .to.throw(/--ingest-token: token \d holds a character outside printable ASCII/)
          .that.satisfies((error: Error) => !/ö|два|with space/.test(error.message))
      }
      const file = join(tempDir(), "read.tokens")
      writeFileSync(file, "fine-token-0123456789\nnaïve-token-0123456789\n")
      expect(() => parseTokenOption(file, "--read-token")).to.throw(
        new RegExp(`--read-token: ${file}: token 2 holds a character outside printable ASCII`),
      )
    })

    it("leaves out a re-read token with a character outside printable ASCII, saying so", () => {
      const file = join(tempDir(), "read.tokens")
      writeFileSync(file, "fine-token-0123456789\n")
      const logs: string[] = []
      const source = parseTokenOption(file, "--read-token", { log: (line) => logs.push(line) })!
      writeFileSync(file, "naïve-token-0123456789\nnext-token-0123456789\n")
      source.reload()
      expect(tokenMatches(source, "next-token-0123456789")).to.equal(true)
      expect(tokenMatches(source, "naïve-token-0123456789")).to.equal(false)
      expect(logs[0]).to.equal(
        `warning: --read-token: ${file}: left out 1 token with a character outside printable ASCII`,
      )
    })

    it("reads tokens from a file (lines, commas, comments) and re-reads it when it changes, at most once a second", () => {
      const file = join(tempDir(), "ingest.tokens")
      writeFileSync(file, "# rotated 2026-11\nfirst\nsecond, third\n")
      let now = 0
      const source = parseTokenOption(file, "--ingest-token", { now: () => now, log: () => {} })!
      for (const t of ["first", "second", "third"]) expect(tokenMatches(source, t), t).to.equal(true)
      expect(tokenMatches(source, "# rotated 2026-11")).to.equal(false)
      writeFileSync(file, "fourth\n")
      utimesSync(file, new Date(), new Date(Date.now() + 5000))
      now = 999
      expect(tokenMatches(source, "first"), "not checked again within the second").to.equal(true)
      now = 1000
      expect(tokenMatches(source, "fourth")).to.equal(true)
      expect(tokenMatches(source, "first")).to.equal(false)
    })

    it("refuses a token file that does not exist; one that holds no token refuses every token", () => {
      expect(() => parseTokenOption("./no/such/file", "--read-token")).to.throw(/token file not found/)
      const empty = join(tempDir(), "empty")
      writeFileSync(empty, "# nothing\n\n")
      const source = parseTokenOption(empty, "--read-token")!
      expect(source.tokens()).to.have.length(0)
      expect(tokenMatches(source, "")).to.equal(false)
      expect(tokenMatches(source, "# nothing")).to.equal(false)
      expect(parseTokenOption(undefined, "--read-token")).to.equal(undefined)
      expect(parseTokenOption("  ", "--read-token")).to.equal(undefined)
    })

    it("revokes every token when the file is emptied, and warns that it now refuses everything", () => {
      const file = join(tempDir(), "ingest.tokens")
      writeFileSync(file, "first-token\nsecond-token\n")
      const logs: string[] = []
      let now = 0
      const source = parseTokenOption(file, "--ingest-token", { log: (line) => logs.push(line), now: () => now })!
      expect(tokenMatches(source, "first-token")).to.equal(true)
      writeFileSync(file, "")
      now = 1000 // the file is checked at most once a second
      expect(tokenMatches(source, "first-token")).to.equal(false)
      expect(tokenMatches(source, "second-token")).to.equal(false)
      expect(logs).to.deep.equal([
        `warning: --ingest-token: ${file} holds no token now: every request that needs this token is refused`,
      ])
    })

    it("keeps the last good tokens while the file is missing or unreadable, and says so once per failure", () => {
      const dir = tempDir()
      const file = join(dir, "read.tokens")
      writeFileSync(file, "kept-token\n")
      const logs: string[] = []
      const source = parseTokenOption(file, "--read-token", { log: (line) => logs.push(line), recheckMs: 0 })!
      rmSync(file)
      expect(tokenMatches(source, "kept-token")).to.equal(true)
      expect(tokenMatches(source, "kept-token")).to.equal(true)
      expect(logs).to.deep.equal([
        `warning: --read-token: cannot read ${file} (ENOENT); keeping the 1 token read before`,
      ])
      mkdirSync(file) // unreadable as a file
      expect(tokenMatches(source, "kept-token")).to.equal(true)
      expect(logs[1]).to.equal(`warning: --read-token: cannot read ${file} (EISDIR); keeping the 1 token read before`)
      rmSync(file, { recursive: true })
      writeFileSync(file, "next-token\n")
      expect(tokenMatches(source, "next-token")).to.equal(true)
      expect(tokenMatches(source, "kept-token")).to.equal(false)
      expect(logs.slice(2)).to.deep.equal([`--read-token: re-read ${file}: 1 token`])
    })

    it("re-reads the file on reload() (SIGHUP) even when it looks unchanged", () => {
      const file = join(tempDir(), "ingest.tokens")
      writeFileSync(file, "token-one\n")
      const logs: string[] = []
      const source = parseTokenOption(file, "--ingest-token", { log: (line) => logs.push(line), recheckMs: 3_600_000 })!
      writeFileSync(file, "token-two\n")
      expect(tokenMatches(source, "token-one")).to.equal(true) // not checked again yet
      source.reload()
      expect(tokenMatches(source, "token-two")).to.equal(true)
      expect(tokenMatches(source, "token-one")).to.equal(false)
      expect(logs).to.deep.equal([`--ingest-token: re-read ${file}: 1 token`])
    })

    it("leaves out a re-read token shorter than minLength, saying so", () => {
      const file = join(tempDir(), "ingest.tokens")
      writeFileSync(file, "a-long-enough-token\n")
      const logs: string[] = []
      const source = parseTokenOption(file, "--ingest-token", { log: (line) => logs.push(line), minLength: 16 })!
      writeFileSync(file, "short\nanother-long-enough-token\n")
      source.reload()
      expect(tokenMatches(source, "short")).to.equal(false)
      expect(tokenMatches(source, "another-long-enough-token")).to.equal(true)
      expect(logs[0]).to.equal(`warning: --ingest-token: ${file}: left out 1 token shorter than 16 characters`)
    })
  })

  describe("endpoints", () => {
    let svc: TestService
    const read = { authorization: "Bearer reader-2" }
    const ingest = { authorization: "Bearer writer" }

    before(async () => {
      svc = await startTestService({ ingestToken: "writer", readToken: "reader-1,reader-2" })
    })
    after(async () => {
      await svc.stop()
    })

    it("guards /api/* and /metrics with the read token: 401 without or with an unknown one, 403 with the ingest token", async () => {
      for (const path of [
        "/api/usage/summary",
        "/api/usage/provider/anthropic/trends",
        "/api/usage/export",
        "/api/usage/stream",
        "/metrics",
      ]) {
        const none = await svc.get(path)
        expect(none.status, path).to.equal(401)
        expect(none.json.error.code).to.equal("UNAUTHORIZED")
        expect(none.headers.get("www-authenticate")).to.equal('Bearer realm="usage-hub"')
        const unknown = await svc.get(path, { authorization: "Bearer no-such-token" })
        expect(unknown.status, path).to.equal(401)
        expect(unknown.json.error.code).to.equal("UNAUTHORIZED")
        expect(unknown.headers.get("www-authenticate")).to.equal('Bearer realm="usage-hub", error="invalid_token"')
        const other = await svc.get(path, ingest)
        expect(other.status, path).to.equal(403)
        expect(other.json.error.code).to.equal("FORBIDDEN")
        expect(other.headers.get("www-authenticate")).to.equal('Bearer realm="usage-hub", error="insufficient_scope"')
      }
      expect((await svc.get("/api/usage/summary", read)).status).to.equal(200)
      expect((await svc.get("/metrics", { authorization: "Bearer reader-1" })).status).to.equal(200)
    })

    it("answers a malformed Bearer header 401 invalid_token, and another scheme 401 without an error code", async () => {
      for (const authorization of ["Bearer", "Bearer reader-2 extra", "Bearer  "]) {
        const res = await svc.get("/api/usage/summary", { authorization })
        expect(res.status, authorization).to.equal(401)
        expect(res.headers.get("www-authenticate"), authorization).to.equal(
          'Bearer realm="usage-hub", error="invalid_token"',
        )
      }
      const basic = await svc.get("/api/usage/summary", { authorization: "Basic cmVhZGVyLTI6" })
      expect(basic.status).to.equal(401)
      expect(basic.headers.get("www-authenticate")).to.equal('Bearer realm="usage-hub"')
    })

    it("does not let a read token ingest (403), and refuses an unknown token 401", async () => {
      expect((await svc.post([wireRecord()], read)).status).to.equal(403)
      expect((await svc.post([wireRecord()], { authorization: "Bearer writer-2" })).status).to.equal(401)
      expect((await svc.post([wireRecord()], ingest)).status).to.equal(200)
    })

    it("refuses a token sent as non-ASCII bytes (UTF-8 or Latin-1) with 401 invalid_token", async () => {
      for (const bytes of [Buffer.from("rëader-2", "utf8"), Buffer.from("rëader-2", "latin1")]) {
        const status = await new Promise<{ code: number; challenge: unknown }>((resolve, reject) => {
          const url = new URL("/api/usage/summary", svc.url)
          // Node writes a header string's characters as bytes (latin1): these are the raw bytes on the wire.
          const req = httpRequest(url, { headers: { authorization: `Bearer ${bytes.toString("latin1")}` } }, (res) => {
            res.resume()
            resolve({ code: res.statusCode!, challenge: res.headers["www-authenticate"] })
          })
          req.on("error", reject)
          req.end()
        })
        expect(status).to.deep.equal({ code: 401, challenge: 'Bearer realm="usage-hub", error="invalid_token"' })
      }
    })

    it("accepts ?token= on the SSE stream only", async () => {
      expect((await svc.get("/api/usage/summary?token=reader-2")).status).to.equal(401)
      const controller = new AbortController()
      const res = await fetch(`${svc.url}/api/usage/stream?token=reader-2`, { signal: controller.signal })
      expect(res.status).to.equal(200)
      expect(res.headers.get("content-type")).to.match(/^text\/event-stream/)
      controller.abort()
      const wrong = await svc.get("/api/usage/stream?token=nope")
      expect(wrong.status).to.equal(401)
      expect(wrong.headers.get("www-authenticate")).to.equal('Bearer realm="usage-hub", error="invalid_token"')
    })

    it("takes ?token= only under its literal name: an encoded name (?%74oken=) is not a token", async () => {
      expect((await svc.get("/api/usage/stream?%74oken=reader-2")).status).to.equal(401)
      expect((await svc.get("/api/usage/stream?TOKEN=reader-2")).status).to.equal(401)
      expect((await svc.get("/api/usage/stream?token=reader-2&token=reader-1")).status).to.equal(401)
      // The value is decoded as usual.
      const controller = new AbortController()
      const res = await fetch(`${svc.url}/api/usage/stream?token=reader%2D2`, { signal: controller.signal })
      expect(res.status).to.equal(200)
      controller.abort()
    })

    it("leaves the dashboard files, /healthz and /openapi.json public", async () => {
      for (const path of ["/", "/assets/app.js", "/assets/style.css", "/healthz", "/openapi.json"]) {
        expect((await svc.get(path)).status, path).to.equal(200)
      }
    })
  })

  describe("request logs", () => {
    const SECRET = "reader-secret-0123456789"
    let svc: TestService
    const lines: string[] = []

    before(async () => {
      svc = await startTestService({
        readToken: SECRET,
        logLevel: "info",
        logStream: { write: (line: string) => void lines.push(line) },
      })
    })
    after(async () => {
      await svc.stop()
    })

    it("never hold a token sent in the query, however its name is spelled", async () => {
      const queries = [
        `token=${SECRET}`,
        `%74oken=${SECRET}`,
        `to%6Ben=${SECRET}`,
        `%2574oken=${SECRET}`,
        `TOKEN=${SECRET}`,
        `access_token=${SECRET}`,
        `provider=x&token=${SECRET}&token=${SECRET}`,
        `token=${encodeURIComponent(SECRET).replace(/-/g, "%2D")}`,
      ]
      const incoming = () => lines.filter((line) => line.includes('"msg":"incoming request"')).length
      const incomingBefore = incoming()
      for (const query of queries) {
        for (const path of ["/api/usage/stream", "/api/usage/summary"]) {
          const controller = new AbortController()
          const res = await fetch(`${svc.url}${path}?${query}`, { signal: controller.signal })
          controller.abort()
          expect(res.status, `${path}?${query}`).to.be.oneOf([200, 401, 403])
        }
      }
      // Each request's URL (where a token would show) is logged by its "incoming request" line.
      for (let i = 0; i < 200 && incoming() - incomingBefore < queries.length * 2; i++)
        await new Promise((r) => setTimeout(r, 5))
      expect(incoming() - incomingBefore, "every request logged").to.equal(queries.length * 2)
      const log = lines.join("")
      expect(log).to.contain("/api/usage/stream?")
      expect(log).to.contain("[redacted]")
      expect(log).not.to.contain(SECRET)
      expect(log).not.to.contain("0123456789")
    })
  })
})
