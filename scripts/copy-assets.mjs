// Copies non-TypeScript assets (the dashboard's static files) from src/ to dist/ after tsc.
import { cpSync, existsSync } from "node:fs"

const assets = [["src/lib/server/dashboard/public", "dist/lib/server/dashboard/public"]]
for (const [from, to] of assets) if (existsSync(from)) cpSync(from, to, { recursive: true })
