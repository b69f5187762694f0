/**
 * One pool for a Postgres server (`layerPool`): the `SqlClient` and COPY share its connections,
 * and the Destination stages rows with COPY exactly when `PgCopy` is in context. Server only
 * (defined when `TEST_DATABASE_URL` is set; the embedded database's COPY has its own suite,
 * EmbeddedCopy.test.ts).
 */
import { describe, expect, it } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Context, Effect, Layer, Redacted } from "effect"
import type { Scope } from "effect/Scope"
import { Destination } from "../../src/internal/load/destination.js"
import type { CopyWriter } from "../../src/internal/load/pgCopy.js"
import { PgCopy } from "../../src/internal/load/pgCopy.js"
import * as PgPool from "../../src/internal/load/pgPool.js"
import * as PostgresDestination from "../../src/internal/load/postgresDestination.js"
import { freshDataset, uniqueDatasetName } from "../support/database.js"
import { batch, countRows, load, options, tag, user, users, usersTags } from "./usersFixture.js"

const serverUrl = process.env["TEST_DATABASE_URL"] || undefined

/** `copy`, counting its sends. */
const counting = (copy: CopyWriter) => {
  const counter = { sends: 0 }
  const writer: CopyWriter = {
    ...copy,
    send: (schema, table, encoded) =>
      Effect.suspend(() => {
        counter.sends++
        return copy.send(schema, table, encoded)
      })
  }
  return { counter, writer }
}

/** A load of 3 000 rows through the Destination that `make` builds over `context`. */
const loadOver = (context: Context.Context<SqlClient.SqlClient>): Effect.Effect<void, unknown, Scope> =>
  Effect.gen(function*() {
    const destination = yield* PostgresDestination.make.pipe(Effect.provide(context))
    const dataset = yield* freshDataset("pool").pipe(Effect.provide(context))
    const rows = Array.from({ length: 3000 }, (_, i) => user("l1", i, `id-${i}`, `name-${i}`, i))
    yield* load(options(dataset, "l1", "append"), [batch([users, rows], [usersTags, [tag(0, "id-0", 0, "t")]])]).pipe(
      Effect.provide(Layer.succeed(Destination, destination))
    )
    expect(yield* countRows(dataset, "users").pipe(Effect.provide(context))).toBe(3000)
  })

if (serverUrl !== undefined) {
  describe("layerPool (postgres server)", () => {
    it.scoped("queries and COPY share one pool; the Destination uses COPY only when PgCopy is there", () =>
      Effect.gen(function*() {
        const applicationName = uniqueDatasetName("pool")
        const context = yield* Layer.build(
          PgPool.layerPool({ url: Redacted.make(serverUrl), maxConnections: 2, applicationName })
        )
        const { counter, writer } = counting(Context.get(context, PgCopy))
        yield* loadOver(Context.add(context, PgCopy, writer))
        expect(counter.sends).toBeGreaterThan(0)

        // The pool's connections are all there are: COPY has none of its own.
        const sql = Context.get(context, SqlClient.SqlClient)
        const connections = yield* sql.unsafe<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1",
          [applicationName]
        )
        expect(connections[0]?.n).toBeGreaterThan(0)
        expect(connections[0]?.n).toBeLessThanOrEqual(2)

        // Without PgCopy the same load goes in by INSERT.
        const before = counter.sends
        yield* loadOver(Context.omit(PgCopy)(context))
        expect(counter.sends).toBe(before)
      }), { timeout: 120_000 })
  })
}
