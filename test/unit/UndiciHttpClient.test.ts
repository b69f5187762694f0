/**
 * Our HttpClient over undici (src/http/UndiciHttpClient.ts), against a real HTTP server on
 * 127.0.0.1 (port 0): what goes on the wire, what comes back, failures, interruption and the
 * whole-exchange deadline the ApiClient relies on instead of `Effect.timeoutFail`.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, expect, it } from "@effect/vitest"
import { Chunk, Context, Deferred, Effect, Either, Fiber, Layer, Stream } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import * as UndiciHttpClient from "../../src/internal/http/undiciHttpClient.js"
import { ApiClient, layer as apiClientLayer } from "../../src/internal/http/apiClient.js"
import { BodyTooLarge, currentExchangeLimits, DeadlineExceeded, ExchangeLimits, withLimits } from "../../src/internal/http/exchangeLimits.js"
import * as RestApiSource from "../../src/internal/extract/source.js"

interface Received {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage["headers"]
  readonly body: string
}

/** A server that records each request and answers by path; `/hang` never answers. */
const serve = Effect.acquireRelease(
  Effect.promise(() =>
    new Promise<{ readonly url: string; readonly received: Array<Received>; readonly closed: Array<string>; readonly close: () => Promise<void> }>(
      (resolve) => {
        const received: Array<Received> = []
        const closed: Array<string> = []
        const server = createServer((req: IncomingMessage, res: ServerResponse) => {
          const chunks: Array<Buffer> = []
          req.on("data", (c: Buffer) => chunks.push(c))
          req.on("close", () => closed.push(req.url ?? ""))
          req.on("end", () => {
            const body = Buffer.concat(chunks).toString("utf8")
            received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body })
            const path = new URL(req.url ?? "/", "http://127.0.0.1").pathname
            if (path === "/hang") return
            if (path === "/cookies") {
              res.setHeader("set-cookie", ["a=1; Path=/", "b=2; HttpOnly"])
              res.setHeader("content-type", "application/x-www-form-urlencoded")
              res.end("x=1&y=two")
              return
            }
            if (path === "/bytes") {
              res.setHeader("content-type", "application/octet-stream")
              res.end(Buffer.from([0, 1, 2, 250, 255]))
              return
            }
            if (path === "/big") {
              res.setHeader("content-type", "application/json")
              res.end(JSON.stringify({ pad: "x".repeat(2000) }))
              return
            }
            if (path === "/chunked") {
              // No Content-Length: the size is only known while reading.
              res.setHeader("content-type", "application/json")
              res.write(`{"pad":"${"y".repeat(1000)}`)
              res.write("y".repeat(1000))
              res.end(`"}`)
              return
            }
            if (path === "/empty") {
              res.statusCode = 204
              res.end()
              return
            }
            res.statusCode = path === "/missing" ? 404 : 200
            res.setHeader("content-type", "application/json")
            res.setHeader("x-page", "7")
            res.end(JSON.stringify({ method: req.method, url: req.url, body, word: "grüße" }))
          })
        })
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          const port = typeof address === "object" && address !== null ? address.port : 0
          resolve({
            url: `http://127.0.0.1:${port}`,
            received,
            closed,
            close: () =>
              new Promise((done) => {
                server.closeAllConnections()
                server.close(() => done())
              })
          })
        })
      }
    )
  ),
  (server) => Effect.promise(() => server.close())
)

const ApiLayer = apiClientLayer.pipe(Layer.provide(UndiciHttpClient.layer))

describe("UndiciHttpClient", () => {
  it.live("sends method, URL params and headers; gives status, headers, text and JSON (UTF-8)", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const http = yield* HttpClient.HttpClient
      const response = yield* http.execute(
        HttpClientRequest.get(`${server.url}/items`).pipe(
          HttpClientRequest.setUrlParams({ limit: "50", next: "a b" }),
          HttpClientRequest.setHeader("X-API-Token", "secret-token")
        )
      )
      expect(response.status).toBe(200)
      expect(response.headers["x-page"]).toBe("7")
      const json = yield* response.json
      expect(json).toMatchObject({ method: "GET", url: "/items?limit=50&next=a+b", word: "grüße" })
      expect(JSON.parse(yield* response.text)).toEqual(json)
      expect(server.received[0].headers["x-api-token"]).toBe("secret-token")
    })).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.live("request bodies: JSON, URL params, text, FormData and a stream, each with its content type", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const http = yield* HttpClient.HttpClient
      const post = HttpClientRequest.post(`${server.url}/echo`)
      yield* http.execute(HttpClientRequest.bodyUnsafeJson(post, { a: 1 }))
      yield* http.execute(HttpClientRequest.bodyUrlParams(post, { q: "x y", n: "1" }))
      yield* http.execute(HttpClientRequest.bodyText(post, "raw text", "text/csv"))
      const form = new FormData()
      form.append("field", "value")
      yield* http.execute(HttpClientRequest.bodyFormData(post, form))
      yield* http.execute(
        HttpClientRequest.bodyStream(post, Stream.make(new TextEncoder().encode("chunk1-"), new TextEncoder().encode("chunk2")))
      )
      const [json, params, text, multipart, streamed] = server.received
      expect(json.body).toBe("{\"a\":1}")
      expect(json.headers["content-type"]).toBe("application/json")
      expect(params.body).toBe("q=x+y&n=1")
      expect(params.headers["content-type"]).toBe("application/x-www-form-urlencoded")
      expect(text.body).toBe("raw text")
      expect(text.headers["content-type"]).toBe("text/csv")
      expect(multipart.headers["content-type"]).toMatch(/^multipart\/form-data; boundary=/)
      expect(multipart.body).toContain("name=\"field\"")
      expect(multipart.body).toContain("value")
      expect(streamed.body).toBe("chunk1-chunk2")
    })).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.live("cookies, URL-encoded and binary bodies, an empty 204, a 404 as a response (not an error)", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const http = yield* HttpClient.HttpClient
      const cookies = yield* http.get(`${server.url}/cookies`)
      expect(cookies.cookies.cookies["a"]?.value).toBe("1")
      expect(cookies.cookies.cookies["b"]?.value).toBe("2")
      expect([...(yield* cookies.urlParamsBody)]).toEqual([["x", "1"], ["y", "two"]])
      expect((yield* cookies.formData).get("y")).toBe("two")
      const bytes = yield* http.get(`${server.url}/bytes`)
      expect([...new Uint8Array(yield* bytes.arrayBuffer)]).toEqual([0, 1, 2, 250, 255])
      const chunks = yield* Stream.runCollect(bytes.stream)
      expect(Chunk.toReadonlyArray(chunks).flatMap((c) => [...c])).toEqual([0, 1, 2, 250, 255])
      const empty = yield* http.get(`${server.url}/empty`)
      expect(empty.status).toBe(204)
      expect(yield* empty.text).toBe("")
      expect(yield* empty.json).toBeNull()
      const missing = yield* http.get(`${server.url}/missing`)
      expect(missing.status).toBe(404)
      const notJson = yield* Effect.either(cookies.json)
      assert(Either.isLeft(notJson))
      expect(notJson.left.reason).toBe("Decode")
    })).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.live("a refused connection and a bad URL are RequestErrors", () =>
    Effect.gen(function*() {
      const http = yield* HttpClient.HttpClient
      // A port that was just free: nothing listens there.
      const server = yield* Effect.scoped(serve)
      const refused = yield* Effect.either(http.get(`${server.url}/x`))
      assert(Either.isLeft(refused))
      assert(refused.left._tag === "RequestError")
      expect(refused.left.reason).toBe("Transport")
      const bad = yield* Effect.either(http.get("not a url"))
      assert(Either.isLeft(bad))
      assert(bad.left._tag === "RequestError")
      expect(bad.left.reason).toBe("InvalidUrl")
    }).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.live("interrupting the fiber aborts the request on the wire", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const http = yield* HttpClient.HttpClient
      const fiber = yield* Effect.fork(http.get(`${server.url}/hang`))
      // Wait until the server holds the request, then interrupt.
      yield* Effect.repeat(Effect.sync(() => server.received.length), { until: (n) => n > 0 })
      yield* Fiber.interrupt(fiber)
      yield* Effect.repeat(Effect.sync(() => server.closed.length), { until: (n) => n > 0 })
      expect(server.closed).toEqual(["/hang"])
    })).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.live("withLimits: our transport enforces the deadline itself; a stalled exchange fails with DeadlineExceeded", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const limited = (yield* HttpClient.HttpClient).pipe(withLimits({ timeout: "100 millis", maxBodyBytes: 1_000_000 }))
      // The transport says it enforced the limits it was given (so no Effect.timeoutFail is raced).
      const limits = new ExchangeLimits(1_000, 1_000_000)
      yield* Effect.locally((yield* HttpClient.HttpClient).get(`${server.url}/ok`), currentExchangeLimits, limits)
      expect(limits.honoured).toBe(true)
      expect((yield* limited.get(`${server.url}/ok`)).status).toBe(200)
      const stalled = yield* Effect.either(limited.get(`${server.url}/hang`))
      assert(Either.isLeft(stalled))
      assert(stalled.left._tag === "RequestError")
      assert(stalled.left.cause instanceof DeadlineExceeded)
      // A wrapper between the middleware and our transport does not take the limits away.
      const wrapped = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk, withLimits({ timeout: "100 millis", maxBodyBytes: 1_000_000 }))
      const wrappedStall = yield* Effect.either(wrapped.get(`${server.url}/hang`))
      assert(Either.isLeft(wrappedStall) && wrappedStall.left._tag === "RequestError")
      expect(wrappedStall.left.cause).toBeInstanceOf(DeadlineExceeded)
    })).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.live("withLimits over the platform's client: the middleware enforces the deadline and the body limit itself", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const limited = (yield* HttpClient.HttpClient).pipe(withLimits({ timeout: "100 millis", maxBodyBytes: 1_500 }))
      const stalled = yield* Effect.either(limited.get(`${server.url}/hang`))
      assert(Either.isLeft(stalled) && stalled.left._tag === "RequestError")
      expect(stalled.left.cause).toBeInstanceOf(DeadlineExceeded)
      for (const path of ["/big", "/chunked"]) {
        const big = yield* Effect.either(limited.get(`${server.url}${path}`))
        assert(Either.isLeft(big) && big.left._tag === "ResponseError", path)
        expect(big.left.cause, path).toBeInstanceOf(BodyTooLarge)
      }
      expect((yield* limited.get(`${server.url}/ok`)).status).toBe(200)
    })).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.live("withLimits over our transport: a body over the limit fails with BodyTooLarge, announced or not", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const limited = (yield* HttpClient.HttpClient).pipe(withLimits({ timeout: "5 seconds", maxBodyBytes: 1_500 }))
      for (const path of ["/big", "/chunked"]) {
        const big = yield* Effect.either(limited.get(`${server.url}${path}`))
        assert(Either.isLeft(big) && big.left._tag === "ResponseError", path)
        expect(big.left.cause, path).toBeInstanceOf(BodyTooLarge)
        expect(String(big.left.cause), path).toContain("client.max_response_bytes")
      }
      const ok = yield* limited.get(`${server.url}/ok`)
      expect(yield* ok.json).toMatchObject({ word: "grüße" })
    })).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.live("the ApiClient over it: a page that takes longer than client.timeout is a Timeout ApiError", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const source = yield* RestApiSource.make({
        client: { base_url: server.url, timeout: 0.1, retry: { max_retries: 0 } },
        resources: [{ name: "slow", endpoint: { path: "hang", paginator: "single_page" } }]
      })
      const result = yield* Effect.either(
        Effect.flatMap(ApiClient, (clients) => clients.forSource(source.spec)).pipe(
          Effect.flatMap((api) => api.request({ resource: "slow", page: 0, method: "GET", url: "hang", params: {}, headers: {} })),
          Effect.provide(ApiLayer)
        )
      )
      assert(Either.isLeft(result))
      expect(result.left.reason).toBe("Timeout")
      expect(result.left.message).toContain("no complete response within 100ms")
    })))

  it.live("the ApiClient over it: a page larger than client.max_response_bytes fails clearly, without retries", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const source = yield* RestApiSource.make({
        client: { base_url: server.url, max_response_bytes: 1_500 },
        resources: [{ name: "big", endpoint: { path: "chunked", paginator: "single_page" } }]
      })
      const result = yield* Effect.either(source.records("big").pipe(Stream.runCollect, Effect.provide(ApiLayer)))
      assert(Either.isLeft(result) && result.left._tag === "ApiError")
      expect(result.left.reason).toBe("TooLarge")
      expect(result.left.attempts).toBe(1)
      expect(result.left.message).toContain("larger than 1500 bytes")
    })))

  it.live("the agent is closed with the layer: requests made after it fail", () =>
    Effect.gen(function*() {
      const escaped = yield* Deferred.make<HttpClient.HttpClient>()
      yield* Effect.scoped(Effect.gen(function*() {
        const context = yield* Layer.build(UndiciHttpClient.layer)
        yield* Deferred.succeed(escaped, Context.get(context, HttpClient.HttpClient))
      }))
      const http = yield* Deferred.await(escaped)
      const after = yield* Effect.either(http.get("http://127.0.0.1:9/"))
      assert(Either.isLeft(after))
      expect(after.left).toBeInstanceOf(HttpClientError.RequestError)
    }))
})
