/**
 * The HTTP side of the telemetry: a span per page (its request, retries and their waits
 * included) and a client span per attempt under it, with the pages, retries, requests-by-status,
 * bytes and page-latency metrics. The flag is read once per page; off, the page goes through
 * a client without the per-attempt middleware, so it costs one Effect operation per page.
 *
 * On, the bookkeeping is plain code run once when a page or attempt ends (a few Effect
 * operations each, not one per attribute or metric: those doubled the CPU of a page), and the
 * metrics are updated with label arrays made once per resource and status, which Effect's
 * metric hooks are cached by.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Cause, Clock, Context, Effect, Exit, type Fiber, FiberRef, MetricLabel, Option, type Tracer } from "effect"
import { currentTelemetry, metrics, SpanNames } from "../telemetry/telemetry.js"
import { BufferedResponse } from "./bufferedResponse.js"

/** Label arrays made once: Effect caches a metric's hook by its labels array. */
const resourceLabels = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()
const statusLabels = new Map<string, ReadonlyArray<MetricLabel.MetricLabel>>()

const labelsOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>, resource: string): ReadonlyArray<MetricLabel.MetricLabel> => {
  let labels = resourceLabels.get(resource)
  if (labels === undefined) {
    labels = [MetricLabel.make("resource", resource)]
    resourceLabels.set(resource, labels)
  }
  // Labels a program put on its metrics (`Effect.tagMetrics`) come first, as with `Metric.update`.
  const outer = fiber.getFiberRef(FiberRef.currentMetricLabels)
  return outer.length === 0 ? labels : [...outer, ...labels]
}

const withStatus = (labels: ReadonlyArray<MetricLabel.MetricLabel>, resource: string, status: string) => {
  if (labels.length !== 1) return [...labels, MetricLabel.make("status", status)]
  const key = `${resource}\u0000${status}`
  let found = statusLabels.get(key)
  if (found === undefined) {
    found = [...labels, MetricLabel.make("status", status)]
    statusLabels.set(key, found)
  }
  return found
}

/**
 * The redacted URL of the page this attempt is for, from the page's span (redacting parses the
 * URL: once per page is enough). Undefined outside a page (a client used on its own).
 */
const pageUrl = (fiber: Fiber.RuntimeFiber<unknown, unknown>): string | undefined => {
  const span = fiber.currentSpan
  if (span === undefined || span._tag !== "Span" || span.name !== SpanNames.page) return undefined
  const url = span.attributes.get("url.full")
  return typeof url === "string" ? url : undefined
}

const clockOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>) => Context.get(fiber.currentDefaultServices, Clock.Clock)

const errorType = (error: unknown): string => {
  if (typeof error !== "object" || error === null || !("_tag" in error) || typeof error._tag !== "string") return "unknown"
  return "reason" in error && typeof error.reason === "string" ? `${error._tag}.${error.reason}` : error._tag
}

/** An attempt's end: its status and body size on its span, counted by status. */
const attemptEnded = (
  span: Tracer.Span,
  exit: Exit.Exit<HttpClientResponse.HttpClientResponse, unknown>,
  resource: string,
  labels: ReadonlyArray<MetricLabel.MetricLabel>
) => {
  if (Exit.isSuccess(exit)) {
    const response = exit.value
    const bytes = response instanceof BufferedResponse ? response.byteLength : 0
    span.attribute("http.response.status_code", response.status)
    span.attribute("http.response.body.size", bytes)
    metrics.requests.unsafeUpdate(1, withStatus(labels, resource, String(response.status)))
    metrics.bytes.unsafeUpdate(bytes, labels)
    return
  }
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) return
  span.attribute("error.type", errorType(failure.value))
  metrics.requests.unsafeUpdate(1, withStatus(labels, resource, "error"))
}

/**
 * Middleware: each attempt through `client` becomes a client span (named by its method) with
 * its status and body size, counted in `rest_connector.http.requests` and `.response.bytes`.
 * `urlOf` gives the URL to show (redacted). The ApiClient keeps a client with it and one
 * without, and `observePage` picks one per page.
 */
export const instrumentAttempts = (resource: string, urlOf: (request: HttpClientRequest.HttpClientRequest) => string) =>
<E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> =>
  HttpClient.transform(client, (exchange, request) =>
    Effect.withFiberRuntime<HttpClientResponse.HttpClientResponse, E, R>((fiber) => {
      const labels = labelsOf(fiber, resource)
      return Effect.useSpan(request.method, {
        kind: "client",
        captureStackTrace: false,
        attributes: { "http.request.method": request.method, "url.full": pageUrl(fiber) ?? urlOf(request), "rest_connector.resource": resource }
      }, (span) =>
        Effect.onExit(Effect.withParentSpan(exchange, span), (exit) => Effect.sync(() => attemptEnded(span, exit, resource, labels))))
    }))

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

/** A page's end: its retries and status on its span; counted, timed. */
const pageEnded = (
  span: Tracer.Span,
  exit: Exit.Exit<Attempted, Attempted>,
  seconds: number,
  labels: ReadonlyArray<MetricLabel.MetricLabel>
) => {
  const outcome = Exit.isSuccess(exit) ? exit.value : Option.getOrUndefined(Cause.failureOption(exit.cause))
  if (outcome !== undefined) {
    span.attribute("rest_connector.retries", outcome.attempts - 1)
    if (outcome.status !== undefined) span.attribute("http.response.status_code", outcome.status)
    metrics.retries.unsafeUpdate(outcome.attempts - 1, labels)
  }
  // As LoadInfo counts them: pages that came.
  if (Exit.isSuccess(exit)) metrics.pages.unsafeUpdate(1, labels)
  metrics.pageDuration.unsafeUpdate(seconds, labels)
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
    const labels = labelsOf(fiber, info.resource)
    const clock = clockOf(fiber)
    const started = clock.unsafeCurrentTimeMillis()
    return Effect.useSpan(SpanNames.page, {
      captureStackTrace: false,
      attributes: {
        "rest_connector.resource": info.resource,
        "rest_connector.page": info.page,
        "url.template": info.urlTemplate,
        "url.full": info.url(),
        "http.request.method": info.method
      }
    }, (span) =>
      Effect.onExit(Effect.withParentSpan(exchange(true), span), (exit) =>
        Effect.sync(() => pageEnded(span, exit, (clock.unsafeCurrentTimeMillis() - started) / 1000, labels))))
  })
