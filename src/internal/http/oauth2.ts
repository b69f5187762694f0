/**
 * OAuth2 client credentials, with dlt's request and response (form POST of `grant_type`,
 * `client_id`, `client_secret` plus `access_token_request_data`; `access_token` and
 * `expires_in` back), and what dlt lacks: one token shared by every caller, fetched once
 * however many callers ask at the same time, refreshed shortly *before* it expires, token
 * requests retried on 429/5xx, and errors that never quote a secret or a token.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { Clock, Data, Deferred, Duration, Effect, Exit, FiberId, Redacted, Ref, Schedule } from "effect"
import type { OAuth2ClientCredentials } from "../config/authSpec.js"
import * as Redact from "./redact.js"

/** Credentials could not be put on a request. The message never contains a secret or a token. */
export class AuthError extends Data.TaggedError("AuthError")<{ readonly message: string; readonly cause?: unknown }> {}

type Secret = Redacted.Redacted<string>

export interface TokenSource {
  /** The current token: cached, or fetched (once, for all concurrent callers) when due. */
  readonly token: Effect.Effect<Secret, AuthError>
}

/** How long before expiry a token is replaced: 60 s, or 10% of its lifetime if that is less. */
export const refreshMargin = (lifetimeMillis: number): number => Math.min(60_000, lifetimeMillis / 10)

/** `expires_in` in seconds, as a number or a numeric string; anything else means the default. */
export const parseExpiresIn = (value: unknown, defaultSeconds: number): number => {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? value : defaultSeconds
  if (typeof value === "string" && /^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value)
  return defaultSeconds
}

/** Form fields as Python's requests encodes a `data` dict: None dropped, lists repeated. */
export const formFields = (
  auth: OAuth2ClientCredentials<Secret>
): ReadonlyArray<readonly [string, string]> => {
  const fields = new Map<string, ReadonlyArray<unknown>>([
    ["grant_type", ["client_credentials"]],
    ["client_id", [Redacted.value(auth.clientId)]],
    ["client_secret", [Redacted.value(auth.clientSecret)]]
  ])
  // dlt spreads access_token_request_data last, so its keys win (even grant_type).
  for (const [key, value] of Object.entries(auth.requestData)) fields.set(key, Array.isArray(value) ? value : [value])
  const out: Array<readonly [string, string]> = []
  for (const [key, values] of fields) {
    for (const v of values) {
      if (v === null || v === undefined) continue
      out.push([key, typeof v === "object" ? JSON.stringify(v) : String(v)])
    }
  }
  return out
}

/** Retries of one token fetch (so up to 3 attempts), 250 ms then 500 ms apart. */
const retries = 2
const backoff = Schedule.exponential("250 millis", 2)
/** The bare transport has no timeout; a hung token endpoint must not hang every request. */
const attemptTimeout = Duration.seconds(30)
/** After a failed refresh while the old token still works, when to try again. */
const refreshCooldownMillis = 5_000

class TokenFailure extends Data.TaggedError("TokenFailure")<{ readonly retryable: boolean; readonly detail: string }> {}

interface Token {
  readonly value: Secret
  readonly refreshAt: number
  readonly expiresAt: number
}

type State =
  | { readonly _tag: "Empty" }
  | { readonly _tag: "Ready"; readonly token: Token }
  | { readonly _tag: "Fetching"; readonly deferred: Deferred.Deferred<Secret, AuthError> }

const tokenFrom = (value: Secret, lifetimeSeconds: number, issuedAt: number): Token => {
  const lifetime = lifetimeSeconds * 1000
  return { value, expiresAt: issuedAt + lifetime, refreshAt: issuedAt + lifetime - refreshMargin(lifetime) }
}

/** The `error` / `error_description` of an RFC 6749 error body, if there is one. */
const oauthError = (text: string): string => {
  try {
    const body: unknown = JSON.parse(text)
    if (typeof body !== "object" || body === null) return ""
    const error = "error" in body && typeof body.error === "string" ? body.error : ""
    const description = "error_description" in body && typeof body.error_description === "string"
      ? body.error_description
      : ""
    return [error, description].filter((s) => s !== "").join(": ").slice(0, 200)
  } catch {
    return ""
  }
}

export const makeTokenSource = (
  auth: OAuth2ClientCredentials<Secret>,
  /** Told every access token fetched, so it is scrubbed from what the run prints. */
  learn: (token: string) => void = () => {}
): Effect.Effect<TokenSource, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const http = yield* HttpClient.HttpClient
    const redactor = Redact.make(
      [auth.clientId, auth.clientSecret, auth.accessToken].flatMap((s) => (s === undefined ? [] : [Redacted.value(s)]))
    )
    const url = redactor.url(auth.accessTokenUrl)
    const request = HttpClientRequest.post(auth.accessTokenUrl).pipe(
      HttpClientRequest.acceptJson,
      HttpClientRequest.bodyUrlParams(formFields(auth))
    )

    const attempt: Effect.Effect<{ readonly token: Secret; readonly expiresIn: number }, TokenFailure> = Effect.gen(
      function*() {
        const response = yield* http.execute(request).pipe(
          Effect.timeoutFail({
            duration: attemptTimeout,
            onTimeout: () =>
              new TokenFailure({ retryable: true, detail: `no response within ${Duration.format(attemptTimeout)}` })
          }),
          // The platform errors carry the request, whose body holds the client secret: keep only text.
          Effect.catchTags({
            RequestError: (e) =>
              Effect.fail(
                new TokenFailure({
                  retryable: e.reason === "Transport",
                  detail: `${e.reason.toLowerCase()} error${e.description === undefined ? "" : `: ${e.description}`}`
                })
              ),
            ResponseError: (e) =>
              Effect.fail(new TokenFailure({ retryable: true, detail: `HTTP ${e.response.status}: ${e.reason}` }))
          })
        )
        const text = yield* response.text.pipe(
          Effect.catchAll(() =>
            Effect.fail(new TokenFailure({ retryable: true, detail: `HTTP ${response.status}, the body could not be read` }))
          )
        )
        if (response.status < 200 || response.status >= 300) {
          const why = oauthError(text)
          return yield* Effect.fail(
            new TokenFailure({
              retryable: response.status === 429 || response.status >= 500,
              detail: `HTTP ${response.status}${why === "" ? "" : ` (${why})`}`
            })
          )
        }
        let body: unknown
        try {
          body = JSON.parse(text)
        } catch {
          return yield* Effect.fail(new TokenFailure({ retryable: false, detail: `HTTP ${response.status}, the body is not JSON` }))
        }
        if (
          typeof body !== "object" || body === null || !("access_token" in body) || typeof body.access_token !== "string" ||
          body.access_token === ""
        ) {
          return yield* Effect.fail(
            new TokenFailure({ retryable: false, detail: `HTTP ${response.status}, the response has no access_token` })
          )
        }
        const expiresIn = "expires_in" in body ? body.expires_in : undefined
        learn(body.access_token)
        return { token: Redacted.make(body.access_token), expiresIn: parseExpiresIn(expiresIn, auth.defaultExpiration) }
      }
    )

    const fetchToken = Effect.gen(function*() {
      const attempts = yield* Ref.make(0)
      return yield* Ref.update(attempts, (n) => n + 1).pipe(
        Effect.zipRight(attempt),
        Effect.retry({ schedule: backoff, times: retries, while: (e) => e.retryable }),
        Effect.catchAll((e) =>
          Effect.flatMap(Ref.get(attempts), (n) =>
            Effect.fail(
              new AuthError({
                message: redactor.text(
                  `OAuth2 token request to ${url} failed${n > 1 ? ` after ${n} attempts` : ""}: ${e.detail}`
                )
              })
            ))
        )
      )
    }).pipe(Effect.withSpan("OAuth2.fetchToken", { attributes: { url } }))

    const startedAt = yield* Clock.currentTimeMillis
    const state = yield* Ref.make<State>(
      auth.accessToken === undefined
        ? { _tag: "Empty" }
        : { _tag: "Ready", token: tokenFrom(auth.accessToken, auth.defaultExpiration, startedAt) }
    )

    // Runs in its own fiber and always settles `deferred`, so callers waiting on it are never
    // stranded, even when the caller that started the fetch is interrupted.
    const refresh = (deferred: Deferred.Deferred<Secret, AuthError>, previous: Token | undefined) =>
      Effect.gen(function*() {
        // Lifetime counts from before the request: errs on the side of refreshing early.
        const requestedAt = yield* Clock.currentTimeMillis
        const exit = yield* Effect.exit(fetchToken)
        if (Exit.isSuccess(exit)) {
          const token = tokenFrom(exit.value.token, exit.value.expiresIn, requestedAt)
          yield* Ref.set(state, { _tag: "Ready", token })
          return yield* Deferred.succeed(deferred, token.value)
        }
        const now = yield* Clock.currentTimeMillis
        if (previous !== undefined && now < previous.expiresAt) {
          // The old token is still valid: keep serving it and try again a little later,
          // rather than failing requests that would have succeeded.
          yield* Effect.logWarning("OAuth2 token refresh failed; the current token is used until it expires").pipe(
            Effect.annotateLogs("cause", Exit.isFailure(exit) ? redactor.text(String(exit.cause)) : "")
          )
          const retryAt = Math.min(previous.expiresAt, now + refreshCooldownMillis)
          yield* Ref.set(state, { _tag: "Ready", token: { ...previous, refreshAt: retryAt } })
          return yield* Deferred.succeed(deferred, previous.value)
        }
        // Failures are not cached: the next caller starts a new fetch.
        yield* Ref.set(state, { _tag: "Empty" })
        return yield* Deferred.failCause(deferred, exit.cause)
      })

    const token: Effect.Effect<Secret, AuthError> = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.flatten(
        // One atomic decision per caller: use the cached token, join the fetch in flight, or
        // become the one caller that starts a fetch.
        Ref.modify(state, (s): readonly [Effect.Effect<Secret, AuthError>, State] => {
          if (s._tag === "Ready" && now < s.token.refreshAt) return [Effect.succeed(s.token.value), s]
          if (s._tag === "Fetching") return [Deferred.await(s.deferred), s]
          const deferred = Deferred.unsafeMake<Secret, AuthError>(FiberId.none)
          const start = Effect.zipRight(
            Effect.forkDaemon(refresh(deferred, s._tag === "Ready" ? s.token : undefined)),
            Deferred.await(deferred)
          )
          return [start, { _tag: "Fetching", deferred }]
        })
      ))

    return { token }
  })
