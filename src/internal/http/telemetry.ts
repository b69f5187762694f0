/**
 * The HTTP side of the telemetry: a span per page (its request, retries and their waits
 * included) and a client span per attempt under it, with the pages, retries, requests-by-status,
 * bytes and page-latency metrics. The flag is read once per page; off, the page goes through
 * a client without the per-attempt middleware, so it costs one Effect operation per page.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Clock, Effect, Metric } from "effect"
import { BufferedResponse } from "./bufferedResponse.js"
import { currentTelemetry, metrics, SpanNames } from "../telemetry/telemetry.js"

/** Per resource, the tagged metrics an attempt or a page updates (made once, when first needed). */
interface ResourceMetrics {
  readonly pages: Metric.Metric.Counter<number>
  readonly retries: Metric.Metric.Counter<number>
  readonly bytes: Metric.Metric.Counter<number>
  readonly pageDuration: Metric.Metric.Histogram<number>
  readonly requests: Map<string, Metric.Metric.Counter<number>>
}

const byResource = new Map<string, ResourceMetrics>()

const metricsOf = (resource: string): ResourceMetrics => {
  let found = byResource.get(resource)
  if (found === undefined) {
    found = {
      pages: Metric.tagged(metrics.pages, "resource", resource),
      retries: Metric.tagged(metrics.retries, "resource", resource),
      bytes: Metric.tagged(metrics.bytes, "resource", resource),
      pageDuration: Metric.tagged(metrics.pageDuration, "resource", resource),
      requests: new Map()
    }
    byResource.set(resource, found)
  }
  return found
}

const requestsOf = (resource: string, status: string): Metric.Metric.Counter<number> => {
  const { requests } = metricsOf(resource)
  let counter = requests.get(status)
  if (counter === undefined) {
    counter = Metric.tagged(Metric.tagged(metrics.requests, "resource", resource), "status", status)
    requests.set(status, counter)
  }
  return counter
}

const bytesOf = (response: HttpClientResponse.HttpClientResponse): number =>
  response instanceof BufferedResponse ? response.byteLength : 0

const errorType = (error: unknown): string => {
  if (typeof error !== "object" || error === null || !("_tag" in error) || typeof error._tag !== "string") return "unknown"
  return "reason" in error && typeof error.reason === "string" ? `${error._tag}.${error.reason}` : error._tag
}

/** One attempt on the wire (redirect hops included): a client span, its status and body size counted. */
const attempt = <E, R>(
  exchange: Effect.Effect<HttpClientResponse.HttpClientResponse, E, R>,
  request: HttpClientRequest.HttpClientRequest,
  resource: string,
  urlOf: (request: HttpClientRequest.HttpClientRequest) => string
): Effect.Effect<HttpClientResponse.HttpClientResponse, E, R> =>
  exchange.pipe(
    Effect.tap((response) => {
      const bytes = bytesOf(response)
      return Effect.zipRight(
        Effect.annotateCurrentSpan({ "http.response.status_code": response.status, "http.response.body.size": bytes }),
        Effect.zipRight(Metric.increment(requestsOf(resource, String(response.status))), Metric.incrementBy(metricsOf(resource).bytes, bytes))
      )
    }),
    Effect.tapError((error) =>
      Effect.zipRight(Effect.annotateCurrentSpan("error.type", errorType(error)), Metric.increment(requestsOf(resource, "error")))
    ),
    Effect.withSpan(request.method, {
      kind: "client",
      captureStackTrace: false,
      attributes: { "http.request.method": request.method, "url.full": urlOf(request), "rest_connector.resource": resource }
    })
  )

/**
 * Middleware: each attempt through `client` becomes a client span (named by its method) with
 * its status and body size, counted in `rest_connector.http.requests` and `.response.bytes`.
 * `urlOf` gives the URL to show (redacted). The ApiClient keeps a client with it and one
 * without, and `observePage` picks one per page.
 */
export const instrumentAttempts = (resource: string, urlOf: (request: HttpClientRequest.HttpClientRequest) => string) =>
<E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> =>
  HttpClient.transform(client, (exchange, request) => attempt(exchange, request, resource, urlOf))

export interface PageInfo {
  readonly resource: string
  readonly page: number
  readonly method: string
  /** The endpoint's path as configured, placeholders unfilled (few distinct values, unlike URLs). */
  readonly urlTemplate: string
  /** The page's URL, redacted (computed only when telemetry is on). */
  readonly url: () => string
}

/** What a page's outcome says about it: its attempts, and its status when a response came. */
interface Attempted {
  readonly attempts: number
  readonly status?: number | undefined
}

/**
 * A page's request, `exchange(traced)`: with telemetry off, `exchange(false)`. On,
 * `exchange(true)` (over the client whose attempts are spans) as a span (`ApiClient.page`) with
 * its status and retries; its time goes to `rest_connector.page.duration`, and it counts in
 * `.pages` and `.http.retries`.
 */
export const observePage = <A extends Attempted, E extends Attempted>(
  info: PageInfo,
  exchange: (traced: boolean) => Effect.Effect<A, E>
): Effect.Effect<A, E> =>
  Effect.withFiberRuntime<A, E>((fiber) => {
    if (!fiber.getFiberRef(currentTelemetry)) return exchange(false)
    const effect = exchange(true)
    const own = metricsOf(info.resource)
    const outcome = (attempted: Attempted, startedMillis: number, fetched: boolean) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.all([
          Effect.annotateCurrentSpan({
            "rest_connector.retries": attempted.attempts - 1,
            ...(attempted.status === undefined ? {} : { "http.response.status_code": attempted.status })
          }),
          // As LoadInfo counts them: pages that came.
          fetched ? Metric.increment(own.pages) : Effect.void,
          Metric.incrementBy(own.retries, attempted.attempts - 1),
          Metric.update(own.pageDuration, (now - startedMillis) / 1000)
        ], { discard: true }))
    return Effect.flatMap(Clock.currentTimeMillis, (started) =>
      effect.pipe(
        Effect.tap((response) => outcome(response, started, true)),
        Effect.tapError((error) => outcome(error, started, false))
      )).pipe(
        Effect.withSpan(SpanNames.page, {
          captureStackTrace: false,
          attributes: {
            "rest_connector.resource": info.resource,
            "rest_connector.page": info.page,
            "url.template": info.urlTemplate,
            "url.full": info.url(),
            "http.request.method": info.method
          }
        })
      )
  })
