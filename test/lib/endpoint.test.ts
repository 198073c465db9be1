import { expect } from "chai"
import { parseUsageConfig } from "../../src/lib/config.js"
import { checkEndpoint, isEndpointUrl } from "../../src/lib/endpoint.js"
import { UsageHubError } from "../../src/lib/errors.js"

const ACCEPTED = [
  "http://master-node:3001",
  "https://usage.example.com",
  "HTTP://master-node:3001/",
  "http://127.0.0.1:3001/prefix/",
  "http://[::1]:3001",
]
const REFUSED = [
  "master-node:3001",
  "ftp://master-node",
  "http:master-node:3001",
  "http:/master-node",
  "http://",
  "http://bad host:3001",
  "",
  " http://master-node:3001",
]

describe("the endpoint rule (one for the config, the read commands and the writers)", () => {
  it("accepts an http:// or https:// URL that parses", () => {
    for (const url of ACCEPTED) expect(isEndpointUrl(url), url).to.equal(true)
  })

  it("refuses anything else: another scheme, no //, no host, a URL that does not parse", () => {
    for (const url of REFUSED) expect(isEndpointUrl(url), JSON.stringify(url)).to.equal(false)
  })

  it("answers the same for the config's usage.http.endpoint", () => {
    for (const url of ACCEPTED) expect(() => parseUsageConfig({ http: { endpoint: url } }), url).to.not.throw()
    for (const url of REFUSED.filter((u) => u.trim() !== "")) {
      expect(() => parseUsageConfig({ http: { endpoint: url } }), url).to.throw(
        UsageHubError,
        /usage\.http\.endpoint: must be an http:\/\/ or https:\/\/ URL/,
      )
    }
  })

  it("checkEndpoint drops trailing slashes, and refuses as bad usage naming where the URL came from", () => {
    expect(checkEndpoint("http://master-node:3001//", "--endpoint")).to.equal("http://master-node:3001")
    expect(() => checkEndpoint("http:master-node:3001", "USAGE_ENDPOINT"))
      .to.throw(UsageHubError, 'invalid USAGE_ENDPOINT "http:master-node:3001": expected the URL of usage serve')
      .with.property("code", "BAD_USAGE")
  })
})
