/**
 * Redirects followed as Python's requests follows them (dlt's client): 301, 302, 303, 307 and
 * 308 with a `Location`, up to a limit (requests: 30; `client.max_redirects`). A 303, a 302
 * (but for HEAD) and a 301 after a POST go on as a GET without the body; 307 and 308 repeat the
 * method and body. Leaving for an origin that is not trusted drops the credential headers
 * (Authorization, Proxy-Authorization, Cookie); requests drops Authorization on a change of host.
 *
 * Each hop is a request of its own through the client below (so auth below signs it, or not,
 * for its own URL, and the exchange limits hold per hop).
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as UrlParams from "@effect/platform/UrlParams"
import { Data, Effect, Either } from "effect"

/**
 * A redirect past the limit (a loop, usually). `urls` are the request's URL and every
 * `Location` after it, the one not followed last; not redacted (whoever prints them redacts).
 */
export class TooManyRedirects extends Data.TaggedError("TooManyRedirects")<{
  readonly maxRedirects: number
  readonly urls: ReadonlyArray<string>
}> {
  /** A URL seen twice in the chain: it can only go round. */
  get isLoop(): boolean {
    return new Set(this.urls).size < this.urls.length
  }

  /** What happened, with the URLs shown through `show` (a redactor). */
  describe(show: (url: string) => string = (url) => url): string {
    const shown = this.urls.length <= 7
      ? this.urls.map(show)
      : [...this.urls.slice(0, 3).map(show), `… ${this.urls.length - 6} more …`, ...this.urls.slice(-3).map(show)]
    const what = this.maxRedirects === 0
      ? "a redirect was not followed (client.max_redirects is 0)"
      : `more than ${this.maxRedirects} redirects (client.max_redirects)${this.isLoop ? ", a redirect loop" : ""}`
    return `${what}: ${shown.join(" -> ")}`
  }

  override get message(): string {
    return this.describe()
  }
}

export interface RedirectOptions {
  /** Redirects followed per request; one more fails with `TooManyRedirects`. */
  readonly maxRedirects: number
  /**
   * Whether credential headers may go on to a URL. Without it, only to the origin they were
   * already going to.
   */
  readonly trusted?: ((url: URL) => boolean) | undefined
}

const redirectStatuses = new Set([301, 302, 303, 307, 308])

const credentialHeaders = ["authorization", "proxy-authorization", "cookie"]
const bodyHeaders = ["content-type", "content-length", "transfer-encoding"]

const urlOf = (request: HttpClientRequest.HttpClientRequest): URL | undefined => {
  const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
  return Either.isRight(url) ? url.right : undefined
}

/** requests' `rebuild_method`: which redirects turn the request into a GET without its body. */
const becomesGet = (status: number, method: string): boolean =>
  (status === 303 || status === 302) ? method !== "HEAD" : status === 301 && method === "POST"

/** The request a redirect asks for. */
const redirected = (
  request: HttpClientRequest.HttpClientRequest,
  from: URL,
  status: number,
  target: URL,
  trusted: RedirectOptions["trusted"]
): HttpClientRequest.HttpClientRequest => {
  const toGet = becomesGet(status, request.method)
  let headers = request.headers
  if (toGet) headers = Headers.remove(headers, bodyHeaders)
  const keep = trusted === undefined ? target.origin === from.origin : trusted(target)
  if (!keep) headers = Headers.remove(headers, credentialHeaders)
  const next = HttpClientRequest.make(toGet ? "GET" : request.method)(target).pipe(HttpClientRequest.setHeaders(headers))
  return toGet ? next : HttpClientRequest.setBody(next, request.body)
}

const locationOf = (response: HttpClientResponse.HttpClientResponse): string | undefined =>
  redirectStatuses.has(response.status) ? response.headers["location"] : undefined

/**
 * Follows redirects (see the module comment). A 3xx without a usable `Location` is the
 * response. The client below must not follow redirects itself (ours over undici does not).
 */
export const followRedirects = (options: RedirectOptions) =>
<E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E | TooManyRedirects, R> => {
  const follow = (
    request: HttpClientRequest.HttpClientRequest,
    response: HttpClientResponse.HttpClientResponse,
    location: string,
    urls: Array<string>
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, E | TooManyRedirects, R> => {
    const from = urlOf(request)
    if (from === undefined || !URL.canParse(location, from.href)) return Effect.succeed(response)
    const target = new URL(location, from)
    if (urls.length === 0) urls.push(from.toString())
    urls.push(target.toString())
    if (urls.length - 1 > options.maxRedirects) {
      return Effect.fail(new TooManyRedirects({ maxRedirects: options.maxRedirects, urls }))
    }
    const next = redirected(request, from, response.status, target, options.trusted)
    return Effect.flatMap(client.execute(next), (r) => hop(next, r, urls))
  }
  const hop = (
    request: HttpClientRequest.HttpClientRequest,
    response: HttpClientResponse.HttpClientResponse,
    urls: Array<string>
  ): Effect.Effect<HttpClientResponse.HttpClientResponse, E | TooManyRedirects, R> => {
    const location = locationOf(response)
    return location === undefined ? Effect.succeed(response) : follow(request, response, location, urls)
  }
  // Each hop goes through `client.execute` once, so whatever the client below does to a
  // request is done once per hop; this client adds nothing before the exchange.
  return HttpClient.makeWith<never, never, E | TooManyRedirects, R>(
    (requestEffect) =>
      Effect.flatMap(requestEffect, (request) => Effect.flatMap(client.execute(request), (response) => hop(request, response, []))),
    Effect.succeed
  )
}
