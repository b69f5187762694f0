/**
 * Proactive rate limiting for one API client, shared by every resource that uses it.
 *
 * Two mechanisms, applied in this order on every `acquire`:
 * 1. a header-driven gate: the server's `RateLimit-Remaining`/`-Reset` (or `X-RateLimit-*`)
 *    headers block all requests until the reset once the budget is spent, and spread the
 *    last few requests of a window evenly up to the reset;
 * 2. fixed budgets from the config (`requests_per_second`, `requests_per_minute`), built on
 *    Effect's `RateLimiter`.
 * Both read time through `Clock`, so `TestClock` drives them.
 */
import { Context, Duration, Effect, RateLimiter as EffectRateLimiter } from "effect"
import type { Scope } from "effect"

export type { RateLimitOptions } from "../config/spec.js"
import type { RateLimitOptions } from "../config/spec.js"

export interface RateLimiter {
  /** Waits until a request may be sent. */
  readonly acquire: Effect.Effect<void>
  /** Learns from a response's headers (names lower-cased); may make later `acquire`s wait. */
  readonly observe: (headers: Readonly<Record<string, string>>) => Effect.Effect<void>
}

/** A limiter that never waits and ignores headers. */
export const unlimited: RateLimiter = {
  acquire: Effect.void,
  observe: () => Effect.void
}

/** No header may make us wait longer than this (a bad or hostile reset value must not hang a sync). */
export const maxHeaderWait = Duration.minutes(15)

// ---------------------------------------------------------------------------
// Header parsing

/** What a response said about the server's budget. */
export interface BudgetHeaders {
  readonly remaining: number
  /** Milliseconds from now until the window resets, capped and never negative; undefined if not sent. */
  readonly resetInMillis: number | undefined
  readonly limit: number | undefined
}

// IETF draft first, then the common vendor spellings (GitHub/GitLab `x-ratelimit-*`, Twitter `x-rate-limit-*`).
const prefixes = ["ratelimit-", "x-ratelimit-", "x-rate-limit-"] as const

/** The leading number of a header value; draft values may carry parameters (`10;w=60`). */
const leadingNumber = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const match = /^\s*(\d+(?:\.\d+)?)/.exec(value)
  return match === null ? undefined : Number(match[1])
}

const firstNumber = (headers: Readonly<Record<string, string>>, suffix: string): number | undefined => {
  for (const prefix of prefixes) {
    const n = leadingNumber(headers[prefix + suffix])
    if (n !== undefined) return n
  }
  return undefined
}

/**
 * A reset value in milliseconds from `nowMillis`. The IETF draft sends delta seconds, GitHub
 * sends epoch seconds and a few APIs epoch milliseconds; a delta that large would be decades,
 * so magnitude tells them apart.
 */
export const resetDelayMillis = (value: number, nowMillis: number): number => {
  const raw = value > 1e12 ? value - nowMillis : value > 1e9 ? value * 1000 - nowMillis : value * 1000
  return Math.min(Math.max(0, Math.ceil(raw)), Duration.toMillis(maxHeaderWait))
}

/** Reads the budget headers (names lower-cased); undefined when no remaining count was sent. */
export const parseHeaders = (
  headers: Readonly<Record<string, string>>,
  nowMillis: number
): BudgetHeaders | undefined => {
  const remaining = firstNumber(headers, "remaining")
  if (remaining === undefined) return undefined
  const reset = firstNumber(headers, "reset")
  return {
    remaining,
    resetInMillis: reset === undefined ? undefined : resetDelayMillis(reset, nowMillis),
    limit: firstNumber(headers, "limit")
  }
}

// ---------------------------------------------------------------------------
// Header-driven gate

interface GateState {
  /** Epoch ms before which no request may start (budget spent). */
  readonly blockedUntil: number
  /** Pacing: gap between requests while the budget is low, 0 when not pacing. */
  readonly spacingMillis: number
  /** Pacing stops at the window's reset. */
  readonly pacedUntil: number
  /** The next free paced slot; each `acquire` takes one and moves it on by `spacingMillis`. */
  readonly nextSlot: number
}

const initialGate: GateState = { blockedUntil: 0, spacingMillis: 0, pacedUntil: 0, nextSlot: 0 }

/** Remaining counts at or below this are "low": 10% of the advertised limit, else 10 requests. */
const lowWatermark = (limit: number | undefined): number =>
  limit !== undefined && limit > 0 ? Math.max(1, Math.ceil(limit * 0.1)) : 10

/** The gate's new state after a response (pure, so `Ref.update` keeps it atomic). */
const learn = (state: GateState, budget: BudgetHeaders, now: number): GateState => {
  const reset = budget.resetInMillis
  // Without a reset time we can't know how long to hold off; the retry layer handles any 429.
  if (reset === undefined) return state
  if (budget.remaining <= 0) {
    // Keep the later block: a response that was in flight earlier may report an older window.
    return { ...state, blockedUntil: Math.max(state.blockedUntil, now + reset) }
  }
  if (budget.remaining <= lowWatermark(budget.limit) && reset > 0) {
    const spacingMillis = reset / budget.remaining
    // Slots already handed out stay; the next one is at least a full gap after this response.
    const nextSlot = Math.max(state.spacingMillis > 0 && now < state.pacedUntil ? state.nextSlot : 0, now + spacingMillis)
    return { ...state, spacingMillis, pacedUntil: now + reset, nextSlot }
  }
  return { ...state, spacingMillis: 0 }
}

/** Takes the next paced slot (if pacing) and returns how long to wait for it. */
const reserve = (state: GateState, now: number): readonly [number, GateState] => {
  if (state.spacingMillis <= 0 || now >= state.pacedUntil) return [0, state]
  const slot = Math.max(now, state.nextSlot)
  return [slot - now, { ...state, nextSlot: slot + state.spacingMillis }]
}

const sleepMillis = (millis: number): Effect.Effect<void> =>
  millis > 0 ? Effect.sleep(Duration.millis(millis)) : Effect.void

/**
 * The gate's state is a plain variable: every read-modify-write below is synchronous, so no
 * other fiber runs in between (what `Ref.update` guarantees, without its Effect operations on
 * every request). The common case, no block and no pacing, is one clock read.
 */
const makeGate = Effect.sync(() => {
  let state = initialGate

  // Re-checked after every sleep: another response may have extended the block meanwhile.
  const waitUnblocked: Effect.Effect<void> = Effect.clockWith((clock) => {
    const now = clock.unsafeCurrentTimeMillis()
    return now < state.blockedUntil ? Effect.zipRight(sleepMillis(state.blockedUntil - now), waitUnblocked) : Effect.void
  })

  const acquire: Effect.Effect<void> = Effect.clockWith((clock) => {
    const now = clock.unsafeCurrentTimeMillis()
    if (now < state.blockedUntil) return Effect.zipRight(waitUnblocked, acquire)
    const [wait, next] = reserve(state, now)
    state = next
    return wait > 0 ? Effect.zipRight(sleepMillis(wait), waitUnblocked) : Effect.void
  })

  const observe = (headers: Readonly<Record<string, string>>): Effect.Effect<void> =>
    Effect.clockWith((clock) => {
      const now = clock.unsafeCurrentTimeMillis()
      const budget = parseHeaders(headers, now)
      if (budget !== undefined) state = learn(state, budget, now)
      return Effect.void
    })

  return { acquire, observe } satisfies RateLimiter
})

// ---------------------------------------------------------------------------
// Fixed budgets

/**
 * `rate` requests per `intervalMillis` as an Effect `RateLimiter`. Its semaphore needs a whole
 * limit, so fractional rates become `floor(rate)` per proportionally shorter interval
 * (2.5/s -> 2 per 800 ms, 0.5/s -> 1 per 2 s). Fixed windows, so a full limit may be sent at
 * once and the next request waits for the window to end.
 */
const fixedBudget = (
  rate: number | undefined,
  intervalMillis: number
): Effect.Effect<EffectRateLimiter.RateLimiter | undefined, never, Scope.Scope> => {
  if (rate === undefined || !Number.isFinite(rate) || rate <= 0) return Effect.succeed(undefined)
  const limit = Math.max(1, Math.floor(rate))
  return EffectRateLimiter.make({
    limit,
    interval: Duration.millis(Math.ceil((intervalMillis * limit) / rate)),
    algorithm: "fixed-window"
  })
}

/**
 * Budgets kept beyond this process, so the cluster's runners share one: `take` waits until one
 * of `limit` requests per `windowMillis` under `key` may go. When there is one in context (a
 * runner puts it there), the config's `requests_per_second`/`_minute` draw on it, under the API
 * host's key or the tenant's (`rate_limit.per`). If the shared store cannot answer, the request
 * waits on this process's own budget instead, so a store outage never stops a sync.
 */
export interface SharedBudget {
  readonly take: (key: string, limit: number, windowMillis: number) => Effect.Effect<void, unknown>
}

export class SharedBudgets extends Context.Reference<SharedBudgets>()("effect-rest-connector/SharedBudgets", {
  defaultValue: (): { readonly budget: SharedBudget | undefined; readonly tenant: string } => ({ budget: undefined, tenant: "" })
}) {}

/** The key of a budget: the API host's (every tenant on it), or one tenant's. */
export const budgetKey = (options: RateLimitOptions | undefined, host: string, tenant: string): string =>
  options?.per === "tenant" && tenant !== "" ? `tenant:${tenant}` : `host:${host}`

/** One shared budget, this process's own when the store fails; undefined without a rate. */
const sharedOr = (
  shared: SharedBudget,
  key: string,
  rate: number | undefined,
  intervalMillis: number,
  local: EffectRateLimiter.RateLimiter | undefined
): Effect.Effect<void> | undefined => {
  if (local === undefined || rate === undefined) return undefined
  const limit = Math.max(1, Math.floor(rate))
  return shared.take(`${key}/${intervalMillis}`, limit, Math.ceil((intervalMillis * limit) / rate)).pipe(
    Effect.catchAllCause((cause) =>
      Effect.zipRight(
        Effect.logWarning("the shared rate limit could not be read; this request waits on this process's budget", cause),
        local(Effect.void)
      )
    )
  )
}

/**
 * The client's limiter. Scoped because Effect's `RateLimiter` runs a refill fiber; build it
 * once per client so every resource draws on the same budget. `host` names the API's budget
 * when a shared one is in context.
 */
export const make = (options: RateLimitOptions | undefined, host = ""): Effect.Effect<RateLimiter, never, Scope.Scope> =>
  Effect.gen(function*() {
    const perSecond = yield* fixedBudget(options?.requestsPerSecond, 1_000)
    const perMinute = yield* fixedBudget(options?.requestsPerMinute, 60_000)
    // The outer limiter takes its permit first: the scarcer per-minute permit, so a per-second
    // window isn't used up by a fiber that then waits a minute.
    let budgets: Effect.Effect<void> = Effect.void
    const { budget, tenant } = yield* SharedBudgets
    if (budget === undefined) {
      if (perSecond !== undefined) budgets = perSecond(budgets)
      if (perMinute !== undefined) budgets = perMinute(budgets)
    } else {
      const key = budgetKey(options, host, tenant)
      for (const take of [sharedOr(budget, key, options?.requestsPerMinute, 60_000, perMinute), sharedOr(budget, key, options?.requestsPerSecond, 1_000, perSecond)]) {
        if (take !== undefined) budgets = Effect.zipRight(budgets, take)
      }
    }

    if (options?.respectHeaders === false) {
      return perSecond === undefined && perMinute === undefined ? unlimited : { acquire: budgets, observe: unlimited.observe }
    }
    const gate = yield* makeGate
    // Gate first: waiting out a reset while holding fixed-window permits would waste them.
    return { acquire: Effect.zipRight(gate.acquire, budgets), observe: gate.observe }
  })
