/**
 * Auth as the config describes it (dlt's `bearer`, `api_key`, `http_basic`,
 * `oauth2_client_credentials`, plus a TypeScript config's own `authenticate`), as data:
 * `S` is a secret before (`SecretInput`) and after (`Redacted`) secrets are read. The HTTP
 * layer turns a spec into an authenticator where requests are made.
 */
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Predicate } from "effect"

type Request = HttpClientRequest.HttpClientRequest

/** A TypeScript config's own auth: it may sign a request synchronously or asynchronously. */
export interface CustomAuth {
  readonly authenticate: (request: Request) => Request | Promise<Request>
}

export interface OAuth2ClientCredentials<S> {
  readonly _tag: "OAuth2ClientCredentials"
  readonly accessTokenUrl: string
  readonly clientId: S
  readonly clientSecret: S
  /** dlt's `access_token_request_data`: extra form fields; they win over the standard ones, as in dlt. */
  readonly requestData: Readonly<Record<string, unknown>>
  /** Seconds a token lives when the server sends no `expires_in` (dlt: 3600). */
  readonly defaultExpiration: number
  /** A pre-issued token, used until it is due for refresh. */
  readonly accessToken?: S | undefined
}

/** The variants that only add a header or a query parameter: no I/O needed. */
export type SimpleAuth<S> =
  | { readonly _tag: "Bearer"; readonly token: S }
  | {
    readonly _tag: "ApiKey"
    readonly name: string
    readonly location: "header" | "query" | "cookie"
    readonly apiKey: S
  }
  | { readonly _tag: "HttpBasic"; readonly username: S; readonly password: S }

export type Auth<S> =
  | SimpleAuth<S>
  | OAuth2ClientCredentials<S>
  | ({ readonly _tag: "Custom" } & CustomAuth)

/** An object with an `authenticate` function (how a TypeScript config passes its own auth). */
export const isCustomAuth = (u: unknown): u is CustomAuth =>
  Predicate.hasProperty(u, "authenticate") && Predicate.isFunction(u.authenticate)

/** Rebuilds an auth with every secret mapped; `key` is the dlt config key of the secret. */
export const mapSecrets = <S, T>(auth: Auth<S>, f: (secret: S, key: string) => T): Auth<T> => {
  switch (auth._tag) {
    case "Bearer":
      return { _tag: "Bearer", token: f(auth.token, "token") }
    case "ApiKey":
      return { _tag: "ApiKey", name: auth.name, location: auth.location, apiKey: f(auth.apiKey, "api_key") }
    case "HttpBasic":
      return { _tag: "HttpBasic", username: f(auth.username, "username"), password: f(auth.password, "password") }
    case "OAuth2ClientCredentials":
      return {
        _tag: "OAuth2ClientCredentials",
        accessTokenUrl: auth.accessTokenUrl,
        clientId: f(auth.clientId, "client_id"),
        clientSecret: f(auth.clientSecret, "client_secret"),
        requestData: auth.requestData,
        defaultExpiration: auth.defaultExpiration,
        accessToken: auth.accessToken === undefined ? undefined : f(auth.accessToken, "access_token")
      }
    case "Custom":
      return { _tag: "Custom", authenticate: auth.authenticate }
  }
}
