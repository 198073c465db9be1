/**
 * A faulty TCP proxy (node:net) for the chaos scenarios: listens on 127.0.0.1 and forwards each connection to
 * `target`, but, chunk by chunk with seeded chances: drops the connection before forwarding a request chunk
 * (`drop`: the request never arrives whole, nothing is stored), stalls a chunk either way (`stall`, for
 * `stallMs`: long enough and the client times out, maybe after the service committed), and cuts the
 * connection instead of forwarding a response (`cut`: the service committed, the client never hears it and
 * sends again). `heal()` stops the faults. Counts connections and each fault.
 */
import { connect, createServer } from "node:net"

export function startProxy({ target, rng, faults }) {
  let current = faults
  const counts = { connections: 0, drops: 0, stalls: 0, cuts: 0 }
  const sockets = new Set()

  /** Forwards `from` to `to` in order; `request`: client to service. */
  function forward(from, to, request) {
    let chain = Promise.resolve()
    const kill = () => {
      from.destroy()
      to.destroy()
    }
    from.on("data", (chunk) => {
      chain = chain.then(async () => {
        if (to.destroyed) return
        if (current) {
          const r = rng.next()
          const lose = request ? current.drop : current.cut
          if (r < lose) {
            counts[request ? "drops" : "cuts"] += 1
            return kill()
          }
          if (r < lose + current.stall) {
            counts.stalls += 1
            await new Promise((res) => setTimeout(res, rng.int(current.stallMs[0], current.stallMs[1])))
            if (to.destroyed) return
          }
        }
        to.write(chunk)
      })
    })
    from.on("end", () => chain.then(() => to.end()))
    from.on("close", () => chain.then(kill))
    from.on("error", () => {})
  }

  const server = createServer((client) => {
    counts.connections += 1
    const upstream = connect(target)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on("close", () => sockets.delete(s))
    }
    forward(client, upstream, true)
    forward(upstream, client, false)
  })
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        counts,
        heal() {
          current = undefined
        },
        close() {
          for (const s of sockets) s.destroy()
          return new Promise((res) => server.close(() => res()))
        },
      })
    })
  })
}
