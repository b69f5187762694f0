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

/**
 * SQLSTATEs of a connection that is gone: admin_shutdown, crash_shutdown, cannot_connect_now
 * (a terminated session, a server stopping or starting), and class 08 (connection exception).
 */
const lostCodes = /^(57P01|57P02|57P03|08\d\d\d)$/
const lostErrnos = new Set(["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "ENOTCONN", "EHOSTUNREACH"])
/** The same, as `pg` and the OS word them (messages are all a COPY failure keeps). */
const lostMessages =
  /Connection terminated|connection error and is not queryable|Client was closed|terminating connection|SQLSTATE (57P0[123]|08\w{3})\b|\b(ECONNRESET|ECONNREFUSED|EPIPE)\b|socket hang up|This socket has been ended/

/** Was `u` (or what caused it) a lost database connection? */
export const isConnectionLost = (u: unknown, depth = 0): boolean => {
  if (depth > 8 || typeof u !== "object" || u === null) return false
  if (u instanceof DestinationError && u.reason === "ConnectionLost") return true
  const code: unknown = Reflect.get(u, "code")
  if (typeof code === "string" && (lostCodes.test(code) || lostErrnos.has(code))) return true
  const message: unknown = Reflect.get(u, "message")
  if (typeof message === "string" && lostMessages.test(message)) return true
  if (u instanceof AggregateError && u.errors.some((e) => isConnectionLost(e, depth + 1))) return true
  return isConnectionLost(Reflect.get(u, "cause"), depth + 1)
}

export const destinationError = (what: string, dataset: string, table?: string) => (cause: unknown): DestinationError =>
  cause instanceof DestinationError ? cause : new DestinationError({
    message: `${what} (dataset ${dataset}${table === undefined ? "" : `, table ${table}`}): ${describeCause(cause)}`,
    dataset,
    table,
    reason: isConnectionLost(cause) ? "ConnectionLost" : undefined,
    cause
  })
