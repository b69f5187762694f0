/**
 * A scripted HttpClient layer for unit tests: each call gets the next scripted reply (the
 * last one repeats), and every request URL is recorded.
 */
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import { Effect, Layer, Ref } from "effect"
import * as ApiClient from "../../src/internal/http/apiClient.js"

export type Reply =
  | { readonly status: number; readonly body?: unknown; readonly text?: string; readonly headers?: Record<string, string> }
  | { readonly transportError: string }
  /** Never answers ("headers"), or sends the status line and headers but never ends the body ("body"). */
  | { readonly hang: "headers" | "body" }

export interface FakeHttp {
  /** The scripted HttpClient, and the ApiClient over it. */
  readonly layer: Layer.Layer<HttpClient.HttpClient | ApiClient.ApiClient>
  /** URLs requested so far, with their query strings. */
  readonly calls: Effect.Effect<ReadonlyArray<string>>
  /** Headers of each request so far. */
  readonly headers: Effect.Effect<ReadonlyArray<Readonly<Record<string, string>>>>
  /** Method, body text and body content type of each request so far. */
  readonly bodies: Effect.Effect<ReadonlyArray<SentBody>>
}

export interface SentBody {
  readonly method: string
  readonly text: string
  readonly contentType: string | undefined
}

export const fakeHttp = (
  script: ReadonlyArray<Reply> | ((url: URL, call: number) => Reply)
): Effect.Effect<FakeHttp> =>
  Effect.gen(function*() {
    const calls = yield* Ref.make<ReadonlyArray<string>>([])
    const headers = yield* Ref.make<ReadonlyArray<Readonly<Record<string, string>>>>([])
    const bodies = yield* Ref.make<ReadonlyArray<SentBody>>([])
    const client = HttpClient.make((request, url) =>
      Effect.gen(function*() {
        const n = (yield* Ref.getAndUpdate(calls, (c) => [...c, url.toString()])).length
        yield* Ref.update(headers, (h) => [...h, request.headers])
        const body = request.body
        yield* Ref.update(bodies, (b) => [...b, {
          method: request.method,
          text: body._tag === "Uint8Array"
            ? new TextDecoder().decode(body.body)
            : body._tag === "Raw" && typeof body.body === "string"
            ? body.body
            : "",
          contentType: body._tag === "Uint8Array" ? body.contentType : body._tag === "Raw" ? request.headers["content-type"] : undefined
        }])
        const reply = typeof script === "function" ? script(url, n) : script[Math.min(n, script.length - 1)]
        if ("transportError" in reply) {
          return yield* Effect.fail(
            new HttpClientError.RequestError({ request, reason: "Transport", description: reply.transportError })
          )
        }
        if ("hang" in reply) {
          if (reply.hang === "headers") return yield* Effect.never
          return HttpClientResponse.fromWeb(request, new Response(new ReadableStream({ start() {} }), { status: 200 }))
        }
        const text = reply.text ?? (reply.body === undefined ? "" : JSON.stringify(reply.body))
        return HttpClientResponse.fromWeb(
          request,
          new Response(text, { status: reply.status, headers: { "content-type": "application/json", ...reply.headers } })
        )
      })
    )
    return {
      layer: ApiClient.layer.pipe(Layer.provideMerge(Layer.succeed(HttpClient.HttpClient, client))),
      calls: Ref.get(calls),
      headers: Ref.get(headers),
      bodies: Ref.get(bodies)
    }
  })
