/**
 * The HttpClient middleware the ApiClient is composed of, besides `withLimits`
 * (exchangeLimits.ts) and `classify` (classify.ts). Each is a plain `HttpClient => HttpClient`,
 * so a user's own HttpClient gets exactly the same behaviour.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, FiberRef } from "effect"
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

/**
 * Retries `Transient` failures on the policy's schedule. The schedule (its driver, Refs and
 * context) is set up only once an attempt has failed: nearly every request succeeds first
 * time. The retries see the same inputs as `Effect.retry(exchange, schedule)` would: the first
 * failure, then each later one. Attempts are counted on the response (`BufferedResponse`) and
 * on the final failure.
 */
export const withRetry = (policy: RetryPolicy, label?: string) =>
<E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E | Classified, R> =>
  HttpClient.transformResponse(client, (exchange) =>
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
        return Effect.retry(again, Retry.schedule(policy, label, budget)).pipe(
          Effect.map((response) => counted(response, attempts)),
          Effect.mapError((error) => overBudget(withAttempts(error, attempts), budget, policy, label))
        )
      })
    }))
