import { expect } from "chai"
import { UsageHubError } from "../../../src/lib/errors.js"
import { importNode } from "../../../src/lib/import/import-node.js"

describe("the node an import stamps", () => {
  it("is --node when given, else this machine's node id", () => {
    expect(importNode("build-07", { nodeId: "laptop" })).to.equal("build-07")
    expect(importNode("bücher 🚀", { nodeId: "laptop" })).to.equal("bücher 🚀")
    expect(importNode(undefined, { nodeId: "laptop" })).to.equal("laptop")
  })

  it("refuses a --node that breaks the node rule as bad usage (exit 2), naming --node", () => {
    for (const node of ["", " ", "\t", "n".repeat(129), "a\u0000b", "n\ud800"]) {
      let error: unknown
      try {
        importNode(node, { nodeId: "laptop" })
      } catch (caught) {
        error = caught
      }
      expect(error, JSON.stringify(node)).to.be.instanceOf(UsageHubError)
      expect((error as UsageHubError).code).to.equal("BAD_USAGE")
      expect((error as UsageHubError).exitCode).to.equal(2)
      expect((error as UsageHubError).message).to.match(/^--node: /)
    }
  })

  it("refuses a blank USAGE_NODE / usage.http.nodeId as a configuration error (exit 2)", () => {
    expect(() => importNode(undefined, { nodeId: "  " }))
      .to.throw(/^the node id \(USAGE_NODE, usage.http.nodeId or the hostname\): must not be blank/)
      .with.property("code", "INVALID_CONFIG")
  })
})
