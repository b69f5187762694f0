/**
 * A database that cannot be reached says why and where, never with the password: refused
 * connections name the address, a missing database its name.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option, Redacted } from "effect"
import * as PgPool from "../../src/internal/load/pgPool.js"

const password = "Pw-9f8e7d6c5b"

const startupFailure = (url: string) =>
  Effect.gen(function*() {
    const exit = yield* Effect.exit(Effect.scoped(Layer.build(PgPool.layerPool({ url: Redacted.make(url) }))))
    if (Exit.isSuccess(exit)) return yield* Effect.dieMessage("expected the layer to fail")
    const failure = Cause.failureOption(exit.cause)
    if (Option.isNone(failure)) return yield* Effect.dieMessage("expected a typed failure")
    return failure.value
  })

describe("connecting to Postgres", () => {
  it.live("a refused connection names the address and the driver's reason, not the password", () =>
    Effect.gen(function*() {
      const error = yield* startupFailure(`postgres://someone:${password}@127.0.0.1:1/some_db`)
      expect(error._tag).toBe("SqlError")
      expect(error.message).toContain("cannot connect to Postgres at 127.0.0.1:1/some_db")
      expect(error.message).toContain("ECONNREFUSED 127.0.0.1:1")
      expect(error.message).not.toContain(password)
    }))

  const serverUrl = process.env["TEST_DATABASE_URL"] || undefined
  it.live.skipIf(serverUrl === undefined)("a database that does not exist is named", () =>
    Effect.gen(function*() {
      const url = new URL(serverUrl ?? "postgres://localhost/x")
      url.pathname = "/no_such_database_rc"
      const error = yield* startupFailure(url.toString())
      expect(error.message).toContain(`database "no_such_database_rc" does not exist`)
    }))
})
