/**
 * Child processes for the benchmarks: time a whole process (wall clock, optionally its peak RSS), start a
 * long-running server and read the URL it prints, sample a process's RSS from /proc.
 */
import { spawn } from "node:child_process"
import { existsSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"

const GNU_TIME = "/usr/bin/time"
export const HAS_GNU_TIME = existsSync(GNU_TIME)

/** Resident set size of `pid` in bytes (Linux /proc), or NaN. */
export function rssOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8")
    const match = /VmRSS:\s+(\d+) kB/.exec(status)
    return match ? Number(match[1]) * 1024 : Number.NaN
  } catch {
    return Number.NaN
  }
}

/** Peak RSS so far of `pid` in bytes (VmHWM), or NaN. */
export function peakRssOf(pid) {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return match ? Number(match[1]) * 1024 : Number.NaN
  } catch {
    return Number.NaN
  }
}

/** Samples the RSS of `pid` every `intervalMs` until `stop()`, which returns { max, last, samples }. */
export function sampleRss(pid, intervalMs = 200) {
  const samples = []
  const timer = setInterval(() => {
    const rss = rssOf(pid)
    if (Number.isFinite(rss)) samples.push(rss)
  }, intervalMs)
  timer.unref()
  return {
    samples,
    stop() {
      clearInterval(timer)
      const rss = rssOf(pid)
      if (Number.isFinite(rss)) samples.push(rss)
      return { max: Math.max(...samples), last: samples[samples.length - 1], samples }
    },
  }
}

/**
 * Runs a process to its end. Returns { ms, code, stderr, stdout?, peakRss?, cpuMs? }: peakRss in bytes when
 * `peakRss: true` (GNU time's %M, else sampled VmHWM); cpuMs (user + system, 10 ms resolution) when
 * `cpu: true` and GNU time is there. `stdout`: "ignore" (default), "pipe" (captured) or a file descriptor.
 */
export function timeProcess(command, args, options = {}) {
  const { env = process.env, cwd, stdout = "ignore", peakRss = false, cpu = false, timeoutMs = 120_000 } = options
  let file = command
  let argv = args
  let timeFile
  if ((peakRss || cpu) && HAS_GNU_TIME) {
    timeFile = join(tmpdir(), `usage-hub-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`)
    file = GNU_TIME
    argv = ["-f", "%M %U %S", "-o", timeFile, command, ...args]
  }
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(file, argv, { env, cwd, stdio: ["ignore", stdout, "pipe"] })
    let stderr = ""
    let out = ""
    child.stderr.on("data", (d) => {
      if (stderr.length < 20_000) stderr += d
    })
    if (stdout === "pipe") child.stdout.on("data", (d) => (out += d))
    let hwm = Number.NaN
    const poll = peakRss && !HAS_GNU_TIME ? setInterval(() => (hwm = peakRssOf(child.pid) || hwm), 20) : undefined
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.on("error", reject)
    child.on("close", (code, signal) => {
      const ms = performance.now() - start
      clearTimeout(timer)
      if (poll) clearInterval(poll)
      const result = { ms, code, signal, stderr }
      if (stdout === "pipe") result.stdout = out
      if (timeFile) {
        try {
          const lines = readFileSync(timeFile, "utf8").trim().split("\n")
          const [kb, user, system] = lines[lines.length - 1].split(" ").map(Number)
          result.peakRss = kb * 1024
          result.cpuMs = (user + system) * 1000
        } catch {
          result.peakRss = Number.NaN
          result.cpuMs = Number.NaN
        }
        rmSync(timeFile, { force: true })
      } else if (peakRss) result.peakRss = hwm
      resolve(result)
    })
  })
}

/** Runs a process and fails with its stderr unless it exits 0. */
export async function runOk(command, args, options = {}) {
  const result = await timeProcess(command, args, options)
  if (result.code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} exited ${result.code ?? result.signal}: ${result.stderr.trim().slice(0, 2000)}`,
    )
  }
  return result
}

/**
 * Starts a long-running process that prints a line matching `ready` (a RegExp whose group 1 is returned as
 * `url`). Returns { child, pid, url, output(), exited, alive, kill(signal), stop() }: exited resolves with
 * { code, signal }; kill (SIGKILL by default) and stop() (SIGTERM, SIGKILL after 10 s) resolve with it.
 */
export function startProcess(command, args, { env = process.env, cwd, ready, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ["ignore", "pipe", "pipe"] })
    let output = ""
    let settled = false
    const exited = new Promise((res) => child.once("exit", (code, signal) => res({ code, signal })))
    const fail = (why) => {
      if (settled) return
      settled = true
      child.kill("SIGKILL")
      reject(new Error(`${command} ${args.join(" ")}: ${why}\n${output.slice(-3000)}`))
    }
    const timer = setTimeout(() => fail("did not become ready in time"), timeoutMs)
    const onData = (d) => {
      output += d
      if (output.length > 100_000) output = output.slice(-50_000)
      const match = ready.exec(output)
      if (match && !settled) {
        settled = true
        clearTimeout(timer)
        resolve({
          child,
          pid: child.pid,
          url: match[1],
          output: () => output,
          exited,
          get alive() {
            return child.exitCode === null && child.signalCode === null
          },
          kill(signal = "SIGKILL") {
            if (child.exitCode === null && child.signalCode === null) child.kill(signal)
            return exited
          },
          async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return exited
            child.kill("SIGTERM")
            const killer = setTimeout(() => child.kill("SIGKILL"), 10_000)
            const result = await exited
            clearTimeout(killer)
            return result
          },
        })
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.on("error", (error) => fail(error.message))
    child.on("exit", (code, signal) => fail(`exited early (${code ?? signal})`))
  })
}

const CLOCK_TICKS_PER_SECOND = 100

/** CPU time (user + system) used so far by `pid`, in ms (Linux /proc; 10 ms resolution), or NaN. */
export function cpuTimeOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    // After the command: state is field 3; utime and stime are fields 14 and 15 of the whole line.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND
  } catch {
    return Number.NaN
  }
}

/** CPU time (user + system) of this process so far, in ms. */
export function ownCpuMs() {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}
