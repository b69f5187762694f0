/**
 * How many requests one API client keeps in flight, found the way TCP finds its window
 * (additive increase, multiplicative decrease): the limit doubles per round trip until the API
 * first pushes back (slow start), then grows by one per limit's worth of good responses, and
 * halves when the API pushes back: a 429 or 503, or rate-limit headers
 * (`RateLimit-Remaining`, `X-RateLimit-Remaining`) saying the budget runs low. It starts at 8
 * and never exceeds `client.max_concurrency`.
 *
 * Only one halving per round trip: the responses to requests sent before a halving say
 * nothing about the new limit, so they do not halve it again (each carries the epoch it was
 * sent in). A refused request also tells how many were in flight when it went out: fewer
 * than that is the API's capacity as far as we know, so the limit climbs back to it quickly
 * and probes past it ten times more slowly (plain AIMD would overshoot again within a few
 * round trips, and every refused request waits out its Retry-After). Every slot is taken and
 * given back in plain code; waiting requests are woken in order.
 */
import { Effect, type Exit } from "effect"
import { parseHeaders } from "./rateLimit.js"

/** Where the limit starts: what concurrent pages ask for by default, so a fast API needs no ramp. */
const initialLimit = 8

export interface ConcurrencyStats {
  /** The most requests that were in flight at once. */
  readonly reached: number
  /** The limit as it stands. */
  readonly limit: number
  /** Responses that pushed back (429, 503, a low rate-limit budget). */
  readonly throttles: number
}

/** What a finished exchange tells the limit. */
interface Outcome {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
}

/** The stats of one stretch of time (a run), read while or after it lasts. */
export interface ConcurrencyWindow {
  /** The most in flight and the throttles since the window opened; the limit as it stands. */
  readonly read: () => ConcurrencyStats
  /** Stops counting (`read` keeps answering with what was counted). */
  readonly close: () => void
}

export interface ConcurrencyLimit {
  /** Runs the exchange once a slot is free, and learns from its response. */
  readonly around: <A extends Outcome, E, R>(exchange: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** Since the limit was made (it lives as long as the source's client). */
  readonly stats: () => ConcurrencyStats
  /** Starts counting for one run: a client outlives its runs, and runs may overlap. */
  readonly open: () => ConcurrencyWindow
}

/** A budget at or below this share of its limit (or 10 requests without a limit) is low. */
const lowBudget = (remaining: number, limit: number | undefined): boolean =>
  remaining <= (limit !== undefined && limit > 0 ? Math.max(1, Math.ceil(limit * 0.1)) : 10)

const pushesBack = (outcome: Outcome): boolean => {
  if (outcome.status === 429 || outcome.status === 503) return true
  const budget = parseHeaders(outcome.headers, Date.now())
  return budget !== undefined && lowBudget(budget.remaining, budget.limit)
}

export const make = (maxConcurrency: number): ConcurrencyLimit => {
  const max = Math.max(1, maxConcurrency)
  let limit = Math.min(initialLimit, max)
  let inFlight = 0
  let reached = 0
  let throttles = 0
  let epoch = 0
  /** Fewest requests in flight when one was refused, less one: the capacity as far as we know. */
  let capacity = max
  const waiting: Array<() => void> = []
  /** Open windows' peaks (usually none or one, so `take` stays cheap). */
  const windows = new Set<{ reached: number }>()

  const take = () => {
    inFlight++
    if (inFlight > reached) reached = inFlight
    if (windows.size > 0) for (const w of windows) if (inFlight > w.reached) w.reached = inFlight
  }

  // Slots freed (or a grown limit) go to the waiting requests, oldest first.
  const wake = () => {
    while (waiting.length > 0 && inFlight < Math.floor(limit)) {
      take()
      const resume = waiting.shift()
      if (resume !== undefined) resume()
    }
  }

  const acquire: Effect.Effect<void> = Effect.suspend(() => {
    if (waiting.length === 0 && inFlight < Math.floor(limit)) {
      take()
      return Effect.void
    }
    return Effect.async<void>((resume) => {
      const entry = () => resume(Effect.void)
      waiting.push(entry)
      // Interrupted while waiting: leave the queue (no slot was handed over).
      return Effect.sync(() => {
        const at = waiting.indexOf(entry)
        if (at >= 0) waiting.splice(at, 1)
      })
    })
  })

  const release = (sentIn: number, sentWith: number) => <A extends Outcome, E>(exit: Exit.Exit<A, E>) =>
    Effect.sync(() => {
      inFlight--
      if (exit._tag === "Success") {
        if (pushesBack(exit.value)) {
          throttles++
          const refused = exit.value.status === 429 || exit.value.status === 503
          if (refused && sentWith > capacity) {
            // A probe past the known capacity was refused: back to the capacity, no halving.
            limit = Math.min(limit, capacity)
          } else if (sentIn === epoch) {
            if (refused) capacity = Math.max(1, sentWith - 1)
            limit = Math.max(1, Math.floor(limit / 2))
            epoch++
          }
        } else if (exit.value.status < 400) {
          // Until the API first pushes back, one more per good response (TCP's slow start:
          // doubling per round trip); after that, one more per round of good responses.
          const step = throttles === 0 ? 1 : 1 / Math.floor(limit)
          limit = Math.min(max, limit + (limit < capacity ? step : step / 10))
        }
      }
      wake()
    })

  return {
    // A free slot is taken synchronously inside the mask (no waiting Effect on the common path);
    // only a request that must wait leaves the mask to wait interruptibly.
    around: (exchange) =>
      Effect.uninterruptibleMask((restore) => {
        if (waiting.length === 0 && inFlight < Math.floor(limit)) {
          take()
          return Effect.onExit(restore(exchange), release(epoch, inFlight))
        }
        return Effect.flatMap(restore(acquire), () => Effect.onExit(restore(exchange), release(epoch, inFlight)))
      }),
    stats: () => ({ reached, limit: Math.floor(limit), throttles }),
    open: () => {
      const peak = { reached: inFlight }
      const throttlesBefore = throttles
      let closed: { readonly reached: number; readonly throttles: number } | undefined
      windows.add(peak)
      return {
        read: () => ({
          reached: closed?.reached ?? peak.reached,
          limit: Math.floor(limit),
          throttles: closed?.throttles ?? throttles - throttlesBefore
        }),
        close: () => {
          if (closed !== undefined) return
          closed = { reached: peak.reached, throttles: throttles - throttlesBefore }
          windows.delete(peak)
        }
      }
    }
  }
}
