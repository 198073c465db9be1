import { join } from "node:path"
import { expect } from "chai"
import { createStorageAdapter } from "../../../src/lib/adapters/create-storage-adapter.js"
import { FileAdapter } from "../../../src/lib/adapters/file-adapter.js"
import { HttpIngestAdapter } from "../../../src/lib/adapters/http-ingest-adapter.js"
import { tempDir } from "../../helpers/tmp.js"

describe("createStorageAdapter", () => {
  it("gives a FileAdapter on the legacy default path when nothing is configured", () => {
    const adapter = createStorageAdapter()
    expect(adapter).to.be.instanceOf(FileAdapter)
    expect((adapter as FileAdapter).storagePath).to.match(/opencode[\\/]oh-my-opencode-usage\.json$/)
  })

  it("gives a FileAdapter on usage.file.path", () => {
    const path = join(tempDir(), "u.json")
    const adapter = createStorageAdapter({ backend: "file", file: { path } })
    expect((adapter as FileAdapter).storagePath).to.equal(path)
  })

  it("gives an HttpIngestAdapter for backend http, with the configured node id", async () => {
    const adapter = createStorageAdapter({
      backend: "http",
      http: { endpoint: "http://127.0.0.1:9", nodeId: "build-07", spoolDir: tempDir() },
    })
    expect(adapter).to.be.instanceOf(HttpIngestAdapter)
    expect((adapter as HttpIngestAdapter).nodeId).to.equal("build-07")
    await adapter.close?.()
  })

  it("refuses an http backend without an endpoint, naming the key", () => {
    expect(() => createStorageAdapter({ backend: "http" })).to.throw(/usage\.http\.endpoint/)
  })
})
