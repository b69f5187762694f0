/**
 * One request for one page, as JSON, over any `HttpClient`: the service gives each source a
 * client composed once from middleware (exchange limits, auth, rate limit, status
 * classification with response actions, retry with backoff and `Retry-After`), so every
 * resource of a source shares one OAuth token and one request budget. Provide `layer` once
 * at the composition root, over the HttpClient of your choice.
 *
 * The middleware is public: compose it over your own HttpClient for the same behaviour.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type { Layer } from "effect"
import type { RetryPolicy } from "./internal/config/spec.js"
import * as apiClient from "./internal/http/apiClient.js"
import type { Authenticator } from "./internal/http/auth.js"
import type { AuthError } from "./internal/http/oauth2.js"
import * as classify from "./internal/http/classify.js"
import * as credentialScope from "./internal/http/credentialScope.js"
import * as exchangeLimits from "./internal/http/exchangeLimits.js"
import * as middleware from "./internal/http/middleware.js"
import type { RateLimiter } from "./internal/http/rateLimit.js"
import * as redirects from "./internal/http/redirects.js"
import * as requestLog from "./internal/http/requestLog.js"

export {
  /**
   * The service: `forSource(spec)` gives a source's client, made once.
   *
   * @since 0.1.0
   */
  ApiClient,
  /**
   * A failed page request: reason, resource, page, method, redacted URL, status, attempts.
   *
   * @since 0.1.0
   */
  ApiError,
  /**
   * @since 0.1.0
   */
  type ApiErrorReason,
  /**
   * @since 0.1.0
   */
  type PageResponse,
  /**
   * @since 0.1.0
   */
  type RequestOptions,
  /**
   * The requests of one source.
   *
   * @since 0.1.0
   */
  type SourceClient
} from "./internal/http/apiClient.js"
export {
  /**
   * A response body over `maxBodyBytes` (`client.max_response_bytes`).
   *
   * @since 0.1.0
   */
  BodyTooLarge,
  /**
   * An exchange that did not end within its deadline (`client.timeout`).
   *
   * @since 0.1.0
   */
  DeadlineExceeded,
  /**
   * @since 0.1.0
   */
  type LimitsOptions
} from "./internal/http/exchangeLimits.js"
export {
  /**
   * @since 0.1.0
   */
  type CredentialOptions,
  /**
   * Which origins get credentials: `make([origin, ...])`, `trusts(url)`.
   *
   * @since 0.1.0
   */
  type CredentialScope,
  /**
   * @since 0.1.0
   */
  make as makeCredentialScope
} from "./internal/http/credentialScope.js"
export {
  /**
   * @since 0.1.0
   */
  type RedirectOptions,
  /**
   * More redirects in a row than allowed (a loop, usually), with the URLs followed.
   *
   * @since 0.1.0
   */
  TooManyRedirects
} from "./internal/http/redirects.js"
export {
  /**
   * @since 0.1.0
   */
  type ClassifyOptions,
  /**
   * @since 0.1.0
   */
  ResponseIgnored,
  /**
   * @since 0.1.0
   */
  ResponseRejected,
  /**
   * @since 0.1.0
   */
  Transient
} from "./internal/http/classify.js"
export {
  /**
   * How `withRetry` describes a retry in its log line.
   *
   * @since 0.1.0
   */
  type RetryLogOptions
} from "./internal/http/middleware.js"
export {
  /**
   * @since 0.1.0
   */
  type RequestLogOptions
} from "./internal/http/requestLog.js"

/**
 * The ApiClient service over the `HttpClient` in context; clients live as long as the layer.
 *
 * @since 0.1.0
 */
export const layer: Layer.Layer<apiClient.ApiClient, never, HttpClient.HttpClient> = apiClient.layer

/**
 * Every exchange ends within `timeout` (headers and body) with a body of at most
 * `maxBodyBytes`, read into memory. A transport that enforces the limits itself (ours over
 * undici) is left to; any other gets a timeout and a counted body read.
 *
 * @since 0.1.0
 */
export const withLimits: (
  options: exchangeLimits.LimitsOptions
) => <E, R>(client: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E | HttpClientError.HttpClientError, R> =
  exchangeLimits.withLimits

/**
 * Signs every request, and every retry of it, with the authenticator's credentials.
 *
 * @since 0.1.0
 */
export const withAuth: (authenticator: Authenticator) => ReturnType<typeof middleware.withAuth> = middleware.withAuth

/**
 * Signs requests to trusted origins only (each retry and redirect hop for its own URL) and
 * takes credentials off requests to any other origin: Authorization, Proxy-Authorization and
 * Cookie headers, and headers or query values that carry a secret. `withheld` is told each
 * origin it happens for (the ApiClient warns once per origin).
 *
 * @since 0.1.0
 */
export const withCredentials: (
  options: credentialScope.CredentialOptions
) => <E, R>(client: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E | AuthError, R> =
  credentialScope.withCredentials

/**
 * Follows 301, 302, 303, 307 and 308 as Python's requests does (303, 302 and a POST's 301 go on
 * as a GET without the body), at most `maxRedirects` per request, then fails with
 * `TooManyRedirects`. Credential headers go on only to `trusted` URLs (by default, the same
 * origin). Put it above `withCredentials` so that each hop is signed for its own origin.
 *
 * @since 0.1.0
 */
export const followRedirects: (
  options: redirects.RedirectOptions
) => <E, R>(client: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E | redirects.TooManyRedirects, R> =
  redirects.followRedirects

/**
 * Waits for the limiter before every attempt and lets it learn from response headers.
 *
 * @since 0.1.0
 */
export const withRateLimit: (
  limiter: RateLimiter
) => <E, R>(client: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E, R> = middleware.withRateLimit

/**
 * What a completed exchange means: `Transient` (retry), `ResponseRejected` (non-2xx, or a
 * response action's "fail") or `ResponseIgnored` (a response action's "ignore").
 *
 * @since 0.1.0
 */
export const classifyResponses: (
  options: classify.ClassifyOptions
) => <E, R>(client: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E | classify.Classified, R> =
  classify.classify

/**
 * Retries `Transient` failures with exponential backoff, `Retry-After` honoured (with a floor),
 * jitter that only adds, capped delays and a capped number of retries. Each retry is logged
 * (info) with the request, its failure, the retry's number and its wait.
 *
 * @since 0.1.0
 */
export const withRetry: (
  policy: RetryPolicy,
  label?: string,
  options?: middleware.RetryLogOptions
) => <E, R>(client: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E | classify.Classified, R> =
  middleware.withRetry

/**
 * Logs every exchange at debug level: method, URL, status (or the failure) and milliseconds.
 * Add it only when debug logging is on (the ApiClient does): it times every request.
 *
 * @since 0.1.0
 */
export const withRequestLog: (
  options: requestLog.RequestLogOptions
) => <E, R>(client: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E, R> = requestLog.withRequestLog
