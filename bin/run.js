#!/usr/bin/env node
// `@oclif/core/execute` with a synchronous require, not an import of the package root: the root index loads every
// part of oclif (and, unless OCLIF_DISABLE_ENGINE_WARNING is set, semver for its Node engines check), and an ESM
// import of a CommonJS module costs an asynchronous read of its file. The commands load oclif the same way
// (src/lib/cli/oclif.ts). See docs/performance.md (CLI start).
import { createRequire } from "node:module"

const { execute } = createRequire(import.meta.url)("@oclif/core/execute")

await execute({ dir: import.meta.url })
