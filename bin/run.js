#!/usr/bin/env node
// oclif's `execute` from dist/oclif.cjs, the one-file bundle of @oclif/core that the build writes
// (scripts/bundle-oclif.mjs) and the commands load too (src/lib/cli/oclif.ts): one file to read and compile
// instead of ~110 modules, with a synchronous require (an ESM import of CommonJS costs an asynchronous read).
// See docs/performance.md (CLI start).
import { createRequire } from "node:module"

const { execute } = createRequire(import.meta.url)("../dist/oclif.cjs")

await execute({ dir: import.meta.url })
