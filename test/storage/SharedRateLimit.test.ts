/**
 * The API's rate limit across a cluster's runners: two limiters over one database (as two
 * runners have) draw on one budget in `rc_cluster.rate_limits`. Both databases; the time from
 * TestClock.
 */
import { expect, layer } from "@effect/vitest"
import * as RateLimiter from "@effect/experimental/RateLimiter"
import { SqlClient } from "@effect/sql"
import { Duration, Effect, TestClock, TestContext } from "effect"
import * as SharedRateLimit from "../../src/internal/cluster/sharedRateLimit.js"
import { forEachDatabase, uniqueDatasetName } from "../support/database.js"

/** Two runners' limiters, each with its own store over the same database, and a fresh key (removed after). */
const twoRunners = (prefix: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const key = uniqueDatasetName(prefix)
    yield* Effect.addFinalizer(() => sql.unsafe(`DELETE FROM ${SharedRateLimit.rateLimitsTable} WHERE key = $1`, [key]).pipe(Effect.ignore))
    const runner = RateLimiter.make.pipe(Effect.provide(SharedRateLimit.storeLayer))
    return { a: yield* runner, b: yield* runner, key }
  })

forEachDatabase((target) => {
  layer(target.layer, { excludeTestServices: true, timeout: 60_000 })((it) => {
    it.scoped("two runners' limiters share one budget: five per second between them, not five each", () =>
      Effect.gen(function*() {
        const { a, b, key } = yield* twoRunners("budget")
        const take = (limiter: RateLimiter.RateLimiter) =>
          Effect.map(
            limiter.consume({ key, limit: 5, window: "1 second", algorithm: "fixed-window", onExceeded: "delay" }),
            (r) => Duration.toMillis(r.delay)
          )
        const delays = yield* Effect.gen(function*() {
          const out: Array<number> = []
          for (let i = 0; i < 20; i++) out.push(yield* take(i % 2 === 0 ? a : b))
          // Once the reserved windows have passed, the budget is whole again.
          yield* TestClock.adjust("4 seconds")
          out.push(yield* take(a))
          return out
        }).pipe(Effect.provide(TestContext.TestContext))
        expect(delays).toEqual([0, 0, 0, 0, 0, 1000, 1000, 1000, 1000, 1000, 2000, 2000, 2000, 2000, 2000, 3000, 3000, 3000, 3000, 3000, 0])
      }))

    it.scoped("token buckets too: a bucket emptied by one runner is empty for the other", () =>
      Effect.gen(function*() {
        const { a, b, key } = yield* twoRunners("bucket")
        const take = (limiter: RateLimiter.RateLimiter) =>
          Effect.either(limiter.consume({ key, limit: 2, window: "1 second", algorithm: "token-bucket", onExceeded: "fail" }))
        const results = yield* Effect.gen(function*() {
          const out = [yield* take(a), yield* take(b), yield* take(b)]
          yield* TestClock.adjust("500 millis")
          out.push(yield* take(a))
          return out.map((e) => e._tag)
        }).pipe(Effect.provide(TestContext.TestContext))
        expect(results).toEqual(["Right", "Right", "Left", "Right"])
      }))
  })
})
