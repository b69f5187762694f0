/** Which database failures count as a lost connection (a load is then done again, or its commit reported as in doubt). */
import { describe, expect, it } from "@effect/vitest"
import { SqlError } from "@effect/sql/SqlError"
import { destinationError, isConnectionLost } from "../../src/internal/load/destinationErrors.js"

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code })

describe("isConnectionLost", () => {
  it("knows terminated sessions, server shutdowns and broken sockets, however wrapped", () => {
    for (
      const cause of [
        pgError("57P01", "terminating connection due to administrator command"),
        pgError("57P03", "the database system is starting up"),
        pgError("08006", "connection failure"),
        pgError("ECONNRESET", "read ECONNRESET"),
        new Error("Connection terminated unexpectedly"),
        new AggregateError([pgError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432")]),
        new SqlError({ cause: new Error("Connection terminated unexpectedly"), message: "Failed to execute statement" }),
        // A COPY failure keeps only its message.
        { message: "COPY into s.t failed: terminating connection due to administrator command (SQLSTATE 57P01)" }
      ]
    ) {
      expect(isConnectionLost(cause)).toBe(true)
      const error = destinationError("writing", "ds")(cause)
      expect(error.reason).toBe("ConnectionLost")
    }
  })

  it("leaves other database errors alone", () => {
    for (
      const cause of [
        pgError("23505", "duplicate key value violates unique constraint \"t_pkey\""),
        pgError("42P01", "relation \"t\" does not exist"),
        new SqlError({ cause: pgError("23514", "new row violates check constraint"), message: "Failed to execute statement" }),
        "a string"
      ]
    ) {
      expect(isConnectionLost(cause)).toBe(false)
      expect(destinationError("writing", "ds")(cause).reason).toBeUndefined()
    }
  })
})
