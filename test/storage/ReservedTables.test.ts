/**
 * The Destination itself refuses a root table in the `_rc_*` namespace (ours), before it
 * touches the database: a caller that skipped the config's check alters no system table.
 */
import { expect, layer } from "@effect/vitest"
import { SqlClient } from "@effect/sql"
import { Effect, Either, Layer } from "effect"
import { ident } from "../../src/internal/load/identifiers.js"
import { forEachDatabase, freshDataset } from "../support/database.js"
import { col, rootTable } from "../support/tables.js"
import { batch, load, options, user, users } from "./usersFixture.js"

forEachDatabase((target) => {
  const Live = target.destination.pipe(Layer.provideMerge(target.layer))

  layer(Live, { excludeTestServices: true })((it) => {
    it.scoped("a load into a reserved _rc_ table fails before anything is written, and _rc_loads keeps its columns", () =>
      Effect.gen(function*() {
        const dataset = yield* freshDataset()
        yield* load(options(dataset, "l1", "append"), [batch([users, [user("l1", 0, "a", "ann", 1)]])])
        const sql = yield* SqlClient.SqlClient
        const columns = () =>
          sql.unsafe<{ c: string }>(
            `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = '_rc_loads' ORDER BY 1`,
            [dataset]
          )
        const before = yield* columns()
        const reserved = rootTable("_rc_loads", [col("name", "text"), col("age", "bigint")])
        const result = yield* Effect.either(
          load(options(dataset, "l2", "append", { rootTable: "_rc_loads" }), [batch([reserved, [user("l2", 0, "b", "bob", 2)]])])
        )
        expect(Either.isLeft(result) && result.left.message).toMatch(/table '_rc_loads' is reserved/)
        expect(yield* columns()).toEqual(before)
        const loads = yield* sql.unsafe<{ n: number }>(`SELECT count(*)::int AS n FROM ${ident(dataset)}."_rc_loads"`)
        expect(loads[0]?.n).toBe(1)
      }))
  })
})
