/**
 * Auth as dlt configures it (`bearer`, `api_key`, `http_basic`, `oauth2_client_credentials`),
 * plus what dlt lacks: an api_key sent as a cookie, and a TypeScript config's own
 * `authenticate(request)`. Secret values stay `Redacted` until they are put on the wire.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Effect, Predicate, Redacted } from "effect"
import type { Auth, CustomAuth, SimpleAuth } from "../config/authSpec.js"
import * as OAuth2 from "./oauth2.js"

export { AuthError } from "./oauth2.js"
export { type Auth, type CustomAuth, isCustomAuth, mapSecrets, type OAuth2ClientCredentials, type SimpleAuth } from "../config/authSpec.js"
import { AuthError } from "./oauth2.js"

type Request = HttpClientRequest.HttpClientRequest

/** Adds `name=value` to the request's Cookie header, replacing a cookie of the same name. */
export const setCookie = (request: Request, name: string, value: string): Request => {
  const existing = request.headers["cookie"]
  const others = existing === undefined
    ? []
    : existing.split(";").map((c) => c.trim()).filter((c) => c !== "" && c.split("=")[0].trim() !== name)
  return HttpClientRequest.setHeader(request, "Cookie", [...others, `${name}=${value}`].join("; "))
}

/** Adds the credentials of a simple auth to a request. */
export const apply = (auth: SimpleAuth<Redacted.Redacted<string>>) => (request: Request): Request => {
  switch (auth._tag) {
    case "Bearer":
      return HttpClientRequest.bearerToken(request, auth.token)
    case "ApiKey": {
      const value = Redacted.value(auth.apiKey)
      return auth.location === "header"
        ? HttpClientRequest.setHeader(request, auth.name, value)
        : auth.location === "query"
        ? HttpClientRequest.setUrlParam(request, auth.name, value)
        : setCookie(request, auth.name, value)
    }
    case "HttpBasic":
      return HttpClientRequest.basicAuth(request, auth.username, auth.password)
  }
}

/**
 * What a request looks like on the wire, as far as it can be known without I/O: simple auths
 * are applied (so a query api_key shows in a described URL, to be redacted); OAuth2 and custom
 * auths only add headers we cannot know up front, so the request is returned as is.
 */
export const describe = (auth: Auth<Redacted.Redacted<string>>): (request: Request) => Request =>
  auth._tag === "OAuth2ClientCredentials" || auth._tag === "Custom" ? (request) => request : apply(auth)

export interface Authenticator {
  readonly authenticate: (request: Request) => Effect.Effect<Request, AuthError>
}

const isRequest = (u: unknown): u is Request => Predicate.hasProperty(u, HttpClientRequest.TypeId)

const describeError = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/**
 * What a custom auth added or changed on a request (header values, query values) is taken for
 * a credential; for `Scheme value` headers the value alone is learned too.
 */
const learnAdded = (before: Request, after: Request, learn: (credential: string) => void) => {
  for (const [name, value] of Object.entries(after.headers)) {
    if (before.headers[name] === value) continue
    learn(value)
    const space = value.lastIndexOf(" ")
    if (space > 0) learn(value.slice(space + 1))
  }
  const previous = new Set(before.urlParams.map(([k, v]) => `${k}=${v}`))
  for (const [k, v] of after.urlParams) if (!previous.has(`${k}=${v}`)) learn(v)
}

const custom = (auth: CustomAuth, learn: (credential: string) => void): Authenticator => ({
  authenticate: (request) =>
    Effect.suspend(() => {
      const fail = (e: unknown) => new AuthError({ message: `custom auth failed: ${describeError(e)}`, cause: e })
      // A sync authenticate stays sync; only a Promise makes the step async.
      return Effect.try({ try: () => auth.authenticate(request), catch: fail }).pipe(
        Effect.flatMap((out) =>
          Predicate.isPromiseLike(out) ? Effect.tryPromise({ try: () => Promise.resolve(out), catch: fail }) : Effect.succeed(out)
        ),
        // A JavaScript config can return anything; catch it here rather than in the transport.
        Effect.filterOrFail(isRequest, () =>
          new AuthError({ message: "custom auth failed: authenticate(request) did not return a request" })),
        Effect.tap((signed) => learnAdded(request, signed, learn))
      )
    })
})

/**
 * An authenticator for one auth config. Make it once and share it: for OAuth2 it holds the
 * token that every request using it shares. Token requests go through the `HttpClient` in
 * context (the bare transport, not the API client with its own auth).
 */
export const makeAuthenticator = (
  auth: Auth<Redacted.Redacted<string>>,
  learn: (credential: string) => void = () => {}
): Effect.Effect<Authenticator, never, HttpClient.HttpClient> => {
  switch (auth._tag) {
    case "OAuth2ClientCredentials":
      return Effect.map(OAuth2.makeTokenSource(auth, learn), (source) => ({
        authenticate: (request) => Effect.map(source.token, (token) => HttpClientRequest.bearerToken(request, token))
      }))
    case "Custom":
      return Effect.succeed(custom(auth, learn))
    default: {
      const sign = apply(auth)
      return Effect.succeed({ authenticate: (request) => Effect.succeed(sign(request)) })
    }
  }
}
