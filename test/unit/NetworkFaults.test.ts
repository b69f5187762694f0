/**
 * Network failures are reported as they happened, with the resource, the redacted URL and the
 * attempts: a connection that breaks in the middle of a body, a body that stalls past the
 * timeout, and a refused connection. Against a real server on 127.0.0.1.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Stream } from "effect"
import { createServer, type Server } from "node:http"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as UndiciHttpClient from "../../src/internal/http/undiciHttpClient.js"
import * as RestApiSource from "../../src/internal/extract/source.js"

const Live = ApiClient.layer.pipe(Layer.provide(UndiciHttpClient.layer))

/** `/reset`: headers and half a body, then the socket is destroyed. `/stall`: headers, half a body, then nothing. */
const faultyServer = Effect.acquireRelease(
  Effect.promise(() =>
    new Promise<{ readonly url: string; readonly server: Server }>((resolve) => {
      const server = createServer((req, res) => {
        res.writeHead(200, { "content-type": "application/json", "content-length": "1000" })
        res.write(`{"data": [{"id": 1}`)
        if (req.url?.startsWith("/reset")) setTimeout(() => res.socket?.destroy(), 20)
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        resolve({ url: `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}/`, server })
      })
    })
  ),
  ({ server }) => Effect.promise(() => new Promise<void>((done) => {
    server.closeAllConnections()
    server.close(() => done())
  }))
)

const failureOf = (baseUrl: string, path: string, client: Record<string, unknown> = {}) =>
  Effect.gen(function*() {
    const source = yield* RestApiSource.make({
      client: { base_url: baseUrl, retry: { max_retries: 1, backoff_factor: 0 }, timeout: 0.5, ...client },
      resources: [{ name: "items", endpoint: { path, paginator: "single_page", params: { api_key: "k-secret-1" } } }]
    })
    const result = yield* Effect.either(source.records("items").pipe(Stream.runCollect, Effect.provide(Live)))
    if (Either.isRight(result) || result.left._tag !== "ApiError") return yield* Effect.dieMessage("expected an ApiError")
    return result.left
  })

describe("network failures say what happened", () => {
  it.live("a connection that breaks in the middle of the body", () =>
    Effect.scoped(Effect.gen(function*() {
      const { url } = yield* faultyServer
      const error = yield* failureOf(url, "reset")
      expect(error.reason).toBe("Transport")
      expect(error.attempts).toBe(2)
      expect(error.message).toContain("resource 'items'")
      expect(error.message).toContain("HTTP 200 the headers came, then the connection broke while the body was being read")
      expect(error.message).toContain("api_key=***")
      expect(error.message).not.toContain("k-secret-1")
    })))

  it.live("a body that stalls past client.timeout", () =>
    Effect.scoped(Effect.gen(function*() {
      const { url } = yield* faultyServer
      const error = yield* failureOf(url, "stall")
      expect(error.reason).toBe("Timeout")
      // When the deadline fell after the headers, the message also says the body stopped arriving.
      expect(error.message).toContain("no complete response within 500ms (client.timeout)")
      expect(error.message).not.toContain("Decode")
      expect(error.attempts).toBe(2)
    })))

  // (A DNS failure is not tried: tests stay on loopback.)
  it.live("a refused connection names the address", () =>
    Effect.gen(function*() {
      const refused = yield* failureOf("http://127.0.0.1:1/", "items")
      expect(refused.reason).toBe("Transport")
      expect(refused.message).toContain("ECONNREFUSED")
      expect(refused.message).toContain("127.0.0.1:1")
    }))
})
