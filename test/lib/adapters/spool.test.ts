import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs"
import type { FileHandle } from "node:fs/promises"
import { join } from "node:path"
import { expect } from "chai"
import { Spool } from "../../../src/lib/adapters/spool.js"
import { removeDir, tempDir } from "../../helpers/tmp.js"
import { deadPid, HOST, type MemoryLogger, memoryLogger } from "./http-test-helpers.js"

function line(id: string): string {
  return JSON.stringify({ id, provider: "anthropic", note: "x".repeat(40) })
}

type Failure = "partial write" | "datasync"

/** Wraps the spool's append handle so that its `nth` write fails: torn half-way (ENOSPC), or at the datasync. */
function failingOnce(failure: Failure, nth: number, truncateFails = false) {
  let writes = 0
  let failNextSync = false
  return (handle: FileHandle): FileHandle =>
    new Proxy(handle, {
      get(target, prop) {
        if (prop === "write") {
          return async (data: string) => {
            writes += 1
            if (writes === nth && failure === "partial write") {
              await target.write(data.slice(0, Math.floor(data.length / 2)))
              throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" })
            }
            if (writes === nth) failNextSync = true
            return target.write(data)
          }
        }
        if (prop === "truncate" && truncateFails) {
          return async () => {
            throw Object.assign(new Error("EIO: i/o error, ftruncate"), { code: "EIO" })
          }
        }
        if (prop === "datasync") {
          return async () => {
            if (failNextSync) {
              failNextSync = false
              throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" })
            }
            return target.datasync()
          }
        }
        const value = Reflect.get(target, prop, target)
        return typeof value === "function" ? value.bind(target) : value
      },
    })
}

describe("Spool", () => {
  let dir: string
  let logger: MemoryLogger
  beforeEach(() => {
    dir = tempDir()
    logger = memoryLogger()
  })
  afterEach(() => removeDir(dir))

  for (const failure of ["partial write", "datasync"] as const) {
    it(`after a failed group write (${failure}) rejects that group, and keeps every accepted line intact`, async () => {
      const spool = await Spool.open({ dir, fsync: true, logger, wrapAppendHandle: failingOnce(failure, 2) })
      await Promise.all(["a1", "a2"].map((id) => spool.append(line(id))))
      const failed = await Promise.allSettled(["b1", "b2"].map((id) => spool.append(line(id))))
      expect(failed.map((r) => r.status)).to.deep.equal(["rejected", "rejected"])
      await Promise.all(["c1", "c2"].map((id) => spool.append(line(id))))
      expect(logger.text()).to.match(/error .*cannot write spool/)
      const { lines, ends } = await spool.read(0, 100)
      expect(lines.map((l) => JSON.parse(l).id)).to.deep.equal(["a1", "a2", "c1", "c2"])
      expect(ends[ends.length - 1]).to.equal(spool.size)
      // Acknowledging all but the last keeps the last one readable; acknowledging it empties the file.
      await spool.acknowledge(ends[2])
      const rest = await spool.read(ends[2], 100)
      expect(rest.lines.map((l) => JSON.parse(l).id)).to.deep.equal(["c2"])
      await spool.acknowledge(ends[3])
      expect(spool.pendingBytes).to.equal(0)
      await spool.close()
    })
  }

  it("refuses appends once a failed write cannot be cut off, keeping the lines accepted before", async () => {
    const spool = await Spool.open({
      dir,
      fsync: false,
      logger,
      wrapAppendHandle: failingOnce("partial write", 2, true),
    })
    await spool.append(line("a1"))
    const failed = await Promise.allSettled([spool.append(line("b1"))])
    expect(failed[0].status).to.equal("rejected")
    let error: Error | undefined
    await spool.append(line("c1")).catch((e: Error) => {
      error = e
    })
    expect(error?.message).to.match(/unusable: a failed write .* could not be cut off/)
    expect(logger.text()).to.match(/error .*unusable/)
    const { lines } = await spool.read(0, 100)
    expect(lines.map((l) => JSON.parse(l).id)).to.deep.equal(["a1"])
    await spool.close()
  })

  describe("taking over spools of dead processes", () => {
    it("leaves a spool of this host whose pid looks dead alone while its lock is fresh (another PID namespace)", async () => {
      // Containers sharing a hostname and a spool directory: the owner's pid is not visible here, its lock is live.
      const other = join(dir, `spool.${HOST}.${deadPid()}.c0ffee.ndjson`)
      writeFileSync(other, `${line("theirs")}\n`)
      mkdirSync(`${other}.lock`)
      const spool = await Spool.open({ dir, fsync: false, logger, staleMs: 2000 })
      expect(await spool.takeOverOrphans()).to.equal(0)
      expect(existsSync(other)).to.equal(true)
      expect(existsSync(`${other}.lock`)).to.equal(true)
      // Once its lock is stale (the owner stopped refreshing it), it is taken over.
      const old = new Date(Date.now() - 60_000)
      utimesSync(`${other}.lock`, old, old)
      expect(await spool.takeOverOrphans()).to.equal(1)
      expect(existsSync(other)).to.equal(false)
      const { lines } = await spool.read(0, 10)
      expect(lines.map((l) => JSON.parse(l).id)).to.deep.equal(["theirs"])
      await spool.close()
    })

    it("takes over a dead process's spool at once when its lock was released", async () => {
      const orphan = join(dir, `spool.${HOST}.${deadPid()}.0dd.ndjson`)
      writeFileSync(orphan, `${line("left")}\n`)
      const spool = await Spool.open({ dir, fsync: false, logger, staleMs: 2000 })
      expect(await spool.takeOverOrphans()).to.equal(1)
      await spool.close()
    })

    it("says when the lock of a spool whose pid looks dead goes stale, so it can look again then", async () => {
      const orphan = join(dir, `spool.${HOST}.${deadPid()}.beef.ndjson`)
      writeFileSync(orphan, `${line("later")}\n`)
      mkdirSync(`${orphan}.lock`)
      const refreshed = new Date(Date.now() - 500)
      utimesSync(`${orphan}.lock`, refreshed, refreshed)
      const spool = await Spool.open({ dir, fsync: false, logger, staleMs: 2000 })
      expect(await spool.takeOverOrphans()).to.equal(0)
      const at = spool.nextOrphanCheckAt
      expect(at).to.be.a("number")
      expect(at! - (refreshed.getTime() + 2000)).to.be.within(0, 1000)
      await spool.close()
    })

    it("lists the spools still locked, with when each lock goes stale and whether its process looks dead", async () => {
      const lockAt = (path: string, msAgo: number) => {
        mkdirSync(`${path}.lock`)
        const at = new Date(Date.now() - msAgo)
        utimesSync(`${path}.lock`, at, at)
        return at.getTime()
      }
      const spool = await Spool.open({ dir, fsync: false, logger, staleMs: 6000 })
      // A pid of this host that is not running: looks dead (its lock decides when it can be taken).
      const dead = join(dir, `spool.${HOST}.${deadPid()}.d1.ndjson`)
      // A running process (this one's parent) refreshing its lock: alive.
      const live = join(dir, `spool.${HOST}.${process.ppid}.a1.ndjson`)
      // Another host whose lock is overdue for its refresh (every staleMs / 2): looks dead.
      const overdue = join(dir, "spool.otherhost.77.0e1.ndjson")
      // Stale, and released: claimable now, not listed.
      const stale = join(dir, "spool.otherhost.78.5a1.ndjson")
      const released = join(dir, "spool.otherhost.79.7e1.ndjson")
      for (const path of [dead, live, overdue, stale, released]) writeFileSync(path, `${line("x")}\n`)
      const deadAt = lockAt(dead, 100)
      lockAt(live, 100)
      lockAt(overdue, 4500)
      lockAt(stale, 60_000)
      const locked = await spool.lockedSpools()
      const byPath = new Map(locked.map((l) => [l.path, l]))
      expect([...byPath.keys()].sort()).to.deep.equal([dead, live, overdue].sort())
      expect(byPath.get(dead)!.looksDead).to.equal(true)
      expect(byPath.get(live)!.looksDead).to.equal(false)
      expect(byPath.get(overdue)!.looksDead).to.equal(true)
      expect(byPath.get(dead)!.staleAt - (deadAt + 6000)).to.be.within(0, 1000)
      await spool.close()
    })
  })
})
