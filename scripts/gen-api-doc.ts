// Writes docs/api.md from the service's OpenAPI document: `npx tsx scripts/gen-api-doc.ts`.
import { writeFileSync } from "node:fs"
import { renderApiMarkdown } from "../src/lib/server/api-doc.js"

writeFileSync(new URL("../docs/api.md", import.meta.url), renderApiMarkdown())
console.log("wrote docs/api.md")
