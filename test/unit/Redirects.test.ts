/**
 * Redirects followed as Python's requests follows them, through a resource, against a real
 * server on 127.0.0.1: every redirect status, a POST turned into a GET (303, 302, 301) or kept
 * (307, 308), and a loop or too long a chain failing with the resource and the redacted URL.
 */
import { assert, describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Layer, Stream } from "effect"
import * as RestApiSource from "../../src/internal/extract/source.js"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as UndiciHttpClient from "../../src/internal/http/undiciHttpClient.js"
import { recordingServer, reply } from "../support/recordingServer.js"

const Live = ApiClient.layer.pipe(Layer.provide(UndiciHttpClient.layer))

/**
 * `/moved/<status>/<n>`: that status, n times, then `/data`. `/loop`: to itself. `/data`: one
 * record saying how it was asked for.
 */
const api = recordingServer((request, res) => {
  const url = new URL(request.path, "http://x")
  const [, route, status, n] = url.pathname.split("/")
  if (route === "moved") {
    const left = Number(n)
    const next = left > 1 ? `/moved/${status}/${left - 1}` : "/data?from=redirect"
    return reply(res, Number(status), { moved: true }, { location: next })
  }
  if (route === "loop") return reply(res, 302, undefined, { location: "/loop?api_key=k-secret-7" })
  if (route === "nowhere") return reply(res, 301, { moved: "but where?" })
  reply(res, 200, [{ method: request.method, body: request.body, contentType: request.headers["content-type"] ?? null }])
})

const run = (source: RestApiSource.RestApiSource, name: string) =>
  Effect.either(source.records(name).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray), Effect.provide(Live)))

const resource = (name: string, path: string, extra: Record<string, unknown> = {}) => ({
  name,
  endpoint: { path, paginator: "single_page" as const, ...extra }
})

describe("redirects", () => {
  it.live("301, 302, 303, 307 and 308 are followed for a GET, several in a row", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* api
      const codes = [301, 302, 303, 307, 308]
      const source = yield* RestApiSource.make({
        client: { base_url: server.origin },
        resources: codes.map((code) => resource(`r${code}`, `moved/${code}/3`))
      })
      for (const code of codes) {
        const records = yield* run(source, `r${code}`)
        assert(Either.isRight(records), `HTTP ${code}`)
        expect(records.right).toEqual([{ method: "GET", body: "", contentType: null }])
      }
      // Each resource: three redirects, then the data.
      expect(server.seen.filter((s) => s.path === "/data?from=redirect")).toHaveLength(5)
      expect(server.seen).toHaveLength(20)
    })))

  it.live("a POST goes on as a GET without its body after 303, 302 and 301, and as the same POST after 307 and 308", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* api
      const codes = [301, 302, 303, 307, 308]
      const source = yield* RestApiSource.make({
        client: { base_url: server.origin },
        resources: codes.map((code) => resource(`p${code}`, `moved/${code}/1`, { method: "POST", json: { q: code } }))
      })
      const seen: Record<number, unknown> = {}
      for (const code of codes) {
        const records = yield* run(source, `p${code}`)
        assert(Either.isRight(records), `HTTP ${code}`)
        seen[code] = records.right[0]
      }
      const asGet = { method: "GET", body: "", contentType: null }
      expect(seen[301]).toEqual(asGet)
      expect(seen[302]).toEqual(asGet)
      expect(seen[303]).toEqual(asGet)
      expect(seen[307]).toEqual({ method: "POST", body: `{"q":307}`, contentType: "application/json" })
      expect(seen[308]).toEqual({ method: "POST", body: `{"q":308}`, contentType: "application/json" })
    })))

  it.live("a redirect loop fails after client.max_redirects, naming the resource, the redacted URLs and the loop", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* api
      const source = yield* RestApiSource.make({
        client: { base_url: server.origin, max_redirects: 3, auth: { type: "api_key", name: "api_key", api_key: "k-secret-7", location: "query" } },
        resources: [resource("looping", "loop")]
      })
      const result = yield* run(source, "looping")
      assert(Either.isLeft(result) && result.left._tag === "ApiError")
      expect(result.left.reason).toBe("TooManyRedirects")
      expect(result.left.attempts).toBe(1)
      expect(result.left.message).toContain("resource 'looping'")
      expect(result.left.message).toContain("more than 3 redirects (client.max_redirects), a redirect loop")
      expect(result.left.message).toContain(`${server.origin}/loop?api_key=***`)
      expect(result.left.message).not.toContain("k-secret-7")
      // The request and three redirects; the fourth is not followed.
      expect(server.seen).toHaveLength(4)
    })))

  it.live("the default limit is requests' 30; a longer chain fails, a 3xx without Location is the response", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* api
      const source = yield* RestApiSource.make({
        client: { base_url: server.origin },
        resources: [resource("thirty", "moved/302/30"), resource("thirtyone", "moved/302/31"), resource("nowhere", "nowhere")]
      })
      assert(Either.isRight(yield* run(source, "thirty")))
      const tooMany = yield* run(source, "thirtyone")
      assert(Either.isLeft(tooMany) && tooMany.left._tag === "ApiError")
      expect(tooMany.left.message).toContain("more than 30 redirects (client.max_redirects)")
      expect(tooMany.left.message).not.toContain("loop")
      const nowhere = yield* run(source, "nowhere")
      assert(Either.isLeft(nowhere) && nowhere.left._tag === "ApiError")
      expect(nowhere.left.reason).toBe("Status")
      expect(nowhere.left.status).toBe(301)
    })))

  it.live("client.max_redirects 0 follows none", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* api
      const source = yield* RestApiSource.make({ client: { base_url: server.origin, max_redirects: 0 }, resources: [resource("once", "moved/307/1")] })
      const result = yield* run(source, "once")
      assert(Either.isLeft(result) && result.left._tag === "ApiError")
      expect(result.left.message).toContain(`a redirect was not followed (client.max_redirects is 0): ${server.origin}/moved/307/1 -> ${server.origin}/data?from=redirect`)
      expect(server.seen).toHaveLength(1)
    })))
})
