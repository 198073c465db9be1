/**
 * The parts of @oclif/core the commands use. A built CLI takes them from dist/oclif.cjs, the one-file bundle of
 * @oclif/core that scripts/bundle-oclif.mjs writes at build and bin/run.js starts from, so the commands and the
 * CLI share one oclif, loaded from one file (half the start of its ~110 modules; docs/performance.md, "CLI
 * start"). From the sources (tests under tsx, bin/dev.js) there is no bundle: the package's subpaths, each with
 * a synchronous `require` (an ESM `import` of a CommonJS module costs an asynchronous read of its file).
 */
import { createRequire } from "node:module"
import type * as ArgsModule from "@oclif/core/args"
import type * as CommandModule from "@oclif/core/command"
import type * as ErrorsModule from "@oclif/core/errors"
import type * as FlagsModule from "@oclif/core/flags"
import type * as HelpModule from "@oclif/core/help"
import type * as UxModule from "@oclif/core/ux"

interface OclifParts {
  Args: typeof ArgsModule
  Command: typeof CommandModule.Command
  Errors: typeof ErrorsModule
  Flags: typeof FlagsModule
  ux: typeof UxModule.ux
  loadHelpClass: typeof HelpModule.loadHelpClass
}

const require = createRequire(import.meta.url)

function fromPackage(): OclifParts {
  return {
    Args: require("@oclif/core/args"),
    Command: (require("@oclif/core/command") as typeof CommandModule).Command,
    Errors: require("@oclif/core/errors"),
    Flags: require("@oclif/core/flags"),
    ux: (require("@oclif/core/ux") as typeof UxModule).ux,
    loadHelpClass: (require("@oclif/core/help") as typeof HelpModule).loadHelpClass,
  }
}

/** dist/oclif.cjs seen from dist/lib/cli/; from src/lib/cli/ it does not exist. */
function load(): OclifParts {
  try {
    return require("../../oclif.cjs") as OclifParts
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw error
    return fromPackage()
  }
}

const oclif = load()

export const Args: OclifParts["Args"] = oclif.Args
export const Command: OclifParts["Command"] = oclif.Command
export const Errors: OclifParts["Errors"] = oclif.Errors
export const Flags: OclifParts["Flags"] = oclif.Flags
export const ux: OclifParts["ux"] = oclif.ux
export const loadHelpClass: OclifParts["loadHelpClass"] = oclif.loadHelpClass
