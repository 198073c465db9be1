import { spawn } from "node:child_process"
import { join } from "node:path"
import Database from "better-sqlite3"
import { expect } from "chai"
import { SqliteStore } from "../../../../src/lib/store/sqlite/store.js"
import { tempDir } from "../../../helpers/tmp.js"

describe("SqliteStore sessions() beside another process's writes", () => {
  it("counts every call once while another process appends and folds session increments (one snapshot)", async function () {
    this.timeout(30_000)
    const path = join(tempDir("sessions-snapshot-"), "usage.db")
    // Create the store first, so the writer and the reader open a migrated file.
    await (await SqliteStore.open(path)).close()
    const writer = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "append-and-fold.ts"), path, "4000"],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    )
    let output = ""
    const exited = new Promise<number | null>((resolve) => writer.on("exit", resolve))
    writer.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString()
    })
    const reader = await SqliteStore.open(path)
    const raw = new Database(path, { readonly: true })
    const count = raw.prepare("SELECT count(*) FROM usage_records").pluck()
    const wrong: string[] = []
    let reads = 0
    try {
      while (!output.includes("ready")) await new Promise((resolve) => setTimeout(resolve, 20))
      // Read until the writer is done: each total must lie between the records stored just before and just after.
      while (!output.includes("inserted")) {
        const before = count.get() as number
        const { sessions } = await reader.sessions({ limit: 10 })
        const after = count.get() as number
        const calls = sessions.reduce((sum, s) => sum + s.calls, 0)
        reads++
        if (calls < before || calls > after) wrong.push(`${before} <= ${calls} <= ${after}`)
        await new Promise((resolve) => setImmediate(resolve))
      }
    } finally {
      raw.close()
      await reader.close()
    }
    expect(await exited).to.equal(0)
    expect(reads, "reads while the writer ran").to.be.above(100)
    expect(wrong, `${wrong.length} of ${reads} reads out of bounds`).to.deep.equal([])
  })
})
