/**
 * The spool's crash windows: what a process killed at each point of acknowledge()/compaction leaves in its spool
 * directory, and that the next process delivers every record to the REAL service exactly once. Each state is
 * written the way Spool (adapters/spool.ts) would have left it at that moment: the spool file
 * `spool.<host>.<pid>.<rand>.ndjson`, its ack sidecar `<spool>.ack` (a decimal physical offset), the compaction
 * file `<spool>.compact` (the unacknowledged tail being copied) and the killed process's lock `<spool>.lock`
 * (a directory, stale once it is not refreshed for staleMs).
 */
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import type { HttpIngestAdapter } from "../../../src/lib/adapters/http-ingest-adapter.js"
import type { StoredRecord } from "../../../src/lib/record.js"
import { type RunningServer, startServer } from "../../../src/lib/server/start.js"
import { openStoreAt } from "../../../src/lib/store/open.js"
import type { UsageStore } from "../../../src/lib/store/store.js"
import { record } from "../../helpers/records.js"
import { tempDir } from "../../helpers/tmp.js"
import { deadPid, HOST, type MemoryLogger, memoryLogger, spoolFiles, testAdapter } from "./http-test-helpers.js"

const IDS = ["usage_c1", "usage_c2", "usage_c3", "usage_c4", "usage_c5", "usage_c6"]
const RECORDS = IDS.map((id, i) => record({ id, timestamp: new Date(Date.UTC(2026, 10, 20, 10, i)) }))
const LINES = RECORDS.map((r) => JSON.stringify(r))
/** Bytes of the first `n` lines: the physical offset acknowledge() writes once they are delivered. */
const offsetAfter = (n: number) =>
  Buffer.byteLength(
    LINES.slice(0, n)
      .map((l) => `${l}\n`)
      .join(""),
  )
const text = (lines: readonly string[]) => lines.map((l) => `${l}\n`).join("")

interface DeadSpool {
  /** The spool file's content. */
  spool: string
  /** The ack sidecar's content (absent: no sidecar). */
  ack?: string
  /** The compaction file's content (absent: none). */
  compact?: string
}

describe("spool crash windows: the next process delivers every record exactly once", function () {
  this.timeout(20_000)
  let dir: string
  let logger: MemoryLogger
  let store: UsageStore
  let server: RunningServer
  let adapter: HttpIngestAdapter | undefined

  beforeEach(async () => {
    dir = tempDir("usage-spool-crash-")
    logger = memoryLogger()
    store = await openStoreAt(":memory:", { create: true })
    server = await startServer({ store, host: "127.0.0.1", port: 0, tz: "UTC" })
  })
  afterEach(async () => {
    await adapter?.close()
    adapter = undefined
    await server.close()
    await store.close()
  })

  /** Delivers `records` as the killed process did before it died (the service committed them). */
  async function delivered(records: readonly StoredRecord[]): Promise<void> {
    const res = await fetch(`${server.url}/ingest/usage`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ node: "node-a", records }),
    })
    expect(res.status).to.equal(200)
  }

  /** Writes the files a process killed at that moment leaves, with its lock gone stale. Returns the spool path. */
  function killedProcessLeft(state: DeadSpool): string {
    const path = join(dir, `spool.${HOST}.${deadPid()}.${Math.random().toString(36).slice(2, 10)}.ndjson`)
    writeFileSync(path, state.spool)
    if (state.ack !== undefined) writeFileSync(`${path}.ack`, state.ack)
    if (state.compact !== undefined) writeFileSync(`${path}.compact`, state.compact)
    mkdirSync(`${path}.lock`)
    const old = new Date(Date.now() - 60_000)
    utimesSync(`${path}.lock`, old, old)
    return path
  }

  /** Opens the next process's adapter, lets it take the dead spool over and deliver everything. */
  async function nextProcessDelivers(): Promise<HttpIngestAdapter> {
    adapter = testAdapter(dir, { endpoint: server.url, logger, staleMs: 2000 })
    await adapter.init()
    await adapter.flush({ timeoutMs: 5000 })
    return adapter
  }

  async function expectStoredOnce(): Promise<void> {
    const ids: string[] = []
    for await (const chunk of store.iterate({})) for (const r of chunk) ids.push(r.id)
    expect(ids.sort()).to.deep.equal([...IDS].sort())
  }

  /** Nothing of the dead spool is left: no spool file but the live one, no sidecar, no compaction file, no lock. */
  function expectDeadSpoolGone(path: string): void {
    const left = readdirSync(dir).filter((n) => n.startsWith(path.split("/").pop()!))
    expect(left, "files of the dead spool left behind").to.deep.equal([])
    expect(spoolFiles(dir)).to.deep.equal([adapter!.spoolPath!.split("/").pop()])
  }

  it("killed between the ack write (0) and the truncate: resends the acknowledged records, counted as duplicates", async () => {
    // acknowledge() of everything writes ack 0 first, then truncates: the file still holds every line.
    await delivered(RECORDS)
    const path = killedProcessLeft({ spool: text(LINES), ack: "0" })
    const next = await nextProcessDelivers()
    expect(next.stats()).to.include({ takenOver: 6, pending: 0, accepted: 0, duplicates: 6, deadLettered: 0 })
    await expectStoredOnce()
    expectDeadSpoolGone(path)
  })

  it("killed between the ack write (0) and the rename of a compaction: resends the prefix, delivers the tail", async () => {
    // rewriteTail: the tail is copied to <spool>.compact (synced), ack 0 is written, then the rename would follow.
    await delivered(RECORDS.slice(0, 4))
    const path = killedProcessLeft({ spool: text(LINES), ack: "0", compact: text(LINES.slice(4)) })
    const next = await nextProcessDelivers()
    expect(next.stats()).to.include({ takenOver: 6, pending: 0, accepted: 2, duplicates: 4, deadLettered: 0 })
    await expectStoredOnce()
    expectDeadSpoolGone(path)
  })

  it("killed during a compaction's copy: ignores the leftover compaction file and resumes after the ack", async () => {
    // The ack still holds the acknowledged prefix; <spool>.compact is a partial copy of the tail (torn mid-line).
    await delivered(RECORDS.slice(0, 4))
    const partial = `${LINES[4]}\n${LINES[5].slice(0, 20)}`
    const path = killedProcessLeft({ spool: text(LINES), ack: String(offsetAfter(4)), compact: partial })
    const next = await nextProcessDelivers()
    expect(next.stats()).to.include({ takenOver: 2, pending: 0, accepted: 2, duplicates: 0, deadLettered: 0 })
    await expectStoredOnce()
    expectDeadSpoolGone(path)
  })

  it("killed after a compaction's rename: the spool holds the tail and ack 0, the tail is delivered once", async () => {
    await delivered(RECORDS.slice(0, 4))
    const path = killedProcessLeft({ spool: text(LINES.slice(4)), ack: "0" })
    const next = await nextProcessDelivers()
    expect(next.stats()).to.include({ takenOver: 2, pending: 0, accepted: 2, duplicates: 0, deadLettered: 0 })
    await expectStoredOnce()
    expectDeadSpoolGone(path)
  })

  it("an ack offset past the end of the file (the file shorter than its ack): resends the whole file", async () => {
    // The ack no longer describes this file: trusting it would skip records, so every line is sent again.
    await delivered(RECORDS.slice(0, 3))
    const path = killedProcessLeft({ spool: text(LINES), ack: String(offsetAfter(6) + 100) })
    const next = await nextProcessDelivers()
    expect(next.stats()).to.include({ takenOver: 6, pending: 0, accepted: 3, duplicates: 3, deadLettered: 0 })
    await expectStoredOnce()
    expectDeadSpoolGone(path)
  })

  it("killed inside an ack write (its temp file written, not renamed): resumes after the previous ack", async () => {
    // writeAck writes <spool>.ack.tmp, then renames it over <spool>.ack.
    await delivered(RECORDS.slice(0, 4))
    const path = killedProcessLeft({ spool: text(LINES), ack: String(offsetAfter(2)) })
    writeFileSync(`${path}.ack.tmp`, String(offsetAfter(4)))
    const next = await nextProcessDelivers()
    expect(next.stats()).to.include({ takenOver: 4, pending: 0, accepted: 2, duplicates: 2, deadLettered: 0 })
    await expectStoredOnce()
    expect(spoolFiles(dir)).to.deep.equal([adapter!.spoolPath!.split("/").pop()])
  })

  it("removes a dead spool's leftover ack temp file along with the spool", async () => {
    const path = killedProcessLeft({ spool: text(LINES), ack: String(offsetAfter(6)) })
    writeFileSync(`${path}.ack.tmp`, "0")
    await nextProcessDelivers()
    expectDeadSpoolGone(path)
  })

  it("killed between the truncate and the end of acknowledge(): an empty spool and ack 0 leave nothing to send", async () => {
    await delivered(RECORDS)
    const path = killedProcessLeft({ spool: "", ack: "0" })
    const next = await nextProcessDelivers()
    expect(next.stats()).to.include({ takenOver: 0, pending: 0, accepted: 0, duplicates: 0 })
    await expectStoredOnce()
    expectDeadSpoolGone(path)
    expect(existsSync(`${path}.lock`)).to.equal(false)
  })
})
