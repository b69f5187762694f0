/**
 * The trees' queue in memory: an item goes to one taker even when several wait (the library's
 * memory store let a second woken taker die on an empty set), an id is offered once, and an item
 * whose taker fails comes back with one more attempt, until `maxAttempts`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as PersistedQueue from "@effect/experimental/PersistedQueue"
import { Effect, Exit, Fiber, FiberId, Scope } from "effect"
import { layerStore } from "../../src/internal/cluster/memoryQueueStore.js"

const offer = (id: string) =>
  Effect.flatMap(PersistedQueue.PersistedQueueStore, (store) => store.offer({ name: "q", id, element: id, isCustomId: true }))

/** Takes one item in `scope` (closing the scope with an exit says how the take ended). */
const takeIn = (scope: Scope.Scope, maxAttempts = 3) =>
  Effect.flatMap(PersistedQueue.PersistedQueueStore, (store) => Scope.extend(store.take({ name: "q", maxAttempts }), scope))

describe("the trees' queue in memory", () => {
  it.effect("two takers waiting, one item: one gets it, the other keeps waiting for the next", () =>
    Effect.gen(function*() {
      const scopes = [yield* Scope.make(), yield* Scope.make()]
      const takers = yield* Effect.forEach(scopes, (scope) => Effect.fork(takeIn(scope)))
      yield* Effect.yieldNow()
      yield* offer("a")
      yield* Effect.yieldNow()
      const first = yield* Effect.forEach(takers, (fiber) => Fiber.poll(fiber))
      const done = first.filter((exit) => exit._tag === "Some")
      expect(done.length).toBe(1)
      expect(done.every((exit) => exit._tag === "Some" && Exit.isSuccess(exit.value))).toBe(true)
      yield* offer("b")
      const both = yield* Effect.forEach(takers, Fiber.join)
      expect(both.map((item) => item.id).sort()).toEqual(["a", "b"])
    }).pipe(Effect.provide(layerStore)))

  it.effect("an id is offered once; a failed take returns the item with one more attempt, until maxAttempts", () =>
    Effect.gen(function*() {
      yield* offer("a")
      yield* offer("a")
      const attempts: Array<number> = []
      for (let i = 0; i < 2; i++) {
        const scope = yield* Scope.make()
        const item = yield* takeIn(scope, 2)
        attempts.push(item.attempts)
        yield* Scope.close(scope, Exit.fail("tree failed"))
      }
      expect(attempts).toEqual([0, 1])
      // Two failed attempts of 2: dropped. An interrupted take puts an item back as it was.
      yield* offer("c")
      const scope = yield* Scope.make()
      const c = yield* takeIn(scope, 2)
      expect(c.id).toBe("c")
      yield* Scope.close(scope, Exit.interrupt(FiberId.none))
      const again = yield* takeIn(yield* Scope.make(), 2)
      expect([again.id, again.attempts]).toEqual(["c", 0])
    }).pipe(Effect.provide(layerStore)))
})
