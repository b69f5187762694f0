/** `DestinationError`s from database failures: what failed, where, and the database's reason. */
import { SqlError } from "@effect/sql/SqlError"
import { DestinationError } from "./destination.js"

/** unique_violation on a catalog, duplicate_schema, duplicate_table, duplicate_object. */
export const isCatalogRace = (e: DestinationError): boolean =>
  /SQLSTATE (42P06|42P07|42710)\)/.test(e.message) || (/SQLSTATE 23505\)/.test(e.message) && /"pg_\w+_index"/.test(e.message))

/** The database's own message (and SQLSTATE); never statement parameters or connection strings. */
const describeCause = (u: unknown): string => {
  if (u instanceof SqlError) {
    return u.cause === undefined ? u.message : `${u.message}: ${describeCause(u.cause)}`
  }
  if (u instanceof DestinationError) return u.message
  if (u instanceof Error) {
    const code = "code" in u && typeof u.code === "string" ? ` (SQLSTATE ${u.code})` : ""
    return `${u.message}${code}`
  }
  return "unknown error"
}

export const destinationError = (what: string, dataset: string, table?: string) => (cause: unknown): DestinationError =>
  cause instanceof DestinationError ? cause : new DestinationError({
    message: `${what} (dataset ${dataset}${table === undefined ? "" : `, table ${table}`}): ${describeCause(cause)}`,
    dataset,
    table,
    cause
  })
