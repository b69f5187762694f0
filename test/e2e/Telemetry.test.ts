/**
 * A run with OTLP telemetry on, against a loopback OTLP/HTTP receiver: its spans form the tree
 * run → resource (a child resource under its parent's) → page → HTTP attempt, each commit under
 * its resource, with their attributes; the metrics exported when the layer closes count exactly
 * what the run did. Telemetry off, nothing is sent and no per-page span is made.
 */
import { expect, layer } from "@effect/vitest"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer } from "effect"
import * as Tracer from "effect/Tracer"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as RestApiSource from "../../src/internal/extract/source.js"
import * as Pipeline from "../../src/internal/pipeline/pipeline.js"
import * as OpenTelemetry from "../../src/OpenTelemetry.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { serveJson } from "../support/loopback.js"
import { otlpReceiver, pointsOf, type ReceivedSpan, sortTree, treeOf } from "../support/otlpReceiver.js"

/** Resource names unique to each run: metrics are cumulative for the process. */
let runs = 0
const names = () => {
  const n = `${Date.now().toString(36)}${runs++}`
  return { users: `users_${n}`, posts: `posts_${n}` }
}

/** Users on two pages (the second answers 503 once), one post per user; the bytes of every response. */
const api = Effect.gen(function*() {
  let secondPageCalls = 0
  const bytes = { users: 0, posts: 0 }
  const server = yield* serveJson((url) => {
    const reply = (() => {
      if (url.pathname === "/users" && url.searchParams.get("page") !== "2") {
        return { body: { items: [{ id: 1, tags: ["a", "b"] }, { id: 2, tags: [] }], next: "/users?page=2" } }
      }
      if (url.pathname === "/users") {
        secondPageCalls += 1
        return secondPageCalls === 1 ? { status: 503, body: { error: "busy" } } : { body: { items: [{ id: 3, tags: ["c"] }], next: null } }
      }
      const user = Number(url.pathname.split("/")[2])
      return { body: [{ id: user * 10, title: `post of ${user}` }] }
    })()
    bytes[url.pathname === "/users" ? "users" : "posts"] += Buffer.byteLength(JSON.stringify(reply.body))
    return reply
  })
  return { url: server.url, bytes }
})

const config = (baseUrl: string, n: ReturnType<typeof names>) =>
  RestApiSource.defineConfig({
  client: { base_url: baseUrl, retry: { backoff_factor: 0.01, jitter: 0, status_codes: [503] } },
  resources: [
    {
      name: n.users,
      primary_key: "id",
      endpoint: { path: "users", data_selector: "items", paginator: { type: "json_link", next_url_path: "next" } }
    },
    { name: n.posts, primary_key: "id", endpoint: { path: `users/{resources.${n.users}.id}/posts`, paginator: "single_page" } }
  ]
  })

const attr = (span: ReceivedSpan, key: string) => span.attributes[key]

forEachDatabase((target) => {
  const Live = Layer.mergeAll(target.destination, ApiClient.layer.pipe(Layer.provide(NodeHttpClient.layerUndici))).pipe(
    Layer.provideMerge(target.layer)
  )

  layer(Live, { excludeTestServices: true })((it) => {
    it.scoped("a run's spans form the tree run → resource → page → HTTP request, with commits, and its metrics count the run", () =>
      Effect.gen(function*() {
        const receiver = yield* otlpReceiver
        const server = yield* api
        const dataset = yield* freshDataset("otel")
        const n = names()
        const source = yield* RestApiSource.make(config(server.url, n))
        const telemetry = OpenTelemetry.layer({ endpoint: receiver.url, protocol: "http/json" }).pipe(Layer.provide(FetchHttpClient.layer))
        // The layer closes with the run: its last exports are sent then.
        const info = yield* Pipeline.run(source, { dataset }).pipe(Effect.provide(telemetry))
        expect(info.failed, info.resources.map((r) => r.error?.message).join("; ")).toBe(false)

        expect(receiver.requests().map((r) => r.contentType)).toContain("application/json")
        const spans = receiver.spans()
        const roots = spans.filter((s) => s.name === "Pipeline.run")
        expect(roots).toHaveLength(1)
        const run = roots[0]!
        expect(run.parentSpanId).toBeUndefined()
        expect(attr(run, "rest_connector.dataset")).toBe(dataset)
        expect(attr(run, "rest_connector.load_id")).toBe(info.loadId)
        expect(spans.every((s) => s.traceId === run.traceId)).toBe(true)

        // Only our spans (the database driver's own are left out of the picture).
        const ours = new Set(["Pipeline.run", "Pipeline.resource", "ApiClient.page", "GET", "Destination.commit"])
        const page = (...attempts: Array<string>) => ({ name: "ApiClient.page", children: attempts.map((name) => ({ name, children: [] })) })
        const commit = { name: "Destination.commit", children: [] }
        expect(treeOf(spans, run, (s) => ours.has(s.name))).toEqual(sortTree({
          name: "Pipeline.run",
          children: [{
            name: "Pipeline.resource",
            children: [
              commit,
              page("GET"),
              page("GET", "GET"),
              { name: "Pipeline.resource", children: [commit, page("GET"), page("GET"), page("GET")] }
            ]
          }]
        }))

        const resources = spans.filter((s) => s.name === "Pipeline.resource")
        const users = resources.find((s) => attr(s, "rest_connector.resource") === n.users)!
        const posts = resources.find((s) => attr(s, "rest_connector.resource") === n.posts)!
        expect(users.attributes).toMatchObject({
          "rest_connector.table": n.users,
          "rest_connector.rows": 3,
          "rest_connector.pages": 2,
          "rest_connector.requests": 3,
          "rest_connector.retries": 1,
          "rest_connector.status": "committed"
        })
        expect(posts.attributes).toMatchObject({ "rest_connector.parent": n.users, "rest_connector.rows": 3, "rest_connector.retries": 0 })
        expect(posts.parentSpanId).toBe(users.spanId)

        const pages = spans.filter((s) => s.name === "ApiClient.page" && s.parentSpanId === users.spanId)
          .sort((a, b) => Number(attr(a, "rest_connector.page")) - Number(attr(b, "rest_connector.page")))
        expect(pages.map((p) => p.attributes)).toMatchObject([
          { "url.template": "users", "rest_connector.retries": 0, "http.response.status_code": 200, "http.request.method": "GET" },
          { "url.template": "users", "rest_connector.retries": 1, "http.response.status_code": 200 }
        ])
        expect(spans.find((s) => s.name === "ApiClient.page" && s.parentSpanId === posts.spanId)?.attributes["url.template"])
          .toBe(`users/{resources.${n.users}.id}/posts`)
        const retried = spans.filter((s) => s.name === "GET" && s.parentSpanId === pages[1]!.spanId)
        expect(retried.map((s) => attr(s, "http.response.status_code")).sort()).toEqual([200, 503])
        expect(retried.every((s) => s.kind === 3 && String(attr(s, "url.full")).endsWith("/users?page=2"))).toBe(true)

        const points = receiver.points()
        const value = (metric: string, tags: Record<string, string>) => pointsOf(points, metric, tags).map((p) => p.value ?? p.count)
        expect(value("rest_connector.records", { resource: n.users })).toEqual([3])
        expect(value("rest_connector.records", { resource: n.posts })).toEqual([3])
        expect(value("rest_connector.rows", { resource: n.users, table: n.users })).toEqual([3])
        expect(value("rest_connector.rows", { resource: n.users, table: `${n.users}__tags` })).toEqual([3])
        expect(value("rest_connector.rows", { resource: n.posts, table: n.posts })).toEqual([3])
        expect(value("rest_connector.pages", { resource: n.users })).toEqual([2])
        expect(value("rest_connector.pages", { resource: n.posts })).toEqual([3])
        expect(value("rest_connector.http.requests", { resource: n.users, status: "200" })).toEqual([2])
        expect(value("rest_connector.http.requests", { resource: n.users, status: "503" })).toEqual([1])
        expect(value("rest_connector.http.requests", { resource: n.posts, status: "200" })).toEqual([3])
        expect(value("rest_connector.http.retries", { resource: n.users })).toEqual([1])
        expect(value("rest_connector.http.retries", { resource: n.posts })).toEqual([0])
        expect(value("rest_connector.http.response.bytes", { resource: n.users })).toEqual([server.bytes.users])
        expect(value("rest_connector.http.response.bytes", { resource: n.posts })).toEqual([server.bytes.posts])
        expect(value("rest_connector.page.duration", { resource: n.users })).toEqual([2])
        expect(value("rest_connector.page.duration", { resource: n.posts })).toEqual([3])
        expect(value("rest_connector.commit.duration", { resource: n.users })).toEqual([1])
        expect(value("rest_connector.resources", { resource: n.posts, status: "committed" })).toEqual([1])
      }))

    it.scoped("a failed resource's span says so, and counts as failed", () =>
      Effect.gen(function*() {
        const receiver = yield* otlpReceiver
        const server = yield* serveJson(() => ({ status: 404, body: { error: "no such thing" } }))
        const dataset = yield* freshDataset("otel_fail")
        const { users } = names()
        const source = yield* RestApiSource.make({ client: { base_url: server.url }, resources: [{ name: users, endpoint: "missing" }] })
        const telemetry = OpenTelemetry.layer({ endpoint: receiver.url, protocol: "http/json" }).pipe(Layer.provide(FetchHttpClient.layer))
        const info = yield* Pipeline.run(source, { dataset }).pipe(Effect.provide(telemetry))
        expect(info.failed).toBe(true)

        const spans = receiver.spans()
        const resource = spans.find((s) => s.name === "Pipeline.resource")!
        expect(resource.statusCode).toBe(2)
        expect(resource.attributes).toMatchObject({ "rest_connector.status": "failed", "rest_connector.requests": 1, "rest_connector.rows": 0 })
        const page = spans.find((s) => s.name === "ApiClient.page")!
        expect(page.statusCode).toBe(2)
        expect(page.parentSpanId).toBe(resource.spanId)
        expect(spans.find((s) => s.name === "GET" && s.parentSpanId === page.spanId)?.attributes["http.response.status_code"]).toBe(404)
        const points = receiver.points()
        expect(pointsOf(points, "rest_connector.resources", { resource: users, status: "failed" }).map((p) => p.value)).toEqual([1])
        expect(pointsOf(points, "rest_connector.http.requests", { resource: users, status: "404" }).map((p) => p.value)).toEqual([1])
        expect(pointsOf(points, "rest_connector.pages", { resource: users })).toEqual([])
      }))

    it.scoped("with telemetry off a run sends nothing and makes no per-page or per-request span", () =>
      Effect.gen(function*() {
        const server = yield* api
        const dataset = yield* freshDataset("otel_off")
        const source = yield* RestApiSource.make(config(server.url, names()))
        const made: Array<string> = []
        const native = yield* Effect.tracer
        const recording = Tracer.make({
          span: (name, parent, context, links, startTime, kind, options) => {
            made.push(name)
            return native.span(name, parent, context, links, startTime, kind, options)
          },
          context: native.context
        })
        const info = yield* Pipeline.run(source, { dataset }).pipe(Effect.withTracer(recording))
        expect(info.failed).toBe(false)
        expect(made.filter((name) => ["Pipeline.run", "Pipeline.resource", "ApiClient.page", "GET"].includes(name))).toEqual([])
        expect(made).toContain("Destination.commit")
      }))
  })
})
