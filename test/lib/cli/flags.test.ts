import { readFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { ROOT } from "../../commands/helpers.js"

interface ManifestFlag {
  description?: string
  env?: string
  default?: unknown
  hidden?: boolean
}
const manifest = JSON.parse(readFileSync(join(ROOT, "oclif.manifest.json"), "utf8")) as {
  commands: Record<string, { flags: Record<string, ManifestFlag> }>
}

/** The (visible) descriptions of one flag, per command that takes it. */
function descriptions(flag: string, commands: string[]): Record<string, string | undefined> {
  return Object.fromEntries(commands.map((id) => [id, manifest.commands[id].flags[flag]?.description]))
}

function expectOneDescription(flag: string, commands: string[]) {
  const seen = descriptions(flag, commands)
  for (const id of commands) expect(seen[id], `${id} --${flag}`).to.be.a("string")
  expect(new Set(Object.values(seen)).size, `--${flag}: ${JSON.stringify(seen, null, 1)}`).to.equal(1)
}

describe("the shared flags (src/lib/cli/flags.ts)", () => {
  it("leave environment variables to the resolution modules: no flag of any command has oclif's env", () => {
    for (const [id, command] of Object.entries(manifest.commands)) {
      for (const [name, flag] of Object.entries(command.flags)) expect(flag.env, `${id} --${name}`).to.equal(undefined)
    }
  })

  it("read the same in every command: --config and --tz everywhere, the source flags of the read commands", () => {
    expectOneDescription("config", ["summary", "trends", "export", "migrate-file", "push", "prune", "serve"])
    expectOneDescription("tz", ["summary", "trends", "export", "prune", "serve"])
    for (const flag of ["endpoint", "db", "file", "token"]) expectOneDescription(flag, ["summary", "trends", "export"])
    for (const flag of ["provider", "since", "until"]) expectOneDescription(flag, ["summary", "export"])
    expectOneDescription("compact", ["summary", "trends", "daily", "weekly", "monthly"])
  })

  it("read the same in every writer: the store, the service, the ingest token, the node given to records", () => {
    expectOneDescription("db", ["migrate-file", "prune", "serve"])
    expectOneDescription("endpoint", ["migrate-file", "push"])
    expectOneDescription("token", ["migrate-file", "push"])
    expectOneDescription("node", ["migrate-file", "push"])
    // --node of a read command or prune is a filter, not the node given to records.
    expectOneDescription("node", ["summary", "trends", "export", "prune"])
  })

  it("name the environment variable each flag falls back to", () => {
    const env: Array<[string, string, string]> = [
      ["summary", "endpoint", "USAGE_ENDPOINT"],
      ["summary", "db", "USAGE_DB"],
      ["summary", "file", "USAGE_FILE"],
      ["summary", "token", "USAGE_READ_TOKEN"],
      ["summary", "config", "USAGE_CONFIG"],
      ["migrate-file", "db", "USAGE_DB"],
      ["push", "endpoint", "USAGE_ENDPOINT"],
      ["push", "token", "USAGE_TOKEN"],
      ["push", "node", "USAGE_NODE"],
      ["serve", "ingest-token", "USAGE_INGEST_TOKEN"],
      ["serve", "read-token", "USAGE_READ_TOKEN"],
      ["serve", "synchronous", "USAGE_SQLITE_SYNCHRONOUS"],
      ["serve", "retain", "USAGE_RETAIN"],
    ]
    for (const [id, flag, variable] of env) {
      expect(manifest.commands[id].flags[flag].description, `${id} --${flag}`).to.include(`env ${variable}`)
    }
  })
})
