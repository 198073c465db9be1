/**
 * Opens a store for the CLI by location (a SQLite path, `:memory:` or postgres://…) through the stores'
 * `openStore`, loaded only here so that commands that never open a store never load a driver. A location that
 * cannot be opened becomes one STORE_ERROR line naming it (without its password).
 */
import { mkdirSync } from "node:fs"
import { dirname } from "node:path"
import { isUsageHubError, UsageHubError } from "../errors.js"
import type { UsageStore } from "../store/store.js"
import { isPostgresUrl, redactLocation } from "./resolve-source.js"

export async function openStoreAt(location: string, options: { create?: boolean } = {}): Promise<UsageStore> {
  const local = !isPostgresUrl(location) && location !== ":memory:"
  try {
    if (local && options.create) mkdirSync(dirname(location), { recursive: true })
    const { openStore } = await import("../store/index.js")
    return await openStore(location)
  } catch (error) {
    if (isUsageHubError(error)) throw error
    throw new UsageHubError(
      "STORE_ERROR",
      `cannot open store ${redactLocation(location)}: ${(error as Error).message.split("\n")[0]}`,
      { cause: error },
    )
  }
}
