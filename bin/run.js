#!/usr/bin/env node
// @oclif/core checks, when imported, that this Node satisfies its own engines, loading semver for it (47 modules,
// 20-30 ms of every start). package.json's engines (Node >= 20.19, enforced at install) are stricter than
// @oclif/core's, so that check cannot warn on a Node this CLI runs on: skipped (unless set otherwise).
process.env.OCLIF_DISABLE_ENGINE_WARNING ??= "1"
const { execute } = await import("@oclif/core")

await execute({ dir: import.meta.url })
