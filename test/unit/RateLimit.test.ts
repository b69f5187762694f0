import { assert, describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Fiber, Ref, TestClock } from "effect"
import * as RateLimit from "../../src/internal/http/rateLimit.js"

/**
 * Forks `fibers` fibers that each call `acquire` `perFiber` times in a row and record the
 * clock when they get through. TestClock wakes sleepers at their exact wake time, so the
 * recorded times are exact.
 */
const record = (limiter: RateLimit.RateLimiter, perFiber: number, fibers = 1) =>
  Effect.gen(function*() {
    const times = yield* Ref.make<ReadonlyArray<number>>([])
    const one = Effect.forEach(
      Array.from({ length: perFiber }),
      () =>
        limiter.acquire.pipe(
          Effect.zipRight(Clock.currentTimeMillis),
          Effect.flatMap((t) => Ref.update(times, (ts) => [...ts, t]))
        ),
      { discard: true }
    )
    const fiber = yield* Effect.forEach(Array.from({ length: fibers }), () => one, {
      concurrency: "unbounded",
      discard: true
    }).pipe(Effect.fork)
    // Let the forked fibers reach their first wait before the test moves the clock.
    yield* TestClock.adjust("0 millis")
    return { fiber, times: Ref.get(times) }
  })

describe("fixed budgets (Effect RateLimiter, fixed windows)", () => {
  it.scoped("2 requests/s: the 3rd acquire waits until 1 s", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimit.make({ requestsPerSecond: 2 })
      const { fiber, times } = yield* record(limiter, 3)
      expect(yield* times).toEqual([0, 0])
      yield* TestClock.adjust("999 millis")
      expect(yield* times, "still waiting just before 1 s").toEqual([0, 0])
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(fiber)
      expect(yield* times).toEqual([0, 0, 1000])
    }))

  it.scoped("per-minute limit: the 4th of 3/min waits a minute", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimit.make({ requestsPerMinute: 3 })
      const { fiber, times } = yield* record(limiter, 4)
      yield* TestClock.adjust("59 seconds")
      expect(yield* times).toEqual([0, 0, 0])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      expect(yield* times).toEqual([0, 0, 0, 60_000])
    }))

  it.scoped("both limits: whichever is tighter at the moment applies", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimit.make({ requestsPerSecond: 2, requestsPerMinute: 3 })
      const { fiber, times } = yield* record(limiter, 6)
      yield* TestClock.adjust("2 minutes")
      yield* Fiber.join(fiber)
      // 3rd: per-second window; 4th: per-minute window; 6th: per-second window again.
      expect(yield* times).toEqual([0, 0, 1000, 60_000, 60_000, 61_000])
    }))

  it.scoped("fractional rate: 0.5/s sends one request every 2 s", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimit.make({ requestsPerSecond: 0.5 })
      const { fiber, times } = yield* record(limiter, 3)
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.join(fiber)
      expect(yield* times).toEqual([0, 2000, 4000])
    }))

  it.scoped("concurrent fibers share one budget", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimit.make({ requestsPerSecond: 2 })
      const { fiber, times } = yield* record(limiter, 2, 3)
      expect((yield* times).length).toBe(2)
      yield* TestClock.adjust("1 second")
      expect((yield* times).length).toBe(4)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      expect(yield* times).toEqual([0, 0, 1000, 1000, 2000, 2000])
    }))
})

describe("header-driven slow-down", () => {
  it.scoped("RateLimit-Remaining: 0 + RateLimit-Reset: 30 makes the next acquire wait 30 s", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimit.make(undefined)
      yield* limiter.observe({ "ratelimit-remaining": "0", "ratelimit-reset": "30" })
      const { fiber, times } = yield* record(limiter, 2)
      yield* TestClock.adjust("29999 millis")
      expect(yield* times).toEqual([])
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(fiber)
      // After the reset the block is over: the second request goes straight away.
      expect(yield* times).toEqual([30_000, 30_000])
    }))

  it.scoped("GitHub style: X-RateLimit-Reset as epoch seconds", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const limiter = yield* RateLimit.make({})
      yield* limiter.observe({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000045", "x-ratelimit-limit": "5000" })
      const { fiber, times } = yield* record(limiter, 1)
      yield* TestClock.adjust("44 seconds")
      expect(yield* times).toEqual([])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      expect(yield* times).toEqual([1_700_000_045_000])
    }))

  it.scoped("X-RateLimit-Reset as delta seconds (small values)", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimit.make(undefined)
      yield* limiter.observe({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": "12" })
      const { fiber, times } = yield* record(limiter, 1)
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      expect(yield* times).toEqual([12_000])
    }))

  it.scoped("headers absent, or a healthy remaining count: no wait", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimit.make(undefined)
      yield* limiter.observe({ "content-type": "application/json" })
      yield* limiter.observe({ "ratelimit-remaining": "900", "ratelimit-reset": "60", "ratelimit-limit": "1000" })
      yield* limiter.observe({ "ratelimit-remaining": "0" }) // no reset: nothing to go by
      const { fiber, times } = yield* record(limiter, 3)
      yield* Fiber.join(fiber)
      expect(yield* times).toEqual([0, 0, 0])
    }))

  it.scoped("respectHeaders: false ignores them", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimit.make({ respectHeaders: false })
      yield* limiter.observe({ "ratelimit-remaining": "0", "ratelimit-reset": "30" })
      const { fiber, times } = yield* record(limiter, 2)
      yield* Fiber.join(fiber)
      expect(yield* times).toEqual([0, 0])
    }))

  it.scoped("the wait is capped at 15 minutes and never negative", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(1_700_000_000_000)
      const limiter = yield* RateLimit.make(undefined)
      yield* limiter.observe({ "ratelimit-remaining": "0", "ratelimit-reset": "86400" })
      const { fiber, times } = yield* record(limiter, 1)
      yield* TestClock.adjust("1 hour")
      yield* Fiber.join(fiber)
      expect(yield* times).toEqual([1_700_000_000_000 + 15 * 60_000])

      const past = yield* RateLimit.make(undefined)
      yield* past.observe({ "x-ratelimit-remaining": "0", "x-ratelimit-reset": "1600000000" })
      const late = yield* record(past, 1)
      yield* Fiber.join(late.fiber)
      expect(yield* late.times).toEqual([1_700_000_000_000 + 60 * 60_000])
    }))

  it.scoped("low remaining spreads the rest of the budget up to the reset", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimit.make(undefined)
      yield* limiter.observe({ "ratelimit-remaining": "2", "ratelimit-reset": "10", "ratelimit-limit": "100" })
      const { fiber, times } = yield* record(limiter, 2)
      yield* TestClock.adjust("4999 millis")
      expect(yield* times).toEqual([])
      yield* TestClock.adjust("1 millis")
      expect(yield* times).toEqual([5000])
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.join(fiber)
      expect(yield* times).toEqual([5000, 10_000])
    }))

  it.scoped("concurrent fibers all wait for the same reset", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimit.make(undefined)
      yield* limiter.observe({ "ratelimit-remaining": "0", "ratelimit-reset": "30" })
      const { fiber, times } = yield* record(limiter, 1, 4)
      yield* TestClock.adjust("29 seconds")
      expect(yield* times).toEqual([])
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(fiber)
      expect(yield* times).toEqual([30_000, 30_000, 30_000, 30_000])
    }))

  it.scoped("a block learned while fibers wait extends their wait", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimit.make(undefined)
      yield* limiter.observe({ "ratelimit-remaining": "0", "ratelimit-reset": "10" })
      const { fiber, times } = yield* record(limiter, 1, 2)
      yield* TestClock.adjust("5 seconds")
      // A response that was still in flight reports a later reset.
      yield* limiter.observe({ "ratelimit-remaining": "0", "ratelimit-reset": "20" })
      yield* TestClock.adjust("5 seconds")
      expect(yield* times).toEqual([])
      yield* TestClock.adjust("15 seconds")
      yield* Fiber.join(fiber)
      expect(yield* times).toEqual([25_000, 25_000])
    }))

  it.scoped("headers and fixed budgets combine", () =>
    Effect.gen(function*() {
      const limiter = yield* RateLimit.make({ requestsPerSecond: 1 })
      yield* limiter.observe({ "ratelimit-remaining": "0", "ratelimit-reset": "5" })
      const { fiber, times } = yield* record(limiter, 3)
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      expect(yield* times).toEqual([5000, 6000, 7000])
    }))
})

describe("helpers", () => {
  it("resetDelayMillis tells delta seconds, epoch seconds and epoch millis apart", () => {
    const now = 1_700_000_000_000
    assert.strictEqual(RateLimit.resetDelayMillis(30, now), 30_000)
    assert.strictEqual(RateLimit.resetDelayMillis(1_700_000_030, now), 30_000)
    assert.strictEqual(RateLimit.resetDelayMillis(1_700_000_030_000, now), 30_000)
    assert.strictEqual(RateLimit.resetDelayMillis(1_600_000_000, now), 0)
    assert.strictEqual(RateLimit.resetDelayMillis(1e6, now), 15 * 60_000)
  })

  it("parseHeaders reads the draft, GitHub and Twitter spellings", () => {
    assert.deepStrictEqual(RateLimit.parseHeaders({ "ratelimit-remaining": "5;w=60", "ratelimit-reset": "1.5" }, 0), {
      remaining: 5,
      resetInMillis: 1500,
      limit: undefined
    })
    assert.deepStrictEqual(RateLimit.parseHeaders({ "x-rate-limit-remaining": "0", "x-rate-limit-limit": "15" }, 0), {
      remaining: 0,
      resetInMillis: undefined,
      limit: 15
    })
    assert.isUndefined(RateLimit.parseHeaders({ "ratelimit-reset": "10" }, 0))
    assert.isUndefined(RateLimit.parseHeaders({ "ratelimit-remaining": "lots" }, 0))
  })

  it.effect("unlimited never waits", () =>
    Effect.gen(function*() {
      yield* RateLimit.unlimited.observe({ "ratelimit-remaining": "0", "ratelimit-reset": "30" })
      const { fiber, times } = yield* record(RateLimit.unlimited, 3)
      yield* Fiber.join(fiber)
      expect(yield* times).toEqual([0, 0, 0])
    }))
})

describe("budgets shared beyond this process (a cluster's runners)", () => {
  const recording = (fail = false) => {
    const taken: Array<string> = []
    const budget: RateLimit.SharedBudget = {
      take: (key, limit, windowMillis) =>
        Effect.suspend(() => {
          taken.push(`${key} ${limit}/${windowMillis}`)
          return fail ? Effect.fail("the store is down") : Effect.void
        })
    }
    return { taken, budget }
  }

  it.scoped("each request takes its slots from the shared budget, keyed by the API host or the tenant", () =>
    Effect.gen(function*() {
      const { budget, taken } = recording()
      const options = { requestsPerSecond: 2.5, requestsPerMinute: 100 }
      const host = yield* RateLimit.make(options, "api.example.com").pipe(Effect.provideService(RateLimit.SharedBudgets, { budget, tenant: "acme" }))
      yield* host.acquire
      const tenant = yield* RateLimit.make({ ...options, per: "tenant" }, "api.example.com").pipe(
        Effect.provideService(RateLimit.SharedBudgets, { budget, tenant: "acme" })
      )
      yield* tenant.acquire
      expect(taken).toEqual([
        "host:api.example.com/60000 100/60000",
        "host:api.example.com/1000 2/800",
        "tenant:acme/60000 100/60000",
        "tenant:acme/1000 2/800"
      ])
    }))

  it.scoped("a shared budget that cannot be read falls back to this process's own", () =>
    Effect.gen(function*() {
      const { budget, taken } = recording(true)
      const limiter = yield* RateLimit.make({ requestsPerSecond: 1 }, "api.example.com").pipe(
        Effect.provideService(RateLimit.SharedBudgets, { budget, tenant: "" })
      )
      const { fiber, times } = yield* record(limiter, 3)
      yield* TestClock.adjust("2 seconds")
      yield* Fiber.join(fiber)
      // One per second, as the local budget allows, though the store failed every time.
      expect(yield* times).toEqual([0, 1000, 2000])
      expect(taken.length).toBe(3)
    }))
})
