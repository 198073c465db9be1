import type { FileHandle } from "node:fs/promises"
import { expect } from "chai"
import { Spool } from "../../../src/lib/adapters/spool.js"
import { type MemoryLogger, memoryLogger, removeDir, tempDir } from "./http-test-helpers.js"

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
})
