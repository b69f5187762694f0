/**
 * The adaptive limit of requests in flight (additive increase, multiplicative decrease), over
 * fake exchanges that stay in flight for some scheduler turns and answer 429 above a server's limit.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as AdaptiveConcurrency from "../../src/internal/http/adaptiveConcurrency.js"

/** A server that keeps each request for `turns` scheduler turns and refuses (429) above `serverLimit` in flight. */
const server = (serverLimit: number, turns = 10) => {
  const state = { inFlight: 0, most: 0, refused: 0, overLimitAfterBackoff: 0, served: 0 }
  const exchange = (headers: Record<string, string> = {}) =>
    Effect.gen(function*() {
      state.inFlight++
      state.most = Math.max(state.most, state.inFlight)
      const refused = state.inFlight > serverLimit
      for (let i = 0; i < turns; i++) yield* Effect.yieldNow()
      state.inFlight--
      if (refused) state.refused++
      else state.served++
      return { status: refused ? 429 : 200, headers }
    })
  return { state, exchange }
}

describe("adaptive concurrency", () => {
  it.effect("grows while responses are fine, up to the configured maximum", () =>
    Effect.gen(function*() {
      const api = server(1000)
      const limit = AdaptiveConcurrency.make(16)
      yield* Effect.forEach(Array.from({ length: 400 }), () => limit.around(api.exchange()), { concurrency: 50, discard: true })
      expect(limit.stats()).toEqual({ reached: 16, limit: 16, throttles: 0 })
      expect(api.state.most).toBe(16)
    }))

  it.effect("halves on 429 (once per round trip) and settles at or below what the server takes", () =>
    Effect.gen(function*() {
      const api = server(5)
      const limit = AdaptiveConcurrency.make(16)
      yield* Effect.forEach(Array.from({ length: 600 }), () => limit.around(api.exchange()), { concurrency: 50, discard: true })
      const stats = limit.stats()
      expect(stats.throttles).toBeGreaterThan(0)
      expect(stats.limit).toBeLessThanOrEqual(6)
      expect(stats.limit).toBeGreaterThanOrEqual(2)
      // Most requests were served: the limit backed off instead of hammering the server.
      expect(api.state.refused).toBeLessThan(api.state.served / 4)
    }))

  it.effect("a low rate-limit budget in the headers halves it too", () =>
    Effect.gen(function*() {
      const api = server(1000)
      const limit = AdaptiveConcurrency.make(16)
      yield* Effect.forEach(Array.from({ length: 8 }), () => limit.around(api.exchange()), { concurrency: 8, discard: true })
      // Slow start: one more per good response until the first push-back.
      expect(limit.stats().limit).toBe(16)
      yield* limit.around(api.exchange({ "x-ratelimit-remaining": "3", "x-ratelimit-limit": "5000" }))
      expect(limit.stats()).toMatchObject({ limit: 8, throttles: 1 })
    }))

  it.effect("max_concurrency 1 sends one request at a time", () =>
    Effect.gen(function*() {
      const api = server(1000)
      const limit = AdaptiveConcurrency.make(1)
      yield* Effect.forEach(Array.from({ length: 20 }), () => limit.around(api.exchange()), { concurrency: 10, discard: true })
      expect(api.state.most).toBe(1)
    }))

  it.effect("interrupted requests, waiting or in flight, give their slots back", () =>
    Effect.gen(function*() {
      const limit = AdaptiveConcurrency.make(2)
      const stuck = Effect.never.pipe(Effect.as({ status: 200, headers: {} }))
      const fibers = yield* Effect.forEach(Array.from({ length: 5 }), () => Effect.fork(limit.around(stuck)))
      for (let i = 0; i < 5; i++) yield* Effect.yieldNow()
      yield* Effect.forEach(fibers, Fiber.interrupt, { discard: true })
      const api = server(1000)
      yield* Effect.forEach(Array.from({ length: 4 }), () => limit.around(api.exchange()), { concurrency: 4, discard: true })
      expect(api.state.most).toBe(2)
    }))

  it.effect("a window counts one run's peak and throttles; overlapping windows count their own; a closed one keeps its count", () =>
    Effect.gen(function*() {
      const api = server(1000)
      const limit = AdaptiveConcurrency.make(16)
      yield* Effect.forEach(Array.from({ length: 40 }), () => limit.around(api.exchange()), { concurrency: 10, discard: true })
      const first = limit.open()
      yield* Effect.forEach(Array.from({ length: 8 }), () => limit.around(api.exchange()), { concurrency: 4, discard: true })
      const second = limit.open()
      yield* limit.around(api.exchange({ "x-ratelimit-remaining": "1", "x-ratelimit-limit": "100" }))
      first.close()
      yield* Effect.forEach(Array.from({ length: 12 }), () => limit.around(api.exchange()), { concurrency: 6, discard: true })
      expect(first.read()).toMatchObject({ reached: 4, throttles: 1 })
      expect(second.read()).toMatchObject({ reached: 6, throttles: 1 })
      second.close()
      expect(limit.stats()).toMatchObject({ reached: 10, throttles: 1 })
    }))
})
