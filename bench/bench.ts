/**
 * npm run bench [-- --rows N] [--quick] [--no-baseline] [--batch-rows N] [--otel URL]
 * Starts the demo API (a separate process) with N records per resource (default 100 000;
 * `--quick`: 2 000), syncs the analytics example into Postgres (DATABASE_URL, else a fresh
 * embedded database) and prints rows/s per table and overall, pages/s and the peak RSS of this
 * process.
 *
 * Unless `--no-baseline`, it also times the baseline, bench/baseline.ts (plain fetch +
 * JSON.parse + one COPY per 20 pages into a table per resource), against the same demo API, in
 * a child process, so its memory never counts as ours: once before our run and once after it,
 * and our time is compared with the mean of the two. This machine's speed drifts by up to 1.5x
 * within minutes, so a baseline timed only on one side of our run moved the ratio by ±0.1 from
 * run to run; bracketing our run cancels a steady drift. With DATABASE_URL the baseline writes
 * into its own schema on that server; without it, into a PGlite of its own (COPY FROM STDIN
 * does not work over the embedded database's socket).
 *
 * The baseline writes one row per record (nested values as jsonb) while we also write child
 * tables, so rows/s are compared on the same source data: `baseline_rows_per_s` is our row
 * count over the baseline's time, and `ratio` = rows_per_s / baseline_rows_per_s = baseline
 * seconds / our seconds (> 1: we are faster).
 *
 * The last line is machine-readable:
 *   bench: rows=<total rows> rows_per_s=<ours> baseline_rows_per_s=<baseline> ratio=<ours/baseline> peak_rss_mb=<ours>
 * (`na` for the baseline values with `--no-baseline` or when the baseline failed).
 */
import * as ApiClient from "../src/internal/http/apiClient.js"
import * as UndiciHttpClient from "../src/internal/http/undiciHttpClient.js"
import * as SqlClient from "@effect/sql/SqlClient"
import { ConfigProvider, Effect, Layer } from "effect"
import { execFile, spawn } from "node:child_process"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import analytics from "../examples/analytics/analytics.js"
import { argValue, root, startDemo } from "./demoProcess.js"
import * as Embedded from "../src/internal/load/embedded.js"
import * as Postgres from "../src/internal/load/postgresDestination.js"
import * as Pipeline from "../src/internal/pipeline/pipeline.js"
import * as RestApiSource from "../src/internal/extract/source.js"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as Otlp from "../src/internal/telemetry/otlp.js"

const quick = process.argv.includes("--quick")
const withBaseline = !process.argv.includes("--no-baseline")
const rows = Number(argValue("rows") ?? (quick ? 2000 : 100_000))
/** Records per normalized batch (the pipeline's default is 1000). */
const batchRows = Number(argValue("batch-rows") ?? 1000)
/** `--otel URL`: the run's traces and metrics to this OTLP/HTTP endpoint (what telemetry costs when on). */
const otel = argValue("otel")
const databaseUrl = process.env["DATABASE_URL"] || undefined
/** `--optimizing-compiler`: the embedded database's WASM recompiled by TurboFan (faster, ~90 MB more). */
const optimizingCompiler = process.argv.includes("--optimizing-compiler")


interface BaselineRun {
  readonly rows: number
  readonly pages: number
  readonly seconds: number
  readonly cpuSeconds: number
  readonly peakRssMb: number
  readonly database: string
}

const isBaselineRun = (u: unknown): u is BaselineRun =>
  typeof u === "object" && u !== null && "rows" in u && typeof u.rows === "number" && "pages" in u &&
  typeof u.pages === "number" && "seconds" in u && typeof u.seconds === "number" && "cpuSeconds" in u && typeof u.cpuSeconds === "number" && "peakRssMb" in u &&
  typeof u.peakRssMb === "number" && "database" in u && typeof u.database === "string"

/** bench/baseline.ts in a child process (DATABASE_URL is inherited); its last stdout line is JSON. */
const runBaseline = (demo: { baseUrl: string; token: string }, dataDir: string | undefined): Promise<BaselineRun> =>
  new Promise((resolve, reject) => {
    const args = ["--import", "tsx", path.join(root, "bench/baseline.ts"), "--base-url", demo.baseUrl, "--token", demo.token]
    if (dataDir !== undefined) args.push("--data-dir", dataDir)
    const child = spawn(process.execPath, args, { cwd: root, stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => {
      out += chunk
    })
    child.on("error", reject)
    child.on("close", (code) => {
      const last = out.trim().split("\n").at(-1) ?? ""
      let parsed: unknown
      try {
        parsed = JSON.parse(last)
      } catch {
        parsed = undefined
      }
      if (code === 0 && isBaselineRun(parsed)) resolve(parsed)
      else reject(new Error(`baseline exited with code ${code}`))
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

/**
 * The embedded database's own process (not counted in our RSS, as a server's memory is not):
 * its peak RSS and its CPU seconds so far, read with `ps` every second (undefined where `ps`
 * is missing). CPU time says more than wall time on a busy machine.
 */
let databasePeakKb: number | undefined
let databaseCpuSeconds: number | undefined
const databaseSampler = setInterval(() => {
  execFile("ps", ["-o", "rss=,times=,args=", "--ppid", String(process.pid)], (error, out) => {
    if (error !== null) return
    for (const line of out.split("\n")) {
      if (!line.includes("rest-connector embedded database")) continue
      const [rss, cpu] = line.trim().split(/\s+/).map(Number)
      if (Number.isFinite(rss)) databasePeakKb = Math.max(databasePeakKb ?? 0, rss)
      if (Number.isFinite(cpu)) databaseCpuSeconds = Math.max(databaseCpuSeconds ?? 0, cpu)
    }
  })
}, 1000)

const main = async () => {
  const demo = await startDemo(rows)
  const dataDir = databaseUrl === undefined ? await mkdtemp(path.join(tmpdir(), "rc-bench-")) : undefined
  /** The baseline's runs (before and after ours); a failed run leaves the ratio `na`. */
  const baselines: Array<BaselineRun> = []
  let baselineFailed = false
  const timeBaseline = async (): Promise<void> => {
    // A PGlite of its own each time: the baseline creates its tables in `public`.
    const dir = databaseUrl === undefined ? await mkdtemp(path.join(tmpdir(), "rc-bench-baseline-")) : undefined
    try {
      baselines.push(await runBaseline(demo, dir))
    } catch (e) {
      baselineFailed = true
      console.error(`baseline failed: ${e instanceof Error ? e.message : String(e)}`)
      process.exitCode = 1
    } finally {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true })
    }
  }
  if (withBaseline) await timeBaseline()
  const dataset = `bench_${Date.now().toString(36)}`
  const database = Embedded.databaseLayer({ databaseUrl, dataDir, optimizingCompiler })
  try {
    const info = await Effect.gen(function*() {
      // The seed connector (examples/analytics, with its Schemas), bundled in: no TypeScript
      // loader in this process, so the memory measured is the pipeline's.
      const source = yield* RestApiSource.make({ ...analytics, client: { ...analytics.client, base_url: demo.baseUrl } })
      const started = performance.now()
      const cpu = process.cpuUsage()
      const run = Pipeline.run(source, { dataset, batchRows })
      const result = yield* (otel === undefined ? run : Effect.provide(run, Otlp.layer({ endpoint: otel }).pipe(Layer.provide(FetchHttpClient.layer))))
      const seconds = (performance.now() - started) / 1000
      const used = process.cpuUsage(cpu)
      const cpuSeconds = (used.user + used.system) / 1e6
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`DROP SCHEMA IF EXISTS "${dataset}" CASCADE`)
      return { result, seconds, cpuSeconds }
    }).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["ANALYTICS_API_KEY", demo.token]]))),
      // As the CLI: COPY staging on a server, json_to_recordset on the embedded database.
      Effect.provide(
        Layer.mergeAll(Postgres.layer, ApiClient.layer.pipe(Layer.provide(UndiciHttpClient.layer))).pipe(
          Layer.provideMerge(database)
        )
      ),
      Effect.runPromise
    )
    clearInterval(sampler)
    clearInterval(databaseSampler)
    peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024)
    const { result, seconds, cpuSeconds } = info
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
    if (databasePeakKb !== undefined) {
      console.log(
        `the embedded database's own process: peak RSS ${(databasePeakKb / 1024).toFixed(0)} MB, cpu ${
          databaseCpuSeconds ?? "na"
        } s (whole seconds, sampled each second; not counted above)`
      )
    }
    console.log(`records ${records} (${(records / seconds).toFixed(0)}/s), rows ${totalRows} (${(totalRows / seconds).toFixed(0)}/s), pages ${pages} (${(pages / seconds).toFixed(1)}/s), peak RSS ${peakMb.toFixed(0)} MB`)
    // CPU of this process (all its threads): wall time on a busy or shared machine varies, this less so.
    console.log(`cpu ${cpuSeconds.toFixed(2)} s for ${seconds.toFixed(2)} s wall`)
    const oursPerS = totalRows / seconds
    let baselinePerS = "na"
    let ratio = "na"
    if (withBaseline) await timeBaseline()
    if (withBaseline && !baselineFailed && baselines.length === 2) {
      for (const [i, baseline] of baselines.entries()) {
        console.log(
          `baseline ${i === 0 ? "before" : "after"} ours (fetch + JSON.parse + COPY per 20 pages, child process, ${
            baseline.database === "server" ? "same Postgres server, own schema" : "its own PGlite"
          }): ${baseline.rows} records = ${baseline.rows} rows (nested values as jsonb) in ${
            baseline.seconds.toFixed(2)
          } s (cpu ${baseline.cpuSeconds.toFixed(2)} s), ${(baseline.rows / baseline.seconds).toFixed(0)} records/s, ${
            (baseline.pages / baseline.seconds).toFixed(1)
          } pages/s, peak RSS ${baseline.peakRssMb} MB`
        )
        if (baseline.rows !== records) console.error(`baseline loaded ${baseline.rows} records, we loaded ${records}`)
      }
      // Same source data: the baseline loaded what we loaded, in (the mean of) its seconds.
      const baselineSeconds = (baselines[0].seconds + baselines[1].seconds) / 2
      const equivalent = totalRows / baselineSeconds
      baselinePerS = equivalent.toFixed(0)
      ratio = (oursPerS / equivalent).toFixed(3)
      console.log(
        `ours vs baseline on the same ${records} records: ${seconds.toFixed(2)} s vs ${baselineSeconds.toFixed(2)} s (mean of ${
          baselines[0].seconds.toFixed(2)
        } and ${baselines[1].seconds.toFixed(2)}), ${(records / seconds).toFixed(0)} vs ${
          (records / baselineSeconds).toFixed(0)
        } records/s, ratio ${ratio}`
      )
    }
    console.log(
      `bench: rows=${totalRows} rows_per_s=${oursPerS.toFixed(0)} baseline_rows_per_s=${baselinePerS} ratio=${ratio} peak_rss_mb=${
        peakMb.toFixed(0)
      }`
    )
  } finally {
    demo.stop()
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  }
}

await main()
