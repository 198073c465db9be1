/**
 * Renders the OpenAPI document as Markdown for docs/api.md (regenerate with `npx tsx scripts/gen-api-doc.ts`;
 * a test checks the file is current). Endpoint sections with parameters and responses, then the schemas.
 */
import { openApiDocument } from "./openapi.js"

type Json = Record<string, any>

const cell = (text: unknown): string =>
  String(text ?? "")
    .replace(/\|/g, "\\|")
    .replace(/\n+/g, " ")

function schemaLabel(schema: Json | undefined): string {
  if (!schema) return ""
  if (schema.$ref) return String(schema.$ref).split("/").pop()!
  if (schema.enum) return schema.enum.map((v: unknown) => `\`${v}\``).join(" \\| ")
  if (schema.type === "array") return `${schemaLabel(schema.items)}[]`
  if (schema.oneOf) return schema.oneOf.map(schemaLabel).join(" or ")
  const range =
    schema.minimum !== undefined || schema.maximum !== undefined
      ? ` (${schema.minimum ?? ""}..${schema.maximum ?? ""})`
      : schema.maxLength !== undefined
        ? ` (${schema.minLength ?? 0}..${schema.maxLength} chars)`
        : ""
  return `${schema.type ?? "any"}${range}`
}

function authOf(operation: Json): string {
  const schemes = (operation.security ?? []).flatMap((s: Json) => Object.keys(s))
  if (schemes.length === 0) return "public"
  return `${schemes.map((s: string) => `\`${s}\``).join(" or ")} (when configured)`
}

export function renderApiMarkdown(doc: Json = openApiDocument()): string {
  const out: string[] = []
  out.push(`# ${doc.info.title} HTTP API`, "")
  out.push(
    "<!-- Generated from the OpenAPI document (src/lib/server/openapi.ts) by `npx tsx scripts/gen-api-doc.ts`; do not edit by hand. The service serves the same document at `/openapi.json`. -->",
    "",
  )
  out.push(doc.info.description, "")
  out.push("## Endpoints", "", "| method | path | what | auth |", "|---|---|---|---|")
  for (const [path, ops] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(ops)) {
      out.push(`| ${method.toUpperCase()} | \`${path}\` | ${cell(op.summary)} | ${authOf(op)} |`)
    }
  }
  out.push("")
  for (const [path, ops] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(ops)) {
      out.push(`### ${method.toUpperCase()} \`${path}\``, "", `**${op.summary}.** Auth: ${authOf(op)}.`, "")
      if (op.description) out.push(op.description, "")
      if (op.parameters?.length) {
        out.push("| parameter | in | type | description |", "|---|---|---|---|")
        for (const p of op.parameters) {
          out.push(
            `| \`${p.name}\`${p.required ? " (required)" : ""} | ${p.in} | ${cell(schemaLabel(p.schema))} | ${cell(p.description)} |`,
          )
        }
        out.push("")
      }
      if (op.requestBody) {
        out.push("Request body:", "")
        for (const [type, media] of Object.entries<Json>(op.requestBody.content)) {
          out.push(
            `- \`${type}\`: ${schemaLabel(media.schema)}${media.schema?.description ? ` (${media.schema.description})` : ""}`,
          )
        }
        out.push("")
      }
      out.push("| status | meaning | body |", "|---|---|---|")
      for (const [status, response] of Object.entries<Json>(op.responses)) {
        const bodies = Object.entries<Json>(response.content ?? {})
          .map(([type, media]) => `\`${type}\`${media.schema ? ` ${schemaLabel(media.schema)}` : ""}`)
          .join(", ")
        out.push(`| ${status} | ${cell(response.description)} | ${cell(bodies)} |`)
      }
      out.push("")
    }
  }
  out.push("## Schemas", "")
  for (const [name, schema] of Object.entries<Json>(doc.components.schemas)) {
    out.push(`### ${name}`, "")
    if (schema.description) out.push(schema.description, "")
    out.push("```json", JSON.stringify(schema, null, 2), "```", "")
  }
  return `${out.join("\n").trimEnd()}\n`
}
