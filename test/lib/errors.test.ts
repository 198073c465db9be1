import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { expect } from "chai"
import { errorFromResponse } from "../../src/lib/client/api-client.js"
import {
  API_ERROR_CODES,
  codeForStatus,
  ERROR_TABLE,
  type ErrorCode,
  isErrorCode,
  publicMessage,
  UsageHubError,
} from "../../src/lib/errors.js"
import { toClientError } from "../../src/lib/server/error-handler.js"
import { openApiDocument } from "../../src/lib/server/openapi.js"

const SERVER_DIR = join(import.meta.dirname, "..", "..", "src", "lib", "server")
const CODES = Object.keys(ERROR_TABLE) as ErrorCode[]
type Row = { status: number; exit: number; api: boolean; forStatus?: true; publicMessage?: unknown }
const row = (code: ErrorCode): Row => ERROR_TABLE[code] as Row

/** The codes the service's own modules raise in a UsageHubError (or a TokenRefused). */
function codesRaisedByTheService(): Set<string> {
  const found = new Set<string>()
  for (const file of readdirSync(SERVER_DIR, { recursive: true }) as string[]) {
    if (!file.endsWith(".ts")) continue
    const text = readFileSync(join(SERVER_DIR, file), "utf8")
    for (const m of text.matchAll(/(?:UsageHubError|TokenRefused)\(\s*"([A-Z_]+)"/g)) found.add(m[1])
  }
  return found
}

describe("the errors table", () => {
  it("gives every code an HTTP status and an exit code of 1 or 2", () => {
    for (const code of CODES) {
      expect(row(code).status, code).to.be.within(400, 599)
      expect([1, 2], code).to.include(row(code).exit)
    }
  })

  it("gives every 5xx the API answers with a public message (the detail stays in the log)", () => {
    for (const code of API_ERROR_CODES.filter((c) => row(c).status >= 500)) {
      expect(publicMessage(code), code)
        .to.be.a("string")
        .and.match(/log|retry/)
    }
    expect(publicMessage("STORE_UNAVAILABLE", { reason: "disk full" })).to.equal(
      "the store cannot write: disk full; retry later",
    )
  })

  it("names one code per bare status, and none for a status it leaves to the caller", () => {
    expect(codeForStatus(400)).to.equal("BAD_USAGE")
    expect(codeForStatus(401)).to.equal("UNAUTHORIZED")
    expect(codeForStatus(403)).to.equal("FORBIDDEN")
    expect(codeForStatus(404)).to.equal("NOT_FOUND")
    expect(codeForStatus(413)).to.equal("PAYLOAD_TOO_LARGE")
    expect(codeForStatus(415)).to.equal("UNSUPPORTED_MEDIA_TYPE")
    // 422 is the CLI's NOT_LEGACY_FILE: a bare 422 from a server does not mean that.
    expect(codeForStatus(422)).to.equal(undefined)
    expect(codeForStatus(500)).to.equal(undefined)
    for (const code of CODES.filter((c) => row(c).forStatus)) expect(row(code).api, code).to.equal(true)
  })

  it("is written out in docs/errors.md, code by code", () => {
    const page = readFileSync(join(import.meta.dirname, "..", "..", "docs", "errors.md"), "utf8")
    for (const code of CODES) {
      const { status, exit, api } = row(code)
      expect(page, code).to.include(`| \`${code}\` | ${status} | ${exit} | ${api ? "yes" : "no"} |`)
    }
  })

  it("recognises its codes, and only them", () => {
    expect(isErrorCode("STORE_ERROR")).to.equal(true)
    expect(isErrorCode("toString")).to.equal(false)
    expect(isErrorCode(400)).to.equal(false)
  })
})

describe("one table behind the service, the client and the OpenAPI document", () => {
  it("the service and the client read a bare status as the same code", async () => {
    for (let status = 400; status < 600; status++) {
      const expected = codeForStatus(status)
      if (!expected) continue
      const served = toClientError(Object.assign(new Error("refused"), { statusCode: status }))
      const read = await errorFromResponse(new Response("no body of ours", { status }), "http://hub.test/x")
      expect({ status, served: served.code, read: read.code }).to.deep.equal({
        status,
        served: expected,
        read: expected,
      })
    }
  })

  it("a bare status the table names no code for is the upstream's failure to the client", async () => {
    const read = await errorFromResponse(new Response("", { status: 502 }), "http://hub.test/x")
    expect(read.code).to.equal("UPSTREAM_ERROR")
    const teapot = await errorFromResponse(new Response("", { status: 418 }), "http://hub.test/x")
    expect(teapot.code).to.equal("UPSTREAM_ERROR")
  })

  it("the OpenAPI document's error codes are the table's codes the API answers with", () => {
    type ErrorSchema = { properties: { error: { properties: { code: { enum: string[] } } } } }
    const schemas = (openApiDocument().components as { schemas: { Error: ErrorSchema } }).schemas
    expect(schemas.Error.properties.error.properties.code.enum).to.deep.equal(CODES.filter((code) => row(code).api))
  })

  it("every code the service raises in a request is one the API documents, or a 5xx answered as INTERNAL", () => {
    const raised = codesRaisedByTheService()
    expect(raised.size).to.be.greaterThan(5)
    for (const code of raised) {
      expect(isErrorCode(code), code).to.equal(true)
      const answered = toClientError(new UsageHubError(code as ErrorCode, "detail")).code
      expect(API_ERROR_CODES, `${code} is answered as ${answered}`).to.include(answered)
      if (!row(code as ErrorCode).api) expect(answered, code).to.equal("INTERNAL")
    }
  })

  it("a 5xx of the service reaches the client with its code and the table's message, never the detail", () => {
    for (const code of CODES.filter((c) => row(c).status >= 500)) {
      const answered = toClientError(new UsageHubError(code, "SQLITE_CORRUPT at /var/lib/usage.db"))
      expect(answered.message, code).not.to.contain("/var/lib")
      expect(answered.code, code).to.equal(row(code).api ? code : "INTERNAL")
      expect(answered.message, code).to.equal(publicMessage(answered.code))
    }
  })
})
