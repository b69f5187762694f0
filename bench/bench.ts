/**
 * npm run bench [-- --rows N] [--quick]
 * Starts the demo API (a separate process) with N records per resource, syncs the analytics
 * example into Postgres (DATABASE_URL, else a fresh embedded database) and prints rows/s per
 * table and overall, pages/s and the peak RSS of this process. The last line is machine-readable.
 */
import { NodeHttpClient } from "@effect/platform-node"
import { SqlClient } from "@effect/sql"
import { ConfigProvider, Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { createInterface } from "node:readline"
import { sourceFromFile } from "../src/Connector.js"
import * as Embedded from "../src/load/Embedded.js"
import * as Postgres from "../src/load/Postgres.js"
import * as Pipeline from "../src/pipeline/Pipeline.js"

const root = path.resolve(import.meta.dirname, "..")
const argValue = (name: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const quick = process.argv.includes("--quick")
const rows = Number(argValue("rows") ?? (quick ? 2000 : 100_000))
const databaseUrl = process.env["DATABASE_URL"] || undefined

const startDemo = (): Promise<{ baseUrl: string; token: string; stop: () => void }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "demo/serve.ts"), "--rows", String(rows)], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"]
    })
    child.on("error", reject)
    createInterface({ input: child.stdout }).once("line", (line) => {
      const [, baseUrl, token] = line.split(" ")
      resolve({ baseUrl, token, stop: () => child.kill("SIGTERM") })
    })
  })

let peakRss = process.memoryUsage().rss
let peakHeap = 0
let peakExternal = 0
const sampler = setInterval(() => {
  const m = process.memoryUsage()
  peakRss = Math.max(peakRss, m.rss)
  peakHeap = Math.max(peakHeap, m.heapUsed)
  peakExternal = Math.max(peakExternal, m.external + m.arrayBuffers)
}, 50)

const main = async () => {
  const demo = await startDemo()
  const dataDir = databaseUrl === undefined ? await mkdtemp(path.join(tmpdir(), "rc-bench-")) : undefined
  const dataset = `bench_${Date.now().toString(36)}`
  const database = Embedded.databaseLayer({ databaseUrl, dataDir })
  try {
    const info = await Effect.gen(function*() {
      const source = yield* sourceFromFile(path.join(root, "examples/analytics/analytics.ts"), { baseUrl: demo.baseUrl })
      const started = performance.now()
      const result = yield* Pipeline.run(source, { dataset })
      const seconds = (performance.now() - started) / 1000
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`DROP SCHEMA IF EXISTS "${dataset}" CASCADE`)
      return { result, seconds }
    }).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["ANALYTICS_API_KEY", demo.token]]))),
      Effect.provide(Layer.mergeAll(Postgres.layer, NodeHttpClient.layerUndici).pipe(Layer.provideMerge(database))),
      Effect.runPromise
    )
    clearInterval(sampler)
    peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024)
    const { result, seconds } = info
    if (result.failed) {
      for (const r of result.resources) if (r.error !== undefined) console.error(`${r.resource}: ${r.error.message}`)
      process.exitCode = 1
    }
    let totalRows = 0
    let records = 0
    let pages = 0
    console.log(`${rows.toLocaleString("en-US")} records per resource into ${databaseUrl === undefined ? "the embedded database" : "a Postgres server"}, ${seconds.toFixed(2)} s`)
    for (const r of result.resources) {
      pages += r.pages
      records += r.rows
      for (const [table, n] of Object.entries(r.rowsPerTable)) {
        totalRows += n
        console.log(`  ${table.padEnd(30)} ${String(n).padStart(9)} rows  ${(n / seconds).toFixed(0).padStart(8)} rows/s`)
      }
    }
    const peakMb = peakRss / 1024 / 1024
    console.log(`peak heap used ${(peakHeap / 1048576).toFixed(0)} MB, peak external + array buffers ${(peakExternal / 1048576).toFixed(0)} MB`)
    console.log(`records ${records} (${(records / seconds).toFixed(0)}/s), rows ${totalRows} (${(totalRows / seconds).toFixed(0)}/s), pages ${pages} (${(pages / seconds).toFixed(1)}/s), peak RSS ${peakMb.toFixed(0)} MB`)
    console.log(`bench: rows=${totalRows} records=${records} rows_per_s=${(totalRows / seconds).toFixed(0)} pages_per_s=${(pages / seconds).toFixed(1)} peak_rss_mb=${peakMb.toFixed(0)}`)
  } finally {
    demo.stop()
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  }
}

await main()
