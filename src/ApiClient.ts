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
import * as classify from "./internal/http/classify.js"
import * as exchangeLimits from "./internal/http/exchangeLimits.js"
import * as middleware from "./internal/http/middleware.js"
import type { RateLimiter } from "./internal/http/rateLimit.js"

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
 * jitter that only adds, capped delays and a capped number of retries.
 *
 * @since 0.1.0
 */
export const withRetry: (
  policy: RetryPolicy,
  label?: string
) => <E, R>(client: HttpClient.HttpClient.With<E, R>) => HttpClient.HttpClient.With<E | classify.Classified, R> =
  middleware.withRetry
