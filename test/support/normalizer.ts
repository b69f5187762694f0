/** Helpers shared by the normalizer's unit tests. */
import { Either } from "effect"
import * as Normalizer from "../../src/internal/normalize/normalizer.js"
import type { ColumnSchema, Row, TableSchema } from "../../src/internal/normalize/tableSchema.js"

/** A normalizer for a root table `items`, appending, with the given options on top. */
export const make = (options: Partial<Normalizer.NormalizerOptions> = {}): Normalizer.Normalizer =>
  Normalizer.make({ rootTable: "items", loadId: "load_1", disposition: "append", primaryKey: [], ...options })

/** Normalizes records that must pass. */
export const ok = (n: Normalizer.Normalizer, records: ReadonlyArray<unknown>, firstIndex = 0): Normalizer.NormalizedBatch => {
  const r = n.normalize(records, firstIndex)
  if (Either.isLeft(r)) throw new Error(`unexpected NormalizeError: ${r.left.message}`)
  return r.right
}

/** Normalizes records that must fail, returning the error. */
export const fail = (n: Normalizer.Normalizer, records: ReadonlyArray<unknown>, firstIndex = 0): Normalizer.NormalizeError => {
  const r = n.normalize(records, firstIndex)
  if (Either.isRight(r)) throw new Error("expected a NormalizeError")
  return r.left
}

export const rowsOf = (batch: Normalizer.NormalizedBatch, table: string): ReadonlyArray<Row> => batch.rows.get(table) ?? []

/** A row without its system columns. */
export const data = (row: Row): Record<string, unknown> =>
  Object.fromEntries(Object.entries(row).filter(([k]) => !k.startsWith("_rc_")))

export const tableOf = (tables: ReadonlyArray<TableSchema>, name: string): TableSchema => {
  const t = tables.find((t) => t.name === name)
  if (t === undefined) throw new Error(`no table ${name} in ${tables.map((t) => t.name).join(", ")}`)
  return t
}

/** Data columns (system columns left out) as `name:type`. */
export const dataColumns = (t: TableSchema): Array<string> =>
  t.columns.filter((c) => !c.name.startsWith("_rc_")).map((c) => `${c.name}:${c.type}`)

export const column = (t: TableSchema, name: string): ColumnSchema => {
  const c = t.columns.find((c) => c.name === name)
  if (c === undefined) throw new Error(`no column ${name} in ${t.name}`)
  return c
}
