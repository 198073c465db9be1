import { writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { expect } from "chai"
import { type Env, resolveSettings } from "../../../src/lib/config-resolution.js"
import { UsageHubError } from "../../../src/lib/errors.js"
import {
  describeSource,
  resolveSource,
  resolveWriteTarget,
  type SourceFlagValues,
} from "../../../src/lib/source/resolve-source.js"
import { tempDir } from "../../helpers/tmp.js"

/** A machine with a config file (backend http with tokens, and a legacy file path) and no USAGE_* variables. */
function machine(config?: object) {
  const home = tempDir()
  const env: Env = { HOME: home, XDG_DATA_HOME: join(home, "data"), XDG_CONFIG_HOME: join(home, "config") }
  let configPath: string | undefined
  if (config) {
    configPath = join(home, "config.json")
    writeFileSync(configPath, JSON.stringify({ usage: config }))
  }
  const read = (flags: SourceFlagValues, extra: Env = {}) => {
    const e = { ...env, ...extra }
    return resolveSource(flags, resolveSettings({ configPath, env: e }), { env: e })
  }
  const write = (flags: SourceFlagValues, extra: Env = {}) => {
    const e = { ...env, ...extra }
    return resolveWriteTarget(flags, resolveSettings({ configPath, env: e }), { env: e })
  }
  return { home, env, read, write }
}

const CONFIG = {
  backend: "http",
  http: { endpoint: "http://config-host:3001", token: "config-ingest-token", readToken: "config-read-token" },
  file: { path: "/legacy/usage.json" },
}

describe("source precedence (flags > environment > config > default store)", () => {
  it("reads the default store when nothing names a source", () => {
    const m = machine()
    expect(m.read({})).to.deep.equal({
      kind: "store",
      location: join(m.home, "data", "usage-hub", "usage.db"),
      isDefault: true,
      from: "default store",
    })
  })

  it("reads the config's endpoint when its backend is http, else its legacy file", () => {
    const m = machine(CONFIG)
    expect(m.read({})).to.include({ kind: "endpoint", url: "http://config-host:3001" })
    const f = machine({ file: { path: "/legacy/usage.json" } })
    expect(f.read({})).to.include({ kind: "file", path: "/legacy/usage.json" })
  })

  it("prefers the environment to the config, USAGE_ENDPOINT over USAGE_DB over USAGE_FILE", () => {
    const m = machine(CONFIG)
    expect(m.read({}, { USAGE_FILE: "/env/usage.json" })).to.include({ kind: "file", path: "/env/usage.json" })
    expect(m.read({}, { USAGE_FILE: "/env/usage.json", USAGE_DB: "/env/usage.db" })).to.include({
      kind: "store",
      location: "/env/usage.db",
      from: "USAGE_DB",
    })
    expect(
      m.read({}, { USAGE_FILE: "/env/usage.json", USAGE_DB: "/env/usage.db", USAGE_ENDPOINT: "http://env-host:3001/" }),
    ).to.include({ kind: "endpoint", url: "http://env-host:3001", from: "USAGE_ENDPOINT" })
  })

  it("prefers any flag to the environment and the config", () => {
    const m = machine(CONFIG)
    const env = { USAGE_ENDPOINT: "http://env-host:3001", USAGE_DB: "/env/usage.db" }
    expect(m.read({ db: "/flag/usage.db" }, env)).to.include({
      kind: "store",
      location: "/flag/usage.db",
      from: "--db",
    })
    expect(m.read({ file: "/flag/usage.json" }, env)).to.include({ kind: "file", path: "/flag/usage.json" })
    expect(m.read({ endpoint: "http://flag-host:3001" }, env)).to.include({
      kind: "endpoint",
      url: "http://flag-host:3001",
      from: "--endpoint",
    })
  })

  it("refuses two source flags at once as bad usage", () => {
    const m = machine()
    expect(() => m.read({ db: "/a.db", file: "/a.json" }))
      .to.throw(UsageHubError, "give one source")
      .with.property("code", "BAD_USAGE")
    expect(() => m.write({ db: "/a.db", endpoint: "http://h:1" }))
      .to.throw(UsageHubError, "give one target")
      .with.property("code", "BAD_USAGE")
  })

  it("takes the read token from --token, then USAGE_READ_TOKEN, USAGE_TOKEN, the config's readToken, its token", () => {
    const m = machine(CONFIG)
    const token = (flags: SourceFlagValues, env: Env = {}) => {
      const spec = m.read({ endpoint: "http://h:3001", ...flags }, env)
      return spec.kind === "endpoint" ? spec.token : "not an endpoint"
    }
    const both = { USAGE_READ_TOKEN: "env-read", USAGE_TOKEN: "env-ingest" }
    expect(token({ token: "flag" }, both)).to.equal("flag")
    expect(token({}, both)).to.equal("env-read")
    expect(token({}, { USAGE_TOKEN: "env-ingest" })).to.equal("env-ingest")
    expect(token({})).to.equal("config-read-token")
    const noRead = machine({ backend: "http", http: { endpoint: "http://h:3001", token: "config-ingest-token" } })
    const spec = noRead.read({})
    expect(spec.kind === "endpoint" && spec.token).to.equal("config-ingest-token")
  })

  it("writes (migrate-file) honour flags and environment but never the config's backend nor a read token", () => {
    const m = machine(CONFIG)
    expect(m.write({})).to.include({ kind: "store", isDefault: true })
    expect(m.write({}, { USAGE_FILE: "/env/usage.json" })).to.include({ kind: "store", isDefault: true })
    expect(m.write({}, { USAGE_DB: "/env/usage.db" })).to.include({ location: "/env/usage.db", from: "USAGE_DB" })
    const target = m.write({}, { USAGE_ENDPOINT: "http://env-host:3001", USAGE_READ_TOKEN: "env-read" })
    expect(target).to.include({ kind: "endpoint", url: "http://env-host:3001", token: "config-ingest-token" })
    expect(m.write({ db: "/flag/usage.db" }, { USAGE_ENDPOINT: "http://env-host:3001" })).to.include({
      location: "/flag/usage.db",
    })
  })

  it("makes store paths absolute with ~ expanded, keeps :memory: and postgres:// URLs, redacts passwords", () => {
    const m = machine()
    expect(m.read({ db: "~/usage.db" })).to.include({ location: join(m.home, "usage.db") })
    expect(m.read({ db: "rel/usage.db" })).to.include({ location: resolve("rel/usage.db") })
    expect(m.read({ db: ":memory:" })).to.include({ location: ":memory:" })
    const pg = m.read({ db: "postgres://app:s3cret@db:5432/usage" })
    expect(pg).to.include({ location: "postgres://app:s3cret@db:5432/usage" })
    expect(describeSource(pg)).to.equal("postgres://app:***@db:5432/usage")
  })

  it("refuses an endpoint that is not an http(s) URL, naming where it came from", () => {
    const m = machine()
    expect(() => m.read({ endpoint: "master-node:3001" }))
      .to.throw(UsageHubError, /invalid --endpoint "master-node:3001"/)
      .with.property("code", "BAD_USAGE")
  })
})
