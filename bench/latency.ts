/**
 * The latency benchmark (issue 14): real APIs answer a page in 100-500 ms, so the page chain,
 * not the CPU, decides how long a sync takes. A loopback API here answers every page after
 * 100 ms and, like real APIs, answers 429 (Retry-After: 1) to any request above 16 in flight.
 * Three resources, pages of 100: `offset` with a total (20 000 records), `page_number` with a
 * GitHub-style `Link: rel="last"` (20 000 records) and `cursor` (2 000 records), into the
 * Postgres server (DATABASE_URL; else the embedded database).
 *
 * It prints our time beside two floors that one-page-at-a-time loaders cannot beat: the
 * sequential floor (every page × latency: dlt's default) and the per-resource floor (the
 * largest resource's pages × latency: dlt with parallelized=True), and beside our own run with
 * `concurrency: 1` on every paginator. The last line is machine-readable:
 *   latency: records=N seconds=S sequential_floor_s=F resource_floor_s=R speedup=F/S throttles=T max_in_flight=M
 *
 *   npm run bench:latency [-- --latency-ms 100] [--server-limit 16] [--concurrency N] [--scale N] [--no-sequential]
 */
import * as SqlClient from "@effect/sql/SqlClient"
import { Effect, Layer } from "effect"
import * as http from "node:http"
import { argValue } from "./demoProcess.js"
import type { RestApiConfig } from "../src/internal/config/schema.js"
import * as RestApiSource from "../src/internal/extract/source.js"
import * as ApiClient from "../src/internal/http/apiClient.js"
import * as UndiciHttpClient from "../src/internal/http/undiciHttpClient.js"
import * as Embedded from "../src/internal/load/embedded.js"
import * as Postgres from "../src/internal/load/postgresDestination.js"
import * as Pipeline from "../src/internal/pipeline/pipeline.js"

const latencyMs = Number(argValue("latency-ms") ?? 100)
/** `--server-limit N`: the API's 429 threshold (16 by default: our default max_concurrency; lower it to see the limit adapt). */
const serverLimit = Number(argValue("server-limit") ?? 16)
const perPage = 100
/** `--scale N` multiplies every resource's records (memory with parallel pages must stay flat). */
const scale = Number(argValue("scale") ?? 1)
const sizes = { offset_items: 20_000 * scale, page_items: 20_000 * scale, cursor_items: 2_000 * scale } as const
const databaseUrl = process.env["DATABASE_URL"] || undefined

/** The API: counts requests in flight (the most at once, and how many were refused). */
const startApi = async () => {
  const stats = { inFlight: 0, maxInFlight: 0, refused: 0, requests: 0 }
  const record = (resource: string, i: number) => ({ id: `${resource}-${i}`, n: i, name: `item ${i}`, tags: ["a", "b"] })
  const page = (resource: keyof typeof sizes, from: number) =>
    Array.from({ length: Math.max(0, Math.min(perPage, sizes[resource] - from)) }, (_, k) => record(resource, from + k))
  const server = http.createServer((req, res) => {
    stats.requests++
    stats.inFlight++
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight)
    const refused = stats.inFlight > serverLimit
    setTimeout(() => {
      stats.inFlight--
      if (refused) {
        stats.refused++
        res.writeHead(429, { "retry-after": "1", "content-type": "application/json" }).end("{\"error\":\"too many requests in flight\"}")
        return
      }
      const url = new URL(req.url ?? "/", "http://x")
      const json = (body: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(200, { "content-type": "application/json", ...headers }).end(JSON.stringify(body))
      if (url.pathname === "/offset") {
        const offset = Number(url.searchParams.get("offset") ?? 0)
        return json({ data: page("offset_items", offset), total: sizes.offset_items })
      }
      if (url.pathname === "/pages") {
        const n = Number(url.searchParams.get("page") ?? 1)
        const last = Math.ceil(sizes.page_items / perPage)
        const link = (p: number, rel: string) => `<http://${req.headers.host}/pages?per_page=${perPage}&page=${p}>; rel="${rel}"`
        const links = n < last ? [link(n + 1, "next"), link(last, "last")] : []
        return json(page("page_items", (n - 1) * perPage), links.length > 0 ? { link: links.join(", ") } : {})
      }
      if (url.pathname === "/cursor") {
        const at = Number(url.searchParams.get("cursor") ?? 0)
        const next = at + perPage < sizes.cursor_items ? String(at + perPage) : null
        return json({ data: page("cursor_items", at), next })
      }
      res.writeHead(404).end()
    }, latencyMs)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  return { baseUrl: `http://127.0.0.1:${port}/`, stats, close: () => new Promise<void>((resolve) => server.close(() => resolve())) }
}

const config = (baseUrl: string, concurrency: number | undefined): RestApiConfig => {
  const pagesAtOnce = concurrency === undefined ? {} : { concurrency }
  return {
  client: { base_url: baseUrl, retry: { status_codes: [429], max_retries: 10 } },
  resource_defaults: { primary_key: "id", write_disposition: "merge" },
  resources: [
    {
      name: "offset_items",
      endpoint: { path: "offset", data_selector: "data", paginator: { type: "offset", limit: perPage, total_path: "total", ...pagesAtOnce } }
    },
    {
      name: "page_items",
      endpoint: { path: "pages", data_selector: "$", params: { per_page: perPage }, paginator: { type: "header_link", ...pagesAtOnce } }
    },
    {
      name: "cursor_items",
      endpoint: { path: "cursor", data_selector: "data", paginator: { type: "cursor", cursor_path: "next", cursor_param: "cursor" } }
    }
  ]
  }
}

const run = async (concurrency: number | undefined) => {
  const api = await startApi()
  const dataset = `latency_${Date.now().toString(36)}`
  try {
    const result = await Effect.gen(function*() {
      const source = yield* RestApiSource.make(config(api.baseUrl, concurrency))
      const started = performance.now()
      const outcome = yield* Pipeline.run(source, { dataset })
      const seconds = (performance.now() - started) / 1000
      const sql = yield* SqlClient.SqlClient
      yield* sql.unsafe(`DROP SCHEMA IF EXISTS "${dataset}" CASCADE`)
      return { outcome, seconds }
    }).pipe(
      Effect.provide(
        Layer.mergeAll(Postgres.layer, ApiClient.layer.pipe(Layer.provide(UndiciHttpClient.layer))).pipe(
          Layer.provideMerge(Embedded.databaseLayer({ databaseUrl }))
        )
      ),
      Effect.runPromise
    )
    const records = result.outcome.resources.reduce((n, r) => n + r.rows, 0)
    for (const r of result.outcome.resources) if (r.error !== undefined) console.error(`${r.resource}: ${r.error.message}`)
    return { ...result, records, stats: { ...api.stats } }
  } finally {
    await api.close()
  }
}

const main = async () => {
  const pages = Object.fromEntries(Object.entries(sizes).map(([name, n]) => [name, Math.ceil(n / perPage)]))
  const allPages = Object.values(pages).reduce((a, b) => a + b, 0)
  const sequentialFloor = (allPages * latencyMs) / 1000
  const resourceFloor = (Math.max(...Object.values(pages)) * latencyMs) / 1000
  const expected = Object.values(sizes).reduce((a, b) => a + b, 0)
  console.log(
    `${allPages} pages of ${perPage} (${Object.entries(pages).map(([k, v]) => `${k} ${v}`).join(", ")}), ${latencyMs} ms each, ` +
      `429 above ${serverLimit} in flight, into ${databaseUrl === undefined ? "the embedded database" : "a Postgres server"}`
  )
  // `--concurrency N`: pages in flight per endpoint (default: the paginators' own default).
  const given = argValue("concurrency")
  const ours = await run(given === undefined ? undefined : Number(given))
  const ok = ours.records === expected && !ours.outcome.failed
  console.log(
    `ours: ${ours.records} records in ${ours.seconds.toFixed(2)} s; ${ours.stats.requests} requests, ${ours.stats.refused} answered 429 (all retried: ${ok}), ` +
      `at most ${ours.stats.maxInFlight} in flight`
  )
  if (!process.argv.includes("--no-sequential")) {
    const one = await run(1)
    console.log(`ours with concurrency: 1 on every paginator: ${one.seconds.toFixed(2)} s, ${one.stats.refused} answered 429, at most ${one.stats.maxInFlight} in flight`)
  }
  console.log(`floors: sequential (dlt's default) ${sequentialFloor.toFixed(1)} s; per resource (dlt parallelized=True) ${resourceFloor.toFixed(1)} s`)
  const speedup = sequentialFloor / ours.seconds
  console.log(
    `latency: records=${ours.records} seconds=${ours.seconds.toFixed(2)} sequential_floor_s=${sequentialFloor.toFixed(1)} ` +
      `resource_floor_s=${resourceFloor.toFixed(1)} speedup=${speedup.toFixed(1)} throttles=${ours.stats.refused} max_in_flight=${ours.stats.maxInFlight}`
  )
  console.log(`peak RSS of this process (the API and ours): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)
  if (!ok) process.exitCode = 1
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
