import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { parseUsageConfig } from "../../src/lib/config.js"
import { defaultDbPath, resolveSettings } from "../../src/lib/config-resolution.js"
import { tempDir } from "../helpers/tmp.js"

describe("usage config", () => {
  it("defaults to the file backend with the design's http defaults", () => {
    expect(parseUsageConfig({}).backend).to.equal("file")
    const cfg = parseUsageConfig({ backend: "http", http: { endpoint: "http://master-node:3001" } })
    expect(cfg.http).to.include({
      retryAttempts: 3,
      localBufferSize: 1000,
      batchSize: 500,
      flushIntervalMs: 1000,
      timeoutMs: 10000,
    })
  })

  it("names the key and the fix when the http endpoint is missing", () => {
    expect(() => parseUsageConfig({ backend: "http" })).to.throw(
      /usage\.http\.endpoint: .*required.*http:\/\/master-node:3001/,
    )
  })

  it("names the key of a wrong type", () => {
    expect(() => parseUsageConfig({ backend: "http", http: { endpoint: "http://x:1", retryAttempts: "3" } })).to.throw(
      /usage\.http\.retryAttempts/,
    )
    expect(() => parseUsageConfig({ backend: "s3" })).to.throw(/usage\.backend: .*\(use "file" or "http"\)/)
    expect(() => parseUsageConfig({ resetSchedules: { anthropic: { type: "weekly", day: 9 } } })).to.throw(
      /usage\.resetSchedules\.anthropic/,
    )
  })

  it("accepts reset schedule overrides", () => {
    const cfg = parseUsageConfig({ resetSchedules: { anthropic: { type: "monthly", day: 15 } } })
    expect(cfg.resetSchedules.anthropic).to.deep.equal({ type: "monthly", day: 15 })
  })
})

describe("config resolution", () => {
  it("reads the config file's usage object, under a usage key or bare", () => {
    const dir = tempDir()
    const a = join(dir, "a.json")
    writeFileSync(a, JSON.stringify({ usage: { backend: "http", http: { endpoint: "http://a:1", nodeId: "n-a" } } }))
    const b = join(dir, "b.json")
    writeFileSync(b, JSON.stringify({ backend: "file", file: { path: "/tmp/x.json" } }))
    const ra = resolveSettings({ configPath: a, env: {} })
    expect(ra.usage.http?.endpoint).to.equal("http://a:1")
    expect(ra.nodeId).to.equal("n-a")
    expect(ra.configPath).to.equal(a)
    expect(resolveSettings({ configPath: b, env: {} }).usage.file.path).to.equal("/tmp/x.json")
  })

  it("lets the environment override the file", () => {
    const dir = tempDir()
    const path = join(dir, "c.json")
    writeFileSync(path, JSON.stringify({ usage: { backend: "file" } }))
    const r = resolveSettings({
      configPath: path,
      env: { USAGE_ENDPOINT: "http://env:9", USAGE_TOKEN: "t", USAGE_DB: "/tmp/u.db", USAGE_NODE: "n1" },
    })
    expect(r.usage.backend).to.equal("http")
    expect(r.usage.http).to.include({ endpoint: "http://env:9", token: "t" })
    expect(r.db).to.equal("/tmp/u.db")
    expect(r.nodeId).to.equal("n1")
  })

  it("finds the config under XDG_CONFIG_HOME, and works without one", () => {
    const home = tempDir()
    expect(resolveSettings({ env: { XDG_CONFIG_HOME: home } }).configPath).to.equal(undefined)
    expect(defaultDbPath({ XDG_DATA_HOME: "/data" })).to.equal("/data/usage-hub/usage.db")
  })

  it("refuses a missing explicit config file and invalid JSON with one line naming the file", () => {
    const dir = tempDir()
    expect(() => resolveSettings({ configPath: join(dir, "nope.json"), env: {} })).to.throw(
      /config file not found: .*nope\.json/,
    )
    const bad = join(dir, "bad.json")
    writeFileSync(bad, "{ nope")
    expect(() => resolveSettings({ configPath: bad, env: {} })).to.throw(/bad\.json is not valid JSON/)
  })
})

describe("settings without configuration", () => {
  it("are what resolveSettings gives when nothing is configured (without loading the schema)", async () => {
    const { defaultSettings, hasConfigToResolve } = await import("../../src/lib/paths.js")
    const home = tempDir()
    const env = { XDG_CONFIG_HOME: home, USAGE_NODE: "n-1", USAGE_DB: "/tmp/d.db" }
    expect(hasConfigToResolve({ env })).to.equal(false)
    const json = (v: unknown) => JSON.parse(JSON.stringify(v))
    expect(json(defaultSettings(env))).to.deep.equal(json(resolveSettings({ env })))
    expect(hasConfigToResolve({ env: { ...env, USAGE_ENDPOINT: "http://x:1" } })).to.equal(true)
    expect(hasConfigToResolve({ env, configPath: "/x.json" })).to.equal(true)
  })
})
