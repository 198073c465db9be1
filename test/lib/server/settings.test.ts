import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { type TokenSource, tokenMatches } from "../../../src/lib/server/auth.js"
import { isLoopback, resolveServeSettings } from "../../../src/lib/server/settings.js"
import { tempDir } from "../../helpers/tmp.js"

const LONG_A = "ingest-token-aaaaaaaaaaaa"
const LONG_B = "ingest-token-bbbbbbbbbbbb"

const env = (extra: Record<string, string> = {}) => ({ HOME: tempDir(), XDG_DATA_HOME: "/data", ...extra })

describe("usage serve settings", () => {
  it("defaults to 127.0.0.1:3001 and the store under $XDG_DATA_HOME, USAGE_DB overriding it", () => {
    const { start, warnings } = resolveServeSettings({}, env())
    expect(start).to.include({ host: "127.0.0.1", port: 3001, db: "/data/usage-hub/usage.db", logLevel: "warn" })
    expect(warnings).to.deep.equal([])
    expect(resolveServeSettings({}, env({ USAGE_DB: ":memory:" })).start.db).to.equal(":memory:")
    expect(resolveServeSettings({ db: "/x/y.db" }, env({ USAGE_DB: ":memory:" })).start.db).to.equal("/x/y.db")
  })

  it("opens SQLite with synchronous NORMAL unless --synchronous or USAGE_SQLITE_SYNCHRONOUS says full", () => {
    expect(resolveServeSettings({}, env()).start.synchronous).to.equal("NORMAL")
    expect(resolveServeSettings({ synchronous: "full" }, env()).start.synchronous).to.equal("FULL")
    expect(resolveServeSettings({}, env({ USAGE_SQLITE_SYNCHRONOUS: "FULL" })).start.synchronous).to.equal("FULL")
    expect(
      resolveServeSettings({ synchronous: "normal" }, env({ USAGE_SQLITE_SYNCHRONOUS: "full" })).start.synchronous,
    ).to.equal("NORMAL")
    expect(() => resolveServeSettings({}, env({ USAGE_SQLITE_SYNCHRONOUS: "off" }))).to.throw(
      /--synchronous \(USAGE_SQLITE_SYNCHRONOUS\) must be full or normal, got "off"/,
    )
  })

  it("knows loopback addresses", () => {
    for (const h of ["127.0.0.1", "127.3.2.1", "localhost", "::1", "[::1]"]) expect(isLoopback(h), h).to.equal(true)
    for (const h of ["0.0.0.0", "::", "10.0.0.5", "build-01.local"]) expect(isLoopback(h), h).to.equal(false)
  })

  it("refuses a non-loopback address without an ingest token unless --insecure, and warns", () => {
    expect(() => resolveServeSettings({ host: "0.0.0.0" }, env())).to.throw(/refusing to listen on 0\.0\.0\.0/)
    const insecure = resolveServeSettings({ host: "0.0.0.0", insecure: true }, env())
    expect(insecure.warnings.join("\n"))
      .to.match(/no ingest token/)
      .and.match(/no read token: spend data is open/)
    const withToken = resolveServeSettings({ host: "0.0.0.0" }, env({ USAGE_INGEST_TOKEN: `${LONG_A},${LONG_B}` }))
    expect(withToken.warnings).to.deep.equal([
      "warning: no read token: spend data is open to anyone who reaches 0.0.0.0:3001",
    ])
    expect(tokenMatches(withToken.start.ingestToken as never, LONG_B)).to.equal(true)
  })

  it("refuses tokens shorter than 16 characters on a non-loopback address unless --insecure, and warns", () => {
    expect(() =>
      resolveServeSettings({ host: "0.0.0.0", "ingest-token": `${LONG_A},fifteen-chars-x` }, env()),
    ).to.throw(/refusing to listen on 0\.0\.0\.0: --ingest-token holds a token shorter than 16 characters/)
    expect(() =>
      resolveServeSettings({ host: "10.0.0.5", "ingest-token": LONG_A, "read-token": "r1" }, env()),
    ).to.throw(/--read-token holds a token shorter than 16 characters.*--insecure/)
    const file = join(tempDir(), "ingest.tokens")
    writeFileSync(file, "short\n")
    expect(() => resolveServeSettings({ host: "0.0.0.0", "ingest-token": file }, env())).to.throw(/shorter than 16/)
    const insecure = resolveServeSettings({ host: "0.0.0.0", "ingest-token": "w1", insecure: true }, env())
    expect(insecure.warnings.join("\n")).to.match(/--ingest-token holds a token shorter than 16 characters/)
    // 16 characters are enough; loopback takes any length.
    expect(() => resolveServeSettings({ host: "0.0.0.0", "ingest-token": "sixteen-chars-xx" }, env())).not.to.throw()
    expect(resolveServeSettings({ "ingest-token": "w1", "read-token": "r1" }, env()).warnings).to.deep.equal([])
  })

  it("takes tokens from flags over the environment, and from files", () => {
    const file = join(tempDir(), "read.tokens")
    writeFileSync(file, "from-file\n")
    const s = resolveServeSettings({ "read-token": file, "ingest-token": "flag" }, env({ USAGE_INGEST_TOKEN: "env" }))
    expect(tokenMatches(s.start.readToken as never, "from-file")).to.equal(true)
    expect(tokenMatches(s.start.ingestToken as never, "flag")).to.equal(true)
    expect(tokenMatches(s.start.ingestToken as never, "env")).to.equal(false)
  })

  it("starts with a token file that holds no token, warning that it refuses every request", () => {
    const file = join(tempDir(), "read.tokens")
    writeFileSync(file, "# all revoked\n")
    const s = resolveServeSettings({ "read-token": file }, env())
    expect(s.warnings).to.deep.equal([
      `warning: --read-token: ${file} holds no token: every read request is refused until it does`,
    ])
    expect(s.start.readToken).to.not.equal(undefined)
  })

  it("reports token file re-reads to the log it is given", () => {
    const file = join(tempDir(), "ingest.tokens")
    writeFileSync(file, "first-token-0123456789\n")
    const lines: string[] = []
    const s = resolveServeSettings({ "ingest-token": file }, env(), (line) => lines.push(line))
    writeFileSync(file, "")
    ;(s.start.ingestToken as TokenSource).reload()
    expect(lines).to.deep.equal([
      `warning: --ingest-token: ${file} holds no token now: every request that needs this token is refused`,
    ])
  })

  it("refuses half a TLS pair, unreadable TLS files and unknown time zones", () => {
    expect(() => resolveServeSettings({ "tls-cert": "/c.pem" }, env())).to.throw(/go together/)
    expect(() => resolveServeSettings({ "tls-cert": "/no/c.pem", "tls-key": "/no/k.pem" }, env())).to.throw(
      /cannot read --tls-cert/,
    )
    expect(() => resolveServeSettings({ tz: "Mars/Base" }, env())).to.throw(/unknown time zone/)
  })

  it("reads reset schedules from the config file", () => {
    const config = join(tempDir(), "config.json")
    writeFileSync(config, JSON.stringify({ usage: { resetSchedules: { openai: { type: "weekly", day: 1 } } } }))
    const s = resolveServeSettings({ config }, env())
    expect(s.start.schedules).to.deep.equal({ openai: { type: "weekly", day: 1 } })
  })
})
