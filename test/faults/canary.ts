/** A table of ours that no run may touch: created before the runs, compared after each. */
import { SqlClient } from "@effect/sql"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { ident, qualified } from "../../src/internal/load/identifiers.js"

export const CANARY = "canary"

export const createCanary = (schema: string): Effect.Effect<void, SqlError, SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.unsafe(
      `CREATE SCHEMA IF NOT EXISTS ${ident(schema)};
       CREATE TABLE ${qualified(schema, CANARY)} (id int PRIMARY KEY, note text NOT NULL);
       INSERT INTO ${qualified(schema, CANARY)} VALUES (1, 'alive'), (2, 'x"; DROP TABLE canary; --'), (3, 'ünïcødé')`
    )).pipe(Effect.asVoid)

/** `rows:md5` of the canary, or `missing`. */
export const canaryDigest = (schema: string): Effect.Effect<string, SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const present = yield* sql.unsafe<{ readonly n: number }>(
      `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2`,
      [schema, CANARY]
    )
    if (Number(present[0]?.n) === 0) return "missing"
    const rows = yield* sql.unsafe<{ readonly n: number; readonly digest: string }>(
      `SELECT count(*)::int AS n, md5(string_agg(id || ':' || note, ',' ORDER BY id)) AS digest FROM ${qualified(schema, CANARY)}`
    )
    return `${rows[0]?.n}:${rows[0]?.digest}`
  })
