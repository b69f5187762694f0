/**
 * Compressed response bodies over our undici transport, against a real server on 127.0.0.1:
 * what we ask for, each coding decoded end to end through a resource, and a body whose decoded
 * size passes client.max_response_bytes (a "gzip bomb") stopped with an error that says so.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Layer, Stream } from "effect"
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import { Readable } from "node:stream"
import * as Zlib from "node:zlib"
import * as RestApiSource from "../../src/internal/extract/source.js"
import * as ApiClient from "../../src/internal/http/apiClient.js"
import * as UndiciHttpClient from "../../src/internal/http/undiciHttpClient.js"

const Live = ApiClient.layer.pipe(Layer.provide(UndiciHttpClient.layer))

const encoders: Readonly<Record<string, (body: Buffer) => Buffer>> = {
  gzip: (b) => Zlib.gzipSync(b),
  deflate: (b) => Zlib.deflateSync(b),
  // Some servers send deflate without its zlib wrapper; requests takes it, so do we.
  "deflate-raw": (b) => Zlib.deflateRawSync(b),
  br: (b) => Zlib.brotliCompressSync(b),
  "gzip, br": (b) => Zlib.brotliCompressSync(Zlib.gzipSync(b))
}

/** The coding of each page, in paging order. */
const sequence = ["gzip", "deflate", "deflate-raw", "br", "gzip, br", "identity"]

interface Served {
  readonly url: string
  readonly acceptEncoding: Array<string | undefined>
  /** Whether the bomb's response was cut off before the server finished writing it. */
  readonly bombCutOff: Array<boolean>
}

/**
 * `/page/<i>`: a JSON page compressed with the i-th coding of `sequence`, linking to the next.
 * `/bomb`: a gzip stream of up to 1 GB of zeros, produced only as fast as it is read.
 * `/corrupt`: says gzip, is not. `/stall`, `/reset`: half a gzip body, then nothing or a reset. `/empty`: a 204 that says gzip.
 */
const serve = Effect.acquireRelease(
  Effect.promise(() =>
    new Promise<Served & { readonly close: () => Promise<void> }>((resolve) => {
      const acceptEncoding: Array<string | undefined> = []
      const bombCutOff: Array<boolean> = []
      const server = createServer((req: IncomingMessage, res: ServerResponse) => {
        acceptEncoding.push(req.headers["accept-encoding"])
        const url = new URL(req.url ?? "/", "http://127.0.0.1")
        const [, route, at = "0"] = url.pathname.split("/")
        if (route === "bomb") {
          res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" })
          let left = 1024
          const zeros = new Readable({
            read() {
              this.push(left-- > 0 ? Buffer.alloc(1024 * 1024) : null)
            }
          })
          res.on("close", () => bombCutOff.push(!res.writableFinished))
          zeros.pipe(Zlib.createGzip()).pipe(res)
          return
        }
        if (route === "corrupt") {
          res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" })
          return res.end("this is not gzip at all")
        }
        if (route === "stall" || route === "reset") {
          const half = Zlib.gzipSync(Buffer.from(JSON.stringify({ data: Array(500).fill({ id: 1 }) })))
          res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": String(half.byteLength) })
          res.write(half.subarray(0, half.byteLength >> 1))
          if (route === "reset") setTimeout(() => res.socket?.destroy(), 20)
          return
        }
        if (route === "empty") {
          res.writeHead(204, { "content-encoding": "gzip" })
          return res.end()
        }
        const index = Number(at)
        const coding = sequence[index]
        const body = Buffer.from(JSON.stringify({
          data: [{ id: coding, text: "grüße ".repeat(200) }],
          next: index + 1 < sequence.length ? `/page/${index + 1}` : null
        }))
        const encode = encoders[coding]
        const sendRaw = encode === undefined || req.headers["accept-encoding"] === "identity"
        res.writeHead(200, {
          "content-type": "application/json",
          ...(sendRaw ? {} : { "content-encoding": coding === "deflate-raw" ? "deflate" : coding })
        })
        res.end(sendRaw ? body : encode(body))
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resolve({
          url: `http://127.0.0.1:${port}/`,
          acceptEncoding,
          bombCutOff,
          close: () =>
            new Promise((done) => {
              server.closeAllConnections()
              server.close(() => done())
            })
        })
      })
    })
  ),
  (server) => Effect.promise(() => server.close())
)

const failureOf = (source: RestApiSource.RestApiSource, name: string) =>
  Effect.gen(function*() {
    const result = yield* Effect.either(source.records(name).pipe(Stream.runCollect, Effect.provide(Live)))
    if (Either.isRight(result) || result.left._tag !== "ApiError") return yield* Effect.dieMessage("expected an ApiError")
    return result.left
  })

describe("compressed responses", () => {
  it.live("gzip, deflate (wrapped or raw), br and two codings in a row are decoded, page after page of a resource", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const source = yield* RestApiSource.make({
        client: { base_url: server.url, paginator: { type: "json_link", next_url_path: "next" } },
        resources: [{ name: "pages", endpoint: { path: "page/0" } }]
      })
      const records = Chunk.toReadonlyArray(yield* source.records("pages").pipe(Stream.runCollect, Effect.provide(Live)))
      expect(records.map((r) => r["id"])).toEqual(sequence)
      expect(records.every((r) => String(r["text"]).startsWith("grüße grüße"))).toBe(true)
      expect(server.acceptEncoding).toEqual(Array(6).fill("gzip, deflate, br"))
    })))

  it.live("a config's own Accept-Encoding header is sent instead of ours", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const source = yield* RestApiSource.make({
        client: { base_url: server.url, headers: { "Accept-Encoding": "identity" } },
        resources: [{ name: "plain", endpoint: { path: "page/0", paginator: "single_page" } }]
      })
      const records = yield* source.records("plain").pipe(Stream.runCollect, Effect.provide(Live))
      expect(Chunk.size(records)).toBe(1)
      expect(server.acceptEncoding).toEqual(["identity"])
    })))

  it.live("a gzip bomb fails the page as soon as its decoded size passes client.max_response_bytes, and is not read on", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const source = yield* RestApiSource.make({
        client: { base_url: server.url, max_response_bytes: 1024 * 1024 },
        resources: [{ name: "bomb", endpoint: { path: "bomb", paginator: "single_page", params: { api_key: "k-secret-9" } } }]
      })
      const error = yield* failureOf(source, "bomb")
      expect(error.reason).toBe("TooLarge")
      expect(error.attempts).toBe(1)
      expect(error.resource).toBe("bomb")
      expect(error.message).toContain("resource 'bomb'")
      expect(error.message).toContain("the response body, decompressed (gzip), is larger than 1048576 bytes")
      expect(error.message).toContain("api_key=***")
      expect(error.message).not.toContain("k-secret-9")
      // The server was cut off long before its gigabyte of zeros.
      yield* Effect.promise(() => new Promise((done) => setTimeout(done, 50)))
      expect(server.bombCutOff).toEqual([true])
    })))

  it.live("corrupt compressed data fails the page as a malformed body, without retries", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const source = yield* RestApiSource.make({
        client: { base_url: server.url },
        resources: [{ name: "corrupt", endpoint: { path: "corrupt", paginator: "single_page" } }]
      })
      const error = yield* failureOf(source, "corrupt")
      expect(error.reason).toBe("MalformedBody")
      expect(error.attempts).toBe(1)
      expect(error.message).toContain("could not be decoded as Content-Encoding gzip")
    })))

  it.live("a compressed body that stalls or breaks off half-way is a timeout or a transport failure, as any body", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const source = yield* RestApiSource.make({
        client: { base_url: server.url, timeout: 0.3, retry: { max_retries: 0 } },
        resources: [
          { name: "stall", endpoint: { path: "stall", paginator: "single_page" } },
          { name: "reset", endpoint: { path: "reset", paginator: "single_page" } }
        ]
      })
      const stalled = yield* failureOf(source, "stall")
      expect(stalled.reason).toBe("Timeout")
      expect(stalled.message).toContain("the body stopped arriving")
      const reset = yield* failureOf(source, "reset")
      expect(reset.reason).toBe("Transport")
      expect(reset.message).toContain("the connection broke while the body was being read")
    })))

  it.live("an empty body that names a coding is empty, not an error", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const http = yield* HttpClient.HttpClient
      const response = yield* http.execute(HttpClientRequest.get(`${server.url}empty`))
      expect(response.status).toBe(204)
      expect(yield* response.text).toBe("")
    })).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.live("a compressed body is also bounded as received", () =>
    Effect.scoped(Effect.gen(function*() {
      const server = yield* serve
      const source = yield* RestApiSource.make({
        client: { base_url: server.url, max_response_bytes: 100 },
        resources: [{ name: "big", endpoint: { path: "page/3", paginator: "single_page" } }]
      })
      const error = yield* failureOf(source, "big")
      expect(error.reason).toBe("TooLarge")
      assert.include(error.message, "larger than 100 bytes")
    })))
})
