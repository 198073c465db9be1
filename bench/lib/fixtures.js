/**
 * Fixtures for the benchmarks, built once and cached under bench/results/cache (gitignored): SQLite stores of
 * N records over 60 days ending at FIXTURE_END (built through the store's own insertBatches, so rollups are
 * exactly what the service would have written), and legacy usage files. A cache entry's name carries a hash
 * of the store's schema/rollup code and of the data generator, so a changed schema rebuilds it.
 */
import { createHash } from "node:crypto"
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { chunks, DATA_VERSION, DAY_MS, FIXTURE_END_MS, generateRecords, toStored } from "./data.js"

export const RESULTS = fileURLToPath(new URL("../results/", import.meta.url))
export const CACHE = `${RESULTS}cache/`
export const TMP = `${RESULTS}tmp/${process.pid}/`
const DIST = new URL("../../dist/lib/", import.meta.url)

export function ensureDirs() {
  mkdirSync(CACHE, { recursive: true })
  mkdirSync(TMP, { recursive: true })
}

export async function storeApi() {
  return import(new URL("store/index.js", DIST).href)
}

/**
 * Hash of what determines a fixture's bytes: the store's schema (its migrations' SQL), the rollup levels and
 * the generator version. Comments or unrelated code changes in dist/ do not invalidate the cache; delete
 * bench/results/cache/ after a change to how rows or rollups are computed.
 */
async function fixtureKey(kind) {
  const hash = createHash("sha1").update(`${kind}:${DATA_VERSION}`)
  if (kind === "sqlite") {
    const { MIGRATIONS } = await import(new URL("store/sqlite/schema.js", DIST).href)
    const { ROLLUP_LEVELS } = await import(new URL("store/rollup.js", DIST).href)
    hash.update(JSON.stringify(MIGRATIONS))
    hash.update(JSON.stringify(ROLLUP_LEVELS.map((l) => [l.name, l.table])))
  }
  return hash.digest("hex").slice(0, 10)
}

/** Removes cached fixtures of the same kind and size built from another key (stale schema or data). */
function dropStale(prefix, keep) {
  for (const name of readdirSync(CACHE)) {
    if (name.startsWith(prefix) && `${CACHE}${name}` !== keep) rmSync(`${CACHE}${name}`, { force: true })
  }
}

export function log(line) {
  process.stderr.write(`  · ${line}\n`)
}

/** Removes a SQLite database and its WAL/SHM files. */
export function removeDb(path) {
  for (const suffix of ["", "-wal", "-shm", "-journal"]) rmSync(`${path}${suffix}`, { force: true })
}

export function tmpPath(name) {
  ensureDirs()
  return `${TMP}${name}`
}

/** A SQLite store of `count` records over the 60 days ending at FIXTURE_END_MS; returns its path. */
export async function sqliteFixture(count) {
  ensureDirs()
  const path = `${CACHE}fixture-${count}-${await fixtureKey("sqlite")}.db`
  if (existsSync(path)) return path
  dropStale(`fixture-${count}-`, path)
  const { openStore } = await storeApi()
  const building = `${path}.building-${process.pid}`
  removeDb(building)
  const t0 = Date.now()
  const store = await openStore(building, { synchronous: "NORMAL" })
  try {
    const records = generateRecords({ count, startMs: FIXTURE_END_MS - 60 * DAY_MS, endMs: FIXTURE_END_MS, seed: 42 })
    let done = 0
    for (const chunk of chunks(records, 50_000)) {
      await store.insertBatches([chunk.map((r) => toStored(r))])
      done += chunk.length
      if (count >= 500_000 && done % 250_000 === 0) log(`fixture ${count}: ${done} records`)
    }
  } finally {
    await store.close()
  }
  for (const suffix of ["-wal", "-shm"]) rmSync(`${building}${suffix}`, { force: true })
  renameSync(building, path)
  log(`built SQLite fixture of ${count} records in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  return path
}

/** A legacy usage file (version 1, pretty-printed like the plugin's) of `count` records; returns its path. */
export async function legacyFixture(count) {
  ensureDirs()
  const path = `${CACHE}legacy-${count}-${await fixtureKey("legacy")}.json`
  if (existsSync(path)) return path
  dropStale(`legacy-${count}-`, path)
  const t0 = Date.now()
  const building = `${path}.building-${process.pid}`
  const fd = openSync(building, "w")
  const summaries = {}
  let last = ""
  try {
    writeSync(fd, `{\n  "version": 1,\n  "lastUpdated": "${new Date(FIXTURE_END_MS).toISOString()}",\n  "records": [`)
    let first = true
    const startMs = FIXTURE_END_MS - 59 * DAY_MS
    for (const chunk of chunks(
      generateRecords({ count, startMs, endMs: FIXTURE_END_MS, seed: 7, legacy: true }),
      5000,
    )) {
      const text = chunk
        .map((r) => {
          const json = JSON.stringify({ ...r, timestamp: new Date(r.timestamp).toISOString() }, null, 2)
          summaries[r.provider] ??= { cost: 0, input: 0, output: 0, calls: 0 }
          const s = summaries[r.provider]
          s.cost += r.estimatedCost
          s.input += r.inputTokens
          s.output += r.outputTokens
          s.calls += 1
          return json.replace(/^/gm, "    ")
        })
        .join(",\n")
      writeSync(fd, `${first ? "\n" : ",\n"}${text}`)
      first = false
      last = chunk[chunk.length - 1]
    }
    const out = {}
    for (const [provider, s] of Object.entries(summaries)) {
      out[provider] = {
        provider,
        periodStart: "2026-11-01T00:00:00.000Z",
        nextReset: "2026-12-01T00:00:00.000Z",
        resetType: "monthly",
        totalCost: s.cost,
        totalInputTokens: s.input,
        totalOutputTokens: s.output,
        callCount: s.calls,
      }
    }
    const summariesText = JSON.stringify(out, null, 2).replace(/\n/g, "\n  ")
    writeSync(fd, `\n  ],\n  "summaries": ${summariesText}\n}\n`)
  } finally {
    closeSync(fd)
  }
  renameSync(building, path)
  log(`built legacy file of ${count} records in ${((Date.now() - t0) / 1000).toFixed(1)} s (last ${last.timestamp})`)
  return path
}
