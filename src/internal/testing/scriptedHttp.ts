/**
 * A scripted HttpClient for tests: routes (`"GET /v1/items"`) answer with scripted replies, in
 * order (the last repeats), and every request is logged. No network, no real clock: a reply
 * can hang to exercise timeouts under a TestClock.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Layer, Ref } from "effect"
import * as ApiClient from "../http/apiClient.js"

/** One scripted answer. `body` is sent as JSON; `text` as it is. */
export type Reply =
  | {
    readonly status?: number | undefined
    readonly body?: unknown
    readonly text?: string | undefined
    readonly headers?: Readonly<Record<string, string>> | undefined
  }
  /** The connection fails (a transport error, retried like a reset connection). */
  | { readonly transportError: string }
  /** Never answers ("headers"), or sends the headers but never ends the body ("body"). */
  | { readonly hang: "headers" | "body" }

/** A request as the script sees it and the log records it. */
export interface ScriptedRequest {
  readonly method: string
  /** The full URL, query string included. */
  readonly url: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * Routes by `"METHOD /path"` (the URL's path, no query), each a reply or a list of replies
 * given in order (the last repeats); or one function of the request and its call number.
 */
export type Script =
  | Readonly<Record<string, Reply | ReadonlyArray<Reply>>>
  | ((request: ScriptedRequest, call: number) => Reply)

export interface ScriptedHttp {
  /** The scripted HttpClient and the ApiClient over it. */
  readonly layer: Layer.Layer<HttpClient.HttpClient | ApiClient.ApiClient>
  /** Every request so far, in order. */
  readonly requests: Effect.Effect<ReadonlyArray<ScriptedRequest>>
}

const bodyText = (request: HttpClientRequest.HttpClientRequest): string =>
  request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""

const describe = (request: HttpClientRequest.HttpClientRequest, url: URL): ScriptedRequest => ({
  method: request.method,
  url: url.toString(),
  path: url.pathname,
  query: Object.fromEntries(url.searchParams),
  headers: request.headers,
  body: bodyText(request)
})

const unrouted = (request: ScriptedRequest): Reply => ({
  status: 404,
  body: { error: `no scripted route for ${request.method} ${request.path}` }
})

const isReplyList = (route: Reply | ReadonlyArray<Reply>): route is ReadonlyArray<Reply> => Array.isArray(route)

const pick = (script: Script, request: ScriptedRequest, call: number, callsOfRoute: Map<string, number>): Reply => {
  if (typeof script === "function") return script(request, call)
  const key = `${request.method} ${request.path}`
  const route = script[key]
  if (route === undefined) return unrouted(request)
  if (!isReplyList(route)) return route
  const n = callsOfRoute.get(key) ?? 0
  callsOfRoute.set(key, n + 1)
  return route[Math.min(n, route.length - 1)] ?? unrouted(request)
}

const respond = (request: HttpClientRequest.HttpClientRequest, reply: Reply) => {
  if ("transportError" in reply) {
    return Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", description: reply.transportError }))
  }
  if ("hang" in reply) {
    return reply.hang === "headers"
      ? Effect.never
      : Effect.succeed(HttpClientResponse.fromWeb(request, new Response(new ReadableStream({ start() {} }), { status: 200 })))
  }
  const text = reply.text ?? (reply.body === undefined ? "" : JSON.stringify(reply.body))
  return Effect.succeed(HttpClientResponse.fromWeb(
    request,
    new Response(text, { status: reply.status ?? 200, headers: { "content-type": "application/json", ...reply.headers } })
  ))
}

/** A scripted HttpClient (and the ApiClient over it) with a log of the requests it got. */
export const make = (script: Script): Effect.Effect<ScriptedHttp> =>
  Effect.gen(function*() {
    const log = yield* Ref.make<ReadonlyArray<ScriptedRequest>>([])
    const callsOfRoute = new Map<string, number>()
    const client = HttpClient.make((request, url) =>
      Effect.flatMap(
        Ref.modify(log, (seen) => {
          const described = describe(request, url)
          return [pick(script, described, seen.length, callsOfRoute), [...seen, described]] as const
        }),
        (reply) => respond(request, reply)
      )
    )
    return {
      layer: ApiClient.layer.pipe(Layer.provideMerge(Layer.succeed(HttpClient.HttpClient, client))),
      requests: Ref.get(log)
    }
  })
