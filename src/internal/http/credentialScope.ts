/**
 * Where credentials may go: the origin of `client.base_url` and the origins listed in
 * `client.trusted_origins` (for APIs whose next links point at a sibling host). A request for
 * any other origin (a redirect, an absolute next link, a path written as a full URL) goes
 * without them: auth does not sign it, and the credential headers (Authorization,
 * Proxy-Authorization, Cookie), any header or query value carrying one of the config's secrets
 * are taken off. The OAuth2 token request is not made here: it goes to its token URL.
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect, Option } from "effect"
import type { Authenticator } from "./auth.js"
import type { AuthError } from "./oauth2.js"

/** The origin of a URL, or undefined when it has none (not an http(s) URL). */
export const originOf = (url: string): string | undefined => {
  if (!URL.canParse(url)) return undefined
  const origin = new URL(url).origin
  return origin === "null" ? undefined : origin
}

export interface CredentialScope {
  /** The trusted origins, `client.base_url`'s first. */
  readonly origins: ReadonlyArray<string>
  /** Whether credentials may be sent to this absolute URL. */
  readonly trusts: (url: string) => boolean
}

export const make = (origins: ReadonlyArray<string>): CredentialScope => {
  const set = new Set(origins)
  // Nearly every request starts with a trusted origin as written; parse only the others.
  const prefixes = [...set].map((o) => `${o}/`)
  const trusts = (url: string): boolean => {
    for (const prefix of prefixes) if (url.startsWith(prefix)) return true
    const origin = originOf(url)
    return origin !== undefined && set.has(origin)
  }
  return { origins: [...set], trusts }
}

const credentialHeaders = new Set(["authorization", "proxy-authorization", "cookie"])

/** The request without its credentials; the same request when it carries none. */
export const withoutCredentials = (
  request: HttpClientRequest.HttpClientRequest,
  isSecret: (value: string) => boolean
): HttpClientRequest.HttpClientRequest => {
  const headers = Object.entries(request.headers).filter(([k, v]) => credentialHeaders.has(k) || isSecret(v)).map(([k]) => k)
  const params = request.urlParams.filter(([, v]) => isSecret(v))
  let url = request.url
  if (isSecret(url) && URL.canParse(url)) {
    const parsed = new URL(url)
    for (const [k, v] of [...parsed.searchParams]) if (isSecret(v)) parsed.searchParams.delete(k, v)
    url = parsed.toString()
  }
  if (headers.length === 0 && params.length === 0 && url === request.url) return request
  const out = HttpClientRequest.make(request.method)(url).pipe(
    HttpClientRequest.setUrlParams(request.urlParams.filter(([, v]) => !isSecret(v))),
    HttpClientRequest.setBody(request.body),
    HttpClientRequest.setHeaders(Headers.remove(request.headers, headers))
  )
  return Option.isSome(request.hash) ? HttpClientRequest.setHash(out, request.hash.value) : out
}

export interface CredentialOptions {
  readonly scope: CredentialScope
  /** Signs requests to trusted origins; undefined when there is no auth. */
  readonly authenticator: Authenticator | undefined
  /** Whether a header or query value carries one of the config's secrets. */
  readonly isSecret: (value: string) => boolean
  /** Told the origin each time credentials are held back from it (to warn, once). */
  readonly withheld: (origin: string) => Effect.Effect<void>
}

/**
 * Signs requests to trusted origins and takes credentials off the others (see the module
 * comment). Signing happens as the request goes out, so every retry and every redirect hop
 * above this is signed, or not, for its own URL.
 */
export const withCredentials = (options: CredentialOptions) =>
<E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E | AuthError, R> => {
  const { authenticator, isSecret, scope, withheld } = options
  const send = (request: HttpClientRequest.HttpClientRequest) => {
    if (scope.trusts(request.url)) {
      return authenticator === undefined ? client.execute(request) : Effect.flatMap(authenticator.authenticate(request), client.execute)
    }
    const bare = withoutCredentials(request, isSecret)
    if (bare === request && authenticator === undefined) return client.execute(request)
    return Effect.zipRight(withheld(originOf(request.url) ?? request.url), client.execute(bare))
  }
  // As in followRedirects: the client below sees each request once, through `execute`.
  return HttpClient.makeWith<never, never, E | AuthError, R>((requestEffect) => Effect.flatMap(requestEffect, send), Effect.succeed)
}
