/**
 * Rows that break naive COPY/CSV/JSON encoders, a table for them, and the other ways of writing
 * and comparing them: shared by the COPY suites (server and embedded database).
 */
import type { SqlClient } from "@effect/sql"
import { Effect } from "effect"
import { ident } from "../../src/internal/load/identifiers.js"

/** Strings that break naive COPY/CSV/JSON encoders. */
export const specials: ReadonlyArray<string> = [
  "",
  "plain",
  "tab\there",
  "new\nline",
  "cr\rlf\r\n",
  "back\\slash",
  "\\N",
  "\\.",
  "\\",
  "ends with backslash\\",
  "quote\"s and 'single'",
  "comma,semi;colon|pipe",
  "unicode é ü 中文 🎉 \u2028\u2029",
  "\u0001\u001f control",
  "  spaces  ",
  "null",
  "NULL",
  "\\\\N",
  "{\"looks\":\"json\"}",
  "a\t\n\\\r mix \\t"
]

export const columns = ["id", "big", "txt", "dbl", "flag", "ts", "doc", "num", "mixed", "opt"] as const
export const createTable = (schema: string, table: string) =>
  `CREATE UNLOGGED TABLE ${ident(schema)}.${ident(table)} (id bigint, big bigint, txt text, dbl double precision,
   flag boolean, ts timestamptz, doc jsonb, num numeric, mixed text, opt text)`
/** As the destination writes staging rows on the embedded database (writePath.ts). */
export const jsonInsert = (schema: string, table: string) =>
  `INSERT INTO ${ident(schema)}.${ident(table)} (${columns.map(ident).join(", ")}) SELECT ${
    columns.map(ident).join(", ")
  } FROM json_to_recordset($1::json) AS t(id bigint, big bigint, txt text, dbl double precision, flag boolean,
   ts timestamptz, doc jsonb, num numeric, mixed text, opt text)`

export const doubles = [0.1, 0.1 + 0.2, 1e-300, -1.7976931348623157e300, 5e-324, 123456.789, -0.5, 42]

export const rowAt = (i: number) => {
  const s = specials[i % specials.length]
  return {
    id: i,
    big: i % 3 === 0 ? String(9_007_199_254_740_993n + BigInt(i)) : -i,
    txt: `${s}#${i}`,
    dbl: doubles[i % doubles.length] * (i + 1),
    flag: i % 2 === 0,
    ts: new Date(Date.UTC(2024, 0, 1) + i * 1_001),
    doc: i % 10 === 0
      ? [s, { nested: { s, n: i, list: [1, 2.5, null, true] } }]
      : { s, i, tags: ["a", s], empty: {}, none: null },
    num: `${i}.${String(i % 1000).padStart(3, "0")}000000001`,
    mixed: i % 4 === 0 ? i : i % 4 === 1 ? i % 8 === 1 : i % 4 === 2 ? { k: s } : s,
    opt: i % 5 === 0 ? null : s
  }
}

export const expectedMixed = (v: unknown): string | null =>
  typeof v === "string" ? v : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)

export const countDiff = (sql: SqlClient.SqlClient, schema: string, a: string, b: string) =>
  sql.unsafe<{ readonly n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT * FROM ${ident(schema)}.${ident(a)} EXCEPT ALL SELECT * FROM ${
      ident(schema)
    }.${ident(b)}) AS d`
  ).pipe(Effect.map((r) => r[0].n))

