/**
 * The one rule for the URL of the central service (`--endpoint`, USAGE_ENDPOINT, `usage.http.endpoint`): an
 * absolute http:// or https:// URL that parses (WHATWG). Used by the config schema, the source resolution of
 * every command and `usage push`; plugin-safe (no file or environment access).
 */
import { UsageHubError } from "./errors.js"

/** Whether `url` is an http(s) URL of a service: `http://` or `https://`, then a URL that parses. */
export function isEndpointUrl(url: string): boolean {
  return /^https?:\/\//i.test(url) && URL.canParse(url)
}

/**
 * The endpoint without its trailing slashes, or BAD_USAGE naming where it came from (`from`: "--endpoint",
 * "USAGE_ENDPOINT", "config … (usage.http.endpoint)").
 */
export function checkEndpoint(url: string, from: string): string {
  if (!isEndpointUrl(url)) {
    throw new UsageHubError(
      "BAD_USAGE",
      `invalid ${from} ${JSON.stringify(url)}: expected the URL of usage serve, e.g. http://master-node:3001`,
    )
  }
  return url.replace(/\/+$/, "")
}
