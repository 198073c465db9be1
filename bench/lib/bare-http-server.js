/**
 * Reference (2), the floor of the HTTP stack: a bare node:http server that reads a JSON body, parses it and
 * answers 200 with a small JSON body. No validation, no store. Run as a child process:
 * `node bench/lib/bare-http-server.js` prints `listening on http://127.0.0.1:PORT`.
 */
import { createServer } from "node:http"

const server = createServer((req, res) => {
  const chunks = []
  req.on("data", (chunk) => chunks.push(chunk))
  req.on("end", () => {
    let body
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"))
    } catch {
      res.writeHead(400, { "content-type": "application/json" })
      res.end('{"error":{"code":"UNPARSEABLE_BODY"}}')
      return
    }
    const accepted = Array.isArray(body) ? body.length : Array.isArray(body?.records) ? body.records.length : 1
    const text = JSON.stringify({ accepted, duplicates: 0, rejected: [] })
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) })
    res.end(text)
  })
})
server.keepAliveTimeout = 72_000
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`)
})
process.on("SIGTERM", () => server.close(() => process.exit(0)))
