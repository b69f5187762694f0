/**
 * npm run bench:phases [-- --rows N] [--phase fetch|http|api|pages|decode|normalize]
 * Where the extraction time goes: the seed connector's three resources are read from the demo
 * API (a separate process) in growing slices of the pipeline, with no database, and each slice
 * prints its wall and CPU time:
 *   fetch      plain `fetch` + JSON.parse (what the baseline's HTTP side costs)
 *   http       @effect/platform-node's undici HttpClient + JSON.parse (for comparison)
 *   api        our ApiClient (auth, timeout, retry policy, response checks) over our UndiciHttpClient
 *   pages      Resource.pages: paginator, data selector, stream (no Schema)
 *   decode     the same with the example's Schemas
 *   normalize  the same plus the normalizer (rows for the root and child tables)
 * Run under `node --cpu-prof` to profile one slice.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as UndiciHttpClient from "../src/internal/http/undiciHttpClient.js"
import { ConfigProvider, Effect, Either, Layer, Stream } from "effect"
import analytics from "../examples/analytics/analytics.js"
import { argValue, startDemo } from "./demoProcess.js"
import * as ApiClient from "../src/internal/http/apiClient.js"
import * as Normalizer from "../src/internal/normalize/normalizer.js"
import * as RestApiSource from "../src/internal/extract/source.js"

const rows = Number(argValue("rows") ?? 100_000)
const only = argValue("phase")

/** Path and data selector of each resource, as examples/analytics declares them. */
const endpoints = [
  { resource: "appointment_links", path: "appointmentlinks/me", selector: "data" },
  { resource: "code_snippets", path: "codesnippets", selector: "results" },
  { resource: "insights_reports", path: "insightsreports", selector: "results" }
] as const


/** The page's records and cursor, or undefined when the body is not a page of the demo API. */
const readPage = (body: unknown, selector: string): { records: number; next: string | undefined } | undefined => {
  if (typeof body !== "object" || body === null) return undefined
  const records: unknown = Reflect.get(body, selector)
  const next: unknown = Reflect.get(body, "next")
  const hasNext: unknown = Reflect.get(body, "hasNext")
  if (!Array.isArray(records)) return undefined
  return { records: records.length, next: hasNext === true && typeof next === "string" ? next : undefined }
}

const demo = await startDemo(rows)
const secrets = ConfigProvider.fromMap(new Map([["ANALYTICS_API_KEY", demo.token]]))

const time = async (label: string, run: () => Promise<number>) => {
  const started = performance.now()
  const cpu = process.cpuUsage()
  const records = await run()
  const seconds = (performance.now() - started) / 1000
  const used = process.cpuUsage(cpu)
  console.log(
    `${label.padEnd(34)} ${seconds.toFixed(2).padStart(6)} s wall ${((used.user + used.system) / 1e6).toFixed(2).padStart(6)} s cpu  ${records} records`
  )
}

/** Follows one resource's cursor pages with `get`, counting records. */
const follow = async (get: (url: URL) => Promise<unknown>, path: string, selector: string): Promise<number> => {
  let records = 0
  let cursor: string | undefined
  for (;;) {
    const url = new URL(path, demo.baseUrl)
    url.searchParams.set("limit", "50")
    if (cursor !== undefined) url.searchParams.set("next", cursor)
    const page = readPage(await get(url), selector)
    if (page === undefined) throw new Error(`${url}: not a page`)
    records += page.records
    if (page.next === undefined) return records
    cursor = page.next
  }
}

const sum = (ns: ReadonlyArray<number>) => ns.reduce((a, b) => a + b, 0)

const plainFetch = async () =>
  sum(
    await Promise.all(endpoints.map((e) =>
      follow(async (url) => JSON.parse(await (await fetch(url, { headers: { "X-API-Token": demo.token } })).text()), e.path, e.selector)
    ))
  )

const effectHttp = () =>
  Effect.gen(function*() {
    const http = (yield* HttpClient.HttpClient).pipe(HttpClient.withTracerPropagation(false), HttpClient.withTracerDisabledWhen(() => true))
    const get = (url: URL) =>
      Effect.runPromise(
        http.execute(HttpClientRequest.get(url.toString()).pipe(HttpClientRequest.setHeader("X-API-Token", demo.token))).pipe(
          Effect.flatMap((response) => response.text),
          Effect.map((text): unknown => JSON.parse(text))
        )
      )
    return sum(yield* Effect.promise(() => Promise.all(endpoints.map((e) => follow(get, e.path, e.selector)))))
  }).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.runPromise)

const source = (schemas: boolean) => {
  const client = { ...analytics.client, base_url: demo.baseUrl }
  return RestApiSource.make(
    schemas
      ? { ...analytics, client }
      : { ...analytics, client, resources: analytics.resources.map(({ schema: _schema, ...resource }) => resource) }
  ).pipe(Effect.withConfigProvider(secrets))
}

const apiLayer = ApiClient.layer.pipe(Layer.provide(UndiciHttpClient.layer))

const apiClient = () =>
  Effect.gen(function*() {
    const src = yield* source(false)
    const counts = yield* Effect.forEach(endpoints, (e) =>
      Effect.gen(function*() {
        const client = yield* Effect.flatMap(ApiClient.ApiClient, (clients) => clients.forSource(src.spec))
        let records = 0
        let cursor: string | undefined
        for (let page = 0;; page++) {
          const params: Record<string, string> = cursor === undefined ? { limit: "50" } : { limit: "50", next: cursor }
          const response = yield* client.request({ resource: e.resource, page, method: "GET", url: e.path, params, headers: {} })
          const read = readPage(response.body, e.selector)
          if (read === undefined) return yield* Effect.dieMessage(`${e.path}: not a page`)
          records += read.records
          if (read.next === undefined) return records
          cursor = read.next
        }
      }), { concurrency: "unbounded" })
    return sum(counts)
  }).pipe(Effect.provide(apiLayer), Effect.runPromise)

const pages = (schemas: boolean, normalize: boolean) => () =>
  Effect.gen(function*() {
    const src = yield* source(schemas)
    const counts = yield* Effect.forEach(src.spec.resources, (resource) => {
      const normalizer = Normalizer.make({ rootTable: resource.name, loadId: "1", disposition: "merge", primaryKey: ["id"] })
      let records = 0
      // No Stream.buffer: the pipeline has none either (see Pipeline.ts).
      return src.pages(resource).pipe(
        Stream.runForEach((page) =>
          Effect.suspend(() => {
            if (normalize) {
              const batch = normalizer.normalize(page.records, records)
              if (Either.isLeft(batch)) return Effect.die(batch.left)
            }
            records += page.records.length
            return Effect.void
          })
        ),
        Effect.map(() => records)
      )
    }, { concurrency: "unbounded" })
    return sum(counts)
  }).pipe(Effect.provide(apiLayer), Effect.runPromise)

const phases: ReadonlyArray<readonly [string, string, () => Promise<number>]> = [
  ["fetch", "plain fetch + JSON.parse", plainFetch],
  ["http", "Effect HttpClient + JSON.parse", effectHttp],
  ["api", "ApiClient.request", apiClient],
  ["pages", "Resource.pages, no Schema", pages(false, false)],
  ["decode", "Resource.pages + Schema", pages(true, false)],
  ["normalize", "Resource.pages + Schema + normalizer", pages(true, true)]
]

try {
  console.log(`${rows.toLocaleString("en-US")} records per resource, 3 resources, pages of 50`)
  for (const [name, label, run] of phases) if (only === undefined || only === name) await time(label, run)
} finally {
  demo.stop()
}
