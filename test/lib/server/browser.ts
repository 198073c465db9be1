/** The headless Chromium of the dashboard tests (Debian's /usr/bin/chromium through playwright-core), or a skip. */
import { existsSync } from "node:fs"
import type { Browser, ConsoleMessage } from "playwright-core"

export const CHROMIUM = "/usr/bin/chromium"

/** Launches Chromium, or skips the suite (with a note) when it is not installed. */
export async function launchChromium(ctx: Mocha.Context): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    console.log(`    (${CHROMIUM} is missing: skipping the dashboard test; apt-get install -y chromium)`)
    ctx.skip()
  }
  const { chromium } = await import("playwright-core")
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  })
}

/**
 * The browser's own console line for a 404 from GET /api/usage/budgets or /api/usage/nodes: a service
 * without those endpoints (or without budgets) answers 404, which the page reads as "none" and hides.
 */
export function optionalEndpointMissing(message: ConsoleMessage): boolean {
  return (
    message.text().includes("404") && /\/api\/usage\/(budgets|nodes)$/.test(new URL(message.location().url).pathname)
  )
}
