// Bundles the parts of @oclif/core the CLI uses into one CommonJS file, dist/oclif.cjs, loaded by bin/run.js and
// by the commands (src/lib/cli/oclif.ts). oclif is ~110 small CommonJS modules (its config, parser, help, ux,
// and minimatch, tinyglobby, ejs, ...); resolving, reading and compiling them one by one was most of the CLI's
// start after Node's own: one file loads in about half the time (docs/performance.md, "CLI start").
// esbuild keeps each module's code as it is (syntax minified only) and runs it when first required, in the
// same order; the package's own files stay the source of truth (a new @oclif/core is bundled at the next build).
import { build } from "esbuild"

const entry = `module.exports = {
  execute: require("@oclif/core/execute").execute,
  Command: require("@oclif/core/command").Command,
  Args: require("@oclif/core/args"),
  Errors: require("@oclif/core/errors"),
  Flags: require("@oclif/core/flags"),
  ux: require("@oclif/core/ux").ux,
  loadHelpClass: require("@oclif/core/help").loadHelpClass,
}
`

await build({
  stdin: { contents: entry, resolveDir: process.cwd(), sourcefile: "oclif-entry.cjs", loader: "js" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  outfile: "dist/oclif.cjs",
  minifySyntax: true,
  // Loaded by oclif only to run TypeScript commands in development (bin/dev.js does not use this bundle).
  external: ["typescript", "ts-node"],
  logLevel: "warning",
})
