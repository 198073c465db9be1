/**
 * The dashboard's static files (index.html, app.js, style.css), read once from `dashboard/public/` next to
 * this module: src/ under tsx, dist/ after `npm run build` (scripts/copy-assets.mjs copies them). Served with
 * a Content-Security-Policy that allows nothing but this origin: the page loads nothing external.
 */
import { readFileSync } from "node:fs"
import type { FastifyInstance } from "fastify"
import { UsageHubError } from "../errors.js"

const ASSETS = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/assets/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/assets/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
} as const

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
}

export const DASHBOARD_DIR = new URL("./dashboard/public/", import.meta.url)

function load(file: string): Buffer | undefined {
  try {
    return readFileSync(new URL(file, DASHBOARD_DIR))
  } catch {
    return undefined
  }
}

export function registerDashboard(app: FastifyInstance): void {
  for (const [path, asset] of Object.entries(ASSETS)) {
    const body = load(asset.file)
    app.get(path, { config: { auth: "public" } }, async (_request, reply) => {
      if (!body) {
        throw new UsageHubError("NOT_FOUND", `dashboard file ${asset.file} is missing: run \`npm run build\``)
      }
      return reply.headers(SECURITY_HEADERS).type(asset.type).send(body)
    })
  }
}
