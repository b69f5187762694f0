/**
 * The workflow engine's storage calls die with a `PersistenceError` while Postgres restarts;
 * `throughStorageRestarts` makes them again (they are keyed, so that finds the same activity)
 * for up to 2 minutes, on the clock (TestClock here). Other defects and typed failures pass
 * through at once.
 */
import { describe, expect, it } from "@effect/vitest"
import { PersistenceError } from "@effect/cluster/ClusterError"
import { Duration, Effect, Exit, Fiber, TestClock } from "effect"
import { SqlError } from "@effect/sql/SqlError"
import { throughStorageRestarts, whileRestarting } from "../../src/internal/cluster/restarts.js"

/** Dies with a PersistenceError `times` times, then answers "ran". */
const storageDownFor = (times: number) => {
  let calls = 0
  const effect = Effect.suspend(() => {
    calls++
    return calls <= times ? Effect.die(new PersistenceError({ cause: new Error("terminating connection due to administrator command") })) : Effect.succeed("ran")
  })
  return { effect, calls: () => calls }
}

describe("throughStorageRestarts", () => {
  it.effect("a storage call that dies while Postgres restarts is made again until it goes through", () =>
    Effect.gen(function*() {
      const down = storageDownFor(3)
      const fiber = yield* Effect.fork(throughStorageRestarts(down.effect))
      yield* TestClock.adjust(Duration.seconds(5))
      expect(yield* Fiber.join(fiber)).toBe("ran")
      expect(down.calls()).toBe(4)
    }))

  it.effect("after 2 minutes of a storage that stays down, the defect stands", () =>
    Effect.gen(function*() {
      const down = storageDownFor(Number.POSITIVE_INFINITY)
      const fiber = yield* Effect.fork(throughStorageRestarts(down.effect))
      yield* TestClock.adjust(Duration.minutes(3))
      const exit = yield* Fiber.await(fiber)
      expect(Exit.isFailure(exit) && exit.cause._tag === "Die").toBe(true)
      // 0.2 s doubling to 10 s, then every 10 s, for 2 minutes.
      expect(down.calls()).toBeGreaterThan(10)
      expect(down.calls()).toBeLessThan(25)
    }))

  it.effect("another defect, or a typed failure, is not tried again", () =>
    Effect.gen(function*() {
      let calls = 0
      const defect = yield* Effect.exit(throughStorageRestarts(Effect.suspend(() => {
        calls++
        return Effect.die(new Error("a bug"))
      })))
      expect(Exit.isFailure(defect)).toBe(true)
      const failure = yield* Effect.flip(throughStorageRestarts(Effect.suspend(() => {
        calls++
        return Effect.fail("typed")
      })))
      expect(failure).toBe("typed")
      expect(calls).toBe(2)
    }))
})

/** A Postgres error as node-postgres reports it: a message and a SQLSTATE. */
const pgError = (code: string, message: string) => Object.assign(new Error(message), { code })

describe("whileRestarting", () => {
  it.effect("a read that fails because the connection is gone is made again until it goes through", () =>
    Effect.gen(function*() {
      let calls = 0
      const read = Effect.suspend(() => {
        calls++
        return calls <= 2
          ? Effect.fail(new SqlError({ message: "Failed to acquire connection", cause: pgError("57P03", "the database system is starting up") }))
          : Effect.succeed("rows")
      })
      const fiber = yield* Effect.fork(whileRestarting(read))
      yield* TestClock.adjust(Duration.seconds(2))
      expect(yield* Fiber.join(fiber)).toBe("rows")
      expect(calls).toBe(3)
    }))

  it.effect("a failure a restart would not cure (a denied permission) stands at once", () =>
    Effect.gen(function*() {
      let calls = 0
      const denied = new SqlError({ message: "Failed to execute statement", cause: pgError("42501", "permission denied for table secrets") })
      const error = yield* Effect.flip(whileRestarting(Effect.suspend(() => {
        calls++
        return Effect.fail(denied)
      })))
      expect(error).toBe(denied)
      expect(calls).toBe(1)
    }))
})
