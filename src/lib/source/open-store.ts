/**
 * Opens a store for the CLI by location (a SQLite path, `:memory:` or postgres://…) through the stores'
 * `openStore`, loaded only here so that commands that never open a store never load a driver. Reads open
 * an existing store only (`create: false`); writes (migrate-file) create it. Any failure is one STORE_ERROR
 * line naming the location without its password.
 */
import { isUsageHubError, UsageHubError } from "../errors.js"
import type { UsageStore } from "../store/store.js"
import { redactLocation } from "./resolve-source.js"

export async function openStoreAt(
  location: string,
  options: { create: boolean; synchronous?: "FULL" | "NORMAL" },
): Promise<UsageStore> {
  try {
    const { openStore } = await import("../store/open.js")
    return await openStore(location, { create: options.create, synchronous: options.synchronous })
  } catch (error) {
    if (isUsageHubError(error)) throw error
    throw new UsageHubError(
      "STORE_ERROR",
      `cannot open store ${redactLocation(location)}: ${(error as Error).message.split("\n")[0]}`,
      { cause: error },
    )
  }
}
