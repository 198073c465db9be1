import { execFileSync } from "node:child_process"
import { request } from "node:https"
import { connect } from "node:net"
import { join } from "node:path"
import { expect } from "chai"
import type { StoredRecord } from "../../../src/lib/record.js"
import { startServer } from "../../../src/lib/server/start.js"
import { MemoryStore } from "../../../src/lib/store/memory/store.js"
import type { InsertResult } from "../../../src/lib/store/store.js"
import { tempDir } from "../../helpers/tmp.js"
import { wireRecord } from "./helpers.js"

/** A memory store whose commits wait until released. */
class SlowStore extends MemoryStore {
  private gates: Array<() => void> = []
  closed = false
  override async insertBatches(batches: readonly (readonly StoredRecord[])[]): Promise<InsertResult[]> {
    await new Promise<void>((resolve) => this.gates.push(resolve))
    return super.insertBatches(batches)
  }
  async waitForCommit(): Promise<void> {
    while (this.gates.length === 0) await new Promise((r) => setTimeout(r, 2))
  }
  release(): void {
    for (const open of this.gates.splice(0)) open()
  }
  override async close(): Promise<void> {
    this.closed = true
  }
}

describe("startServer", () => {
  it("finishes an in-flight ingest (answering after its commit) before it closes", async () => {
    const store = new SlowStore()
    const server = await startServer({ store, port: 0, tz: "UTC" })
    const posting = fetch(`${server.url}/ingest/usage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([wireRecord(), wireRecord()]),
    })
    await store.waitForCommit()
    let closed = false
    const closing = server.close().then(() => {
      closed = true
    })
    // Closing stops the listener (a new connection is refused) while the commit is still held: poll for that.
    const refusedNow = () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(server.port, "127.0.0.1")
        socket.on("connect", () => {
          socket.destroy()
          resolve(false)
        })
        socket.on("error", () => resolve(true))
      })
    let refused = false
    for (let i = 0; i < 500 && !refused; i++) refused = await refusedNow()
    expect(refused, "no new connections while closing").to.equal(true)
    expect(closed, "close waits for the request in flight").to.equal(false)
    store.release()
    const res = await posting
    expect(res.status).to.equal(200)
    expect(await res.json()).to.deep.include({ accepted: 2 })
    await closing
    expect(store.all()).to.have.length(2)
    expect(store.closed, "a store the caller gave stays open").to.equal(false)
  })

  it("opens and closes a store from a location", async () => {
    const db = join(tempDir(), "sub", "usage.db")
    const server = await startServer({ db, port: 0 })
    expect(server.storeDescription).to.equal(`sqlite ${db}`)
    expect(server.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/)
    await server.close()
    await server.close()
  })

  it("serves HTTPS with --tls-cert/--tls-key material", async function () {
    const dir = tempDir()
    const key = join(dir, "key.pem")
    const cert = join(dir, "cert.pem")
    try {
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-keyout",
          key,
          "-out",
          cert,
          "-days",
          "1",
          "-subj",
          "/CN=127.0.0.1",
        ],
        { stdio: "ignore" },
      )
    } catch {
      console.log("    (openssl is missing: skipping the TLS test)")
      this.skip()
    }
    const { readFileSync } = await import("node:fs")
    const server = await startServer({
      store: new MemoryStore(),
      port: 0,
      https: { cert: readFileSync(cert), key: readFileSync(key) },
    })
    try {
      expect(server.url).to.match(/^https:\/\//)
      const body = await new Promise<string>((resolve, reject) => {
        request(`${server.url}/healthz`, { rejectUnauthorized: false }, (res) => {
          let text = ""
          res.on("data", (d) => (text += d))
          res.on("end", () => resolve(text))
        })
          .on("error", reject)
          .end()
      })
      expect(JSON.parse(body).status).to.equal("ok")
    } finally {
      await server.close()
    }
  })
})
