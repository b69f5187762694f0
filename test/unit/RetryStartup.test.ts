/**
 * Runners started together on a new cluster race on the storage's `CREATE TABLE IF NOT EXISTS`;
 * @effect/cluster's migrations die of it. `retryStartup` builds such a layer again (what the
 * failed attempt acquired released first), 250 ms apart on the clock (TestClock here), up to 4
 * times; any other failure stands at once.
 */
import { describe, expect, it } from "@effect/vitest"
import { SqlError } from "@effect/sql/SqlError"
import { Context, Duration, Effect, Exit, Fiber, Layer, TestClock } from "effect"
import { retryStartup } from "../../src/internal/cluster/restarts.js"

class Storage extends Context.Tag("test/Storage")<Storage, { readonly attempt: number }>() {}

/** A layer that acquires a resource, then dies as a migration would on its first `failures` builds. */
const racingLayer = (failures: number, defect: () => unknown = () => new SqlError({ message: "Failed to execute statement", cause: new Error("duplicate key value violates unique constraint \"pg_type_typname_nsp_index\"") })) => {
  const events: Array<string> = []
  let attempts = 0
  const layer = Layer.scoped(Storage, Effect.gen(function*() {
    const attempt = ++attempts
    yield* Effect.acquireRelease(Effect.sync(() => events.push(`acquire ${attempt}`)), () => Effect.sync(() => events.push(`release ${attempt}`)))
    if (attempt <= failures) return yield* Effect.die(defect())
    return { attempt }
  }))
  return { layer, events }
}

describe("retryStartup", () => {
  it.effect("a migration that died on the race is built again, the failed attempt's resources released first", () =>
    Effect.gen(function*() {
      const racing = racingLayer(2)
      const fiber = yield* Effect.fork(Effect.scoped(Effect.map(Layer.build(retryStartup(racing.layer)), Context.get(Storage))))
      yield* TestClock.adjust(Duration.seconds(1))
      expect((yield* Fiber.join(fiber)).attempt).toBe(3)
      expect(racing.events).toEqual(["acquire 1", "release 1", "acquire 2", "release 2", "acquire 3", "release 3"])
    }))

  it.effect("it gives up after 4 more attempts; a failure that is not SQL's stands at once", () =>
    Effect.gen(function*() {
      const always = racingLayer(Number.POSITIVE_INFINITY)
      const fiber = yield* Effect.fork(Effect.scoped(Layer.build(retryStartup(always.layer))))
      yield* TestClock.adjust(Duration.seconds(5))
      expect(Exit.isFailure(yield* Fiber.await(fiber))).toBe(true)
      expect(always.events.filter((e) => e.startsWith("acquire")).length).toBe(5)

      const other = racingLayer(1, () => new Error("listen EADDRINUSE"))
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(retryStartup(other.layer))))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(other.events).toEqual(["acquire 1", "release 1"])
    }))
})
