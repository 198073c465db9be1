/**
 * The parts of @oclif/core the commands use, each loaded with a synchronous `require` of its subpath
 * (`@oclif/core/command`, `/flags`, ...) rather than an ESM `import`. The package root would load every part of
 * oclif; and each ESM import of a CommonJS module costs an asynchronous read of its file and a parse of its exports
 * (5 of them were ~20 ms more per command than one import of the root, on a loaded machine). See
 * docs/performance.md (CLI start).
 */
import { createRequire } from "node:module"
import type * as ArgsModule from "@oclif/core/args"
import type * as CommandModule from "@oclif/core/command"
import type * as ErrorsModule from "@oclif/core/errors"
import type * as FlagsModule from "@oclif/core/flags"
import type * as UxModule from "@oclif/core/ux"

const require = createRequire(import.meta.url)

export const Args: typeof ArgsModule = require("@oclif/core/args")
export const Command: typeof CommandModule.Command = (require("@oclif/core/command") as typeof CommandModule).Command
export const Errors: typeof ErrorsModule = require("@oclif/core/errors")
export const Flags: typeof FlagsModule = require("@oclif/core/flags")
export const ux: typeof UxModule.ux = (require("@oclif/core/ux") as typeof UxModule).ux
