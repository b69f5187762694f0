/**
 * Retry policy (DESIGN.md §2 `client.retry`): exponential backoff on transient failures,
 * honouring `Retry-After` with a floor, jitter that only ever adds, a cap on each delay
 * and on the number of retries.
 */
import { Duration, Effect, FiberRef, Option, Random, Schedule } from "effect"

export { defaultRetryPolicy as defaultPolicy, type RetryPolicy } from "../config/spec.js"
import type { RetryPolicy } from "../config/spec.js"

/**
 * What one resource has waited between retries in a run, against `client.retry.max_total_wait`.
 * `exceeded` is set instead of sleeping a wait that would pass the limit; the retry then stops.
 */
export interface RetryBudget {
  waitedMillis: number
  exceeded: boolean
}

/**
 * The budgets of the current run, by resource: `Pipeline.run` sets a fresh map, so every
 * request of a resource (a child's, for every parent record, included) draws on one budget.
 * Outside a run (a bare `records()` stream) each request has a budget of its own.
 */
export const currentRetryBudgets: FiberRef.FiberRef<Map<string, RetryBudget> | undefined> = FiberRef.unsafeMake<
  Map<string, RetryBudget> | undefined
>(undefined)

export const budgetFor = (budgets: Map<string, RetryBudget> | undefined, key: string): RetryBudget => {
  const fresh = { waitedMillis: 0, exceeded: false }
  if (budgets === undefined) return fresh
  const existing = budgets.get(key)
  if (existing !== undefined) return existing
  budgets.set(key, fresh)
  return fresh
}

/** A `Retry-After` of 0 must not make us spin (dlt#4036). */
export const retryAfterFloor = Duration.millis(500)

/** The failure the schedule looks at: what to wait for, if the server said. */
export interface RetryableFailure {
  readonly _tag: "Transient"
  readonly retryAfter: Option.Option<Duration.Duration>
}

/** Only transient failures are retried; any other input ends the schedule. */
const isRetryable = (u: unknown): u is RetryableFailure =>
  typeof u === "object" && u !== null && "_tag" in u && u._tag === "Transient" && "retryAfter" in u && Option.isOption(u.retryAfter)

/** `Retry-After` as delta-seconds or an HTTP date, relative to `nowMillis`. */
export const parseRetryAfter = (value: string | undefined, nowMillis: number): Option.Option<Duration.Duration> => {
  if (value === undefined) return Option.none()
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Option.some(Duration.millis(Math.round(Number(trimmed) * 1000)))
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? Option.none() : Option.some(Duration.millis(Math.max(0, at - nowMillis)))
}

/** The wait before a retry, before jitter: the server's word if it gave one, else backoff; capped. */
export const baseDelay = (
  policy: RetryPolicy,
  exponential: Duration.Duration,
  failure: unknown
): Duration.Duration => {
  const cap = Duration.seconds(policy.maxDelay)
  if (policy.respectRetryAfter && isRetryable(failure) && Option.isSome(failure.retryAfter)) {
    return Duration.min(Duration.max(failure.retryAfter.value, retryAfterFloor), cap)
  }
  return Duration.min(exponential, cap)
}

/** The server's `Retry-After` when it is honoured and longer than `max_delay`; else undefined. */
const askedFor = (policy: RetryPolicy, failure: unknown): Duration.Duration | undefined =>
  policy.respectRetryAfter && isRetryable(failure) && Option.isSome(failure.retryAfter) &&
    Duration.greaterThan(failure.retryAfter.value, Duration.seconds(policy.maxDelay))
    ? failure.retryAfter.value
    : undefined

/**
 * The schedule: `Schedule.exponential(backoffFactor s)` gives 1x, 2x, 4x...; each delay is
 * replaced by the server's `Retry-After` when present, capped, then jitter is added on top.
 * Its input is the failure, so the delay can depend on it; a failure that is not transient ends it.
 */
export const schedule = (
  policy: RetryPolicy,
  label?: string,
  budget: RetryBudget = { waitedMillis: 0, exceeded: false },
  onRetry?: (failure: unknown, wait: Duration.Duration) => Effect.Effect<void>
): Schedule.Schedule<unknown, unknown> =>
  Schedule.exponential(Duration.seconds(policy.backoffFactor), 2).pipe(
    Schedule.intersect(Schedule.identity<unknown>()),
    Schedule.intersect(Schedule.recurWhile((failure) => isRetryable(failure) && !budget.exceeded)),
    Schedule.intersect(Schedule.recurs(policy.maxRetries)),
    Schedule.modifyDelayEffect(([[[exponential, failure]]]) => {
      const delay = baseDelay(policy, exponential, failure)
      const jittered = Effect.map(
        policy.jitter <= 0
          ? Effect.succeed(delay)
          : Effect.map(Random.next, (r) => Duration.millis(Math.round(Duration.toMillis(delay) * (1 + r * policy.jitter)))),
        (wait) => {
          // A wait that would pass the resource's total is not slept: the retry stops instead.
          const millis = Duration.toMillis(wait)
          if (budget.waitedMillis + millis > policy.maxTotalWait * 1000) {
            budget.exceeded = true
            return Duration.zero
          }
          budget.waitedMillis += millis
          return wait
        }
      )
      // Each retry is announced as it is scheduled (a dead host is not minutes of silence).
      const announced = onRetry === undefined
        ? jittered
        : Effect.tap(jittered, (wait) => (budget.exceeded ? Effect.void : onRetry(failure, wait)))
      const asked = askedFor(policy, failure)
      // A server's wait longer than max_delay is not slept silently: say so, then wait max_delay.
      return asked === undefined ? announced : Effect.zipRight(
        Effect.logWarning(
          `${label === undefined ? "" : `${label}: `}the server asked to wait ${Duration.format(asked)} (Retry-After) before retrying; ` +
            `waiting ${Duration.format(Duration.seconds(policy.maxDelay))} instead (client.retry.max_delay)`
        ),
        announced
      )
    })
  )
