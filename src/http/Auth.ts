/**
 * Auth as dlt configures it: `bearer`, `api_key` (header or query), `http_basic`.
 * Applied to every request by the ApiClient; secret values stay `Redacted` until the
 * moment they are put on the wire.
 */
import { HttpClientRequest } from "@effect/platform"
import { Redacted } from "effect"

export type Auth<S> =
  | { readonly _tag: "Bearer"; readonly token: S }
  | { readonly _tag: "ApiKey"; readonly name: string; readonly location: "header" | "query"; readonly apiKey: S }
  | { readonly _tag: "HttpBasic"; readonly username: S; readonly password: S }

export const mapSecrets = <S, T>(auth: Auth<S>, f: (secret: S, key: string) => T): Auth<T> => {
  switch (auth._tag) {
    case "Bearer":
      return { _tag: "Bearer", token: f(auth.token, "token") }
    case "ApiKey":
      return { _tag: "ApiKey", name: auth.name, location: auth.location, apiKey: f(auth.apiKey, "api_key") }
    case "HttpBasic":
      return { _tag: "HttpBasic", username: f(auth.username, "username"), password: f(auth.password, "password") }
  }
}

/** Adds the credentials to a request. */
export const apply = (auth: Auth<Redacted.Redacted<string>>) =>
(request: HttpClientRequest.HttpClientRequest): HttpClientRequest.HttpClientRequest => {
  switch (auth._tag) {
    case "Bearer":
      return HttpClientRequest.bearerToken(request, auth.token)
    case "ApiKey":
      return auth.location === "header"
        ? HttpClientRequest.setHeader(request, auth.name, Redacted.value(auth.apiKey))
        : HttpClientRequest.setUrlParam(request, auth.name, Redacted.value(auth.apiKey))
    case "HttpBasic":
      return HttpClientRequest.basicAuth(request, auth.username, auth.password)
  }
}
