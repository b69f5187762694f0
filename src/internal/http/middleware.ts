/**
 * The HttpClient middleware the ApiClient is composed of, besides `withLimits`
 * (exchangeLimits.ts) and `classify` (classify.ts). Each is a plain `HttpClient => HttpClient`,
 * so a user's own HttpClient gets exactly the same behaviour.
 */
import type { ConcurrencyLimit } from "./adaptiveConcurrency.js"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Duration, Effect, FiberRef } from "effect"
import type { RetryPolicy } from "../config/spec.js"
import type { Authenticator } from "./auth.js"
import { BufferedResponse } from "./bufferedResponse.js"
import { type Classified, isTransient, ResponseIgnored, ResponseRejected, Transient } from "./classify.js"
import type { RateLimiter } from "./rateLimit.js"
import * as Retry from "./retry.js"

/** Signs every request (and every retry of it) with the authenticator's credentials. */
export const withAuth = (authenticator: Authenticator) => HttpClient.mapRequestEffect(authenticator.authenticate)

/** Waits for the limiter before every attempt and lets it learn from every response's headers. */
export const withRateLimit = (limiter: RateLimiter) =>
<E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> =>
  HttpClient.transformResponse(
    client,
    (exchange) => Effect.zipRight(limiter.acquire, Effect.tap(exchange, (response) => limiter.observe(response.headers)))
  )

/** Each attempt takes one of the client's adaptive slots for its exchange (not for retry waits). */
export const withConcurrencyLimit = (limit: ConcurrencyLimit) =>
<E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> =>
  HttpClient.transformResponse(client, limit.around)

/** The same failure, saying how many attempts the request took. */
const withAttempts = <E>(error: E, attempts: number): E | Classified => {
  if (attempts === 1) return error
  if (error instanceof Transient) return new Transient({ ...fieldsOf(error), attempts })
  if (error instanceof ResponseRejected) {
    return new ResponseRejected({ reason: error.reason, status: error.status, detail: error.detail, attempts })
  }
  if (error instanceof ResponseIgnored) return new ResponseIgnored({ response: error.response, attempts })
  return error
}

/** The final failure, saying the retries stopped because the resource's waits reached their limit. */
const overBudget = <E>(error: E, budget: Retry.RetryBudget, policy: RetryPolicy, label: string | undefined): E | Transient => {
  if (!budget.exceeded || !(error instanceof Transient)) return error
  const whose = label === undefined ? "" : ` for ${label}`
  const detail = `${error.detail}; retries stopped: another wait would pass ${policy.maxTotalWait} s of waiting${whose} ` +
    `(client.retry.max_total_wait)`
  return new Transient({ ...fieldsOf(error), detail, attempts: error.attempts })
}

const fieldsOf = (e: Transient) => ({ status: e.status, detail: e.detail, reason: e.reason, retryAfter: e.retryAfter })

const counted = (response: HttpClientResponse.HttpClientResponse, attempts: number) => {
  if (response instanceof BufferedResponse) response.attempts = attempts
  return response
}

/** How retries are announced (an info log line per retry). */
export interface RetryLogOptions {
  /** The resource, as a log annotation. */
  readonly resource?: string | undefined
  /** The request as the line shows it, e.g. `GET <URL, secrets redacted>` (default: method and URL without its query). */
  readonly describe?: ((request: HttpClientRequest.HttpClientRequest) => string) | undefined
  /** Removes secrets from the failure's text. */
  readonly redact?: ((text: string) => string) | undefined
}

/** What went wrong, in a few words: `HTTP 503`, `transport error: ECONNREFUSED ...`. */
const causeOf = (failure: unknown): string => {
  if (!(failure instanceof Transient)) return "failed"
  if (failure.reason === "Status") return `HTTP ${failure.status}`
  if (failure.reason === "ResponseAction") return `HTTP ${failure.status}, a response action asked for a retry`
  return failure.detail
}

/** `resource 'x': GET <url> failed (HTTP 503); retry 2 of 4 in 2.0s`, as an info log line. */
const announce = (
  policy: RetryPolicy,
  label: string | undefined,
  options: RetryLogOptions,
  request: HttpClientRequest.HttpClientRequest,
  retry: number,
  failure: unknown,
  wait: Duration.Duration
): Effect.Effect<void> => {
  const redact = options.redact ?? ((text: string) => text)
  const what = options.describe === undefined ? `${request.method} ${request.url}` : options.describe(request)
  const cause = redact(causeOf(failure))
  const millis = Duration.toMillis(wait)
  return Effect.logInfo(
    `${label === undefined ? "" : `${label}: `}${what} failed (${cause}); retry ${retry} of ${policy.maxRetries} in ${
      (millis / 1000).toFixed(1)
    }s`
  ).pipe(
    Effect.annotateLogs({
      ...(options.resource === undefined ? {} : { resource: options.resource }),
      event: "retry",
      request: what,
      cause,
      retry,
      max_retries: policy.maxRetries,
      wait_ms: millis
    })
  )
}

/**
 * Retries `Transient` failures on the policy's schedule, announcing each retry (an info log
 * line: the request, its failure, the retry's number and wait). The schedule (its driver,
 * Refs and context) is set up only once an attempt has failed: nearly every request succeeds
 * first time. The retries see the same inputs as `Effect.retry(exchange, schedule)` would: the
 * first failure, then each later one. Attempts are counted on the response
 * (`BufferedResponse`) and on the final failure.
 */
export const withRetry = (policy: RetryPolicy, label?: string, options: RetryLogOptions = {}) =>
<E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E | Classified, R> =>
  HttpClient.transform(client, (exchange, request) =>
    Effect.catchAll(exchange, (first): Effect.Effect<HttpClientResponse.HttpClientResponse, E | Classified, R> => {
      if (!isTransient(first)) return Effect.fail(first)
      return Effect.flatMap(FiberRef.get(Retry.currentRetryBudgets), (budgets) => {
        const budget = Retry.budgetFor(budgets, label ?? "")
        let attempts = 1
        let replayed = false
        let last: E = first
        const again = Effect.suspend((): Effect.Effect<HttpClientResponse.HttpClientResponse, E, R> => {
          if (!replayed) {
            replayed = true
            return Effect.fail(first)
          }
          // Past the wait budget, the last failure ends the retries (the schedule stops on it).
          if (budget.exceeded) return Effect.fail(last)
          attempts += 1
          return Effect.tapError(exchange, (e) =>
            Effect.sync(() => {
              last = e
            }))
        })
        // The retry about to be scheduled is the one after `attempts` attempts.
        const onRetry = (failure: unknown, wait: Duration.Duration) =>
          announce(policy, label, options, request, attempts, failure, wait)
        return Effect.retry(again, Retry.schedule(policy, label, budget, onRetry)).pipe(
          Effect.map((response) => counted(response, attempts)),
          Effect.mapError((error) => overBudget(withAttempts(error, attempts), budget, policy, label))
        )
      })
    }))
