/**
 * One read-only SQL statement against a dataset, on a session of its own opened from the
 * `PgClient`'s settings (a server, or the embedded database's socket server): a READ ONLY
 * transaction, always rolled back, with `search_path` on the dataset so that unqualified table
 * names are its tables. The statement goes through the extended protocol (`queryMode:
 * "extended"`), which runs exactly one statement: `SELECT 1; DROP TABLE t` is refused by the
 * server ("cannot insert multiple commands into a prepared statement"), where the simple
 * protocol would run both, a `COMMIT` first among them.
 *
 * Values come back as Postgres prints them (text), as psql shows them; `rowObjects` gives
 * JSON values for the types that have one.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { Data, Effect, Redacted } from "effect"
import pg from "pg"

export class QueryError extends Data.TaggedError("QueryError")<{
  /**
   * `MultipleStatements`: more than one statement was given. `Connect`: the database could not be
   * reached. `Statement`: the database refused or failed the statement (its message says why).
   */
  readonly reason: "MultipleStatements" | "Connect" | "Statement"
  readonly message: string
  readonly dataset: string
  readonly cause?: unknown
}> {}

export interface QueryColumn {
  readonly name: string
  /** The column's type OID (`pg_type.oid`). */
  readonly typeOid: number
}

export interface QueryResult {
  readonly columns: ReadonlyArray<QueryColumn>
  /** Each row's values in column order, as Postgres prints them; null for NULL. */
  readonly rows: ReadonlyArray<ReadonlyArray<string | null>>
  /** The statement's command tag word (`SELECT`, `SHOW`, `EXPLAIN`...). */
  readonly command: string
  /** More rows came than `maxRows` let through (only with `maxRows`). */
  readonly truncated?: boolean | undefined
}

export interface QueryOptions {
  /** Cancel the statement after this long (Postgres' `statement_timeout`; default none). */
  readonly timeoutMillis?: number | undefined
  /** Keep at most this many rows of the result (default all). */
  readonly maxRows?: number | undefined
}

/** The settings of `client`'s connections, for a session of our own. */
const connectionConfig = (config: PgClient.PgClientConfig): pg.ClientConfig => ({
  connectionString: config.url === undefined ? undefined : Redacted.value(config.url),
  host: config.host,
  port: config.port,
  database: config.database,
  user: config.username,
  password: config.password === undefined ? undefined : Redacted.value(config.password),
  ssl: config.ssl,
  application_name: `${config.applicationName ?? "effect-rest-connector"} (query)`,
  // Every value as the text Postgres sends: no Date or number conversions.
  types: { getTypeParser: () => (value: string) => value }
})

const describe = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e)
  const code = "code" in e && typeof e.code === "string" ? ` (SQLSTATE ${e.code})` : ""
  const position = "position" in e && typeof e.position === "string" ? ` at character ${e.position}` : ""
  return `${e.message}${position}${code}`
}

const isMultipleStatements = (e: unknown): boolean =>
  e instanceof Error && "code" in e && e.code === "42601" && /multiple commands/.test(e.message)

/** `queryMode` is pg's (8.11+), not yet in its type declarations. */
const extended = (text: string): pg.QueryArrayConfig & { readonly queryMode: "extended" } => ({
  text,
  rowMode: "array",
  queryMode: "extended"
})

/** Runs one statement read-only in `dataset` (see the module comment). */
export const readOnlyQuery = (
  dataset: string,
  statement: string,
  options: QueryOptions = {}
): Effect.Effect<QueryResult, QueryError, PgClient.PgClient> =>
  Effect.gen(function*() {
    const client = yield* PgClient.PgClient
    const session = yield* Effect.acquireRelease(
      Effect.tryPromise({
        try: async () => {
          const c = new pg.Client(connectionConfig(client.config))
          // A connection lost while idle must not crash the process; the next query fails instead.
          c.on("error", () => undefined)
          await c.connect()
          return c
        },
        catch: (cause) => new QueryError({ reason: "Connect", message: `cannot connect to the database: ${describe(cause)}`, dataset, cause })
      }),
      (c) => Effect.promise(() => c.end().catch(() => undefined))
    )
    return yield* Effect.tryPromise({
      try: async (): Promise<QueryResult> => {
        await session.query("BEGIN READ ONLY")
        try {
          // Parameters, not text: the dataset name is data here. Transaction-local, as is the rest.
          await session.query("SELECT set_config('search_path', $1, true)", [`"${dataset.replaceAll("\"", "\"\"")}", public`])
          if (options.timeoutMillis !== undefined) {
            await session.query("SELECT set_config('statement_timeout', $1, true)", [String(Math.max(1, Math.floor(options.timeoutMillis)))])
          }
          const result = await session.query<Array<string | null>>(extended(statement))
          const max = options.maxRows
          return {
            columns: result.fields.map((f) => ({ name: f.name, typeOid: f.dataTypeID })),
            rows: max === undefined ? result.rows : result.rows.slice(0, max),
            command: result.command ?? "",
            ...(max === undefined ? {} : { truncated: result.rows.length > max })
          }
        } finally {
          await session.query("ROLLBACK").catch(() => undefined)
        }
      },
      catch: (cause) =>
        isMultipleStatements(cause)
          ? new QueryError({ reason: "MultipleStatements", message: "one statement at a time: the SQL holds several", dataset, cause })
          : new QueryError({ reason: "Statement", message: describe(cause), dataset, cause })
    })
  }).pipe(Effect.scoped)

// Type OIDs whose text has a JSON value of its own (pg_type.dat).
const booleans = new Set([16])
const numbers = new Set([21, 23, 26, 700, 701])
const jsons = new Set([114, 3802])

/** A value as JSON: booleans, small numbers and json as such; everything else as Postgres prints it. */
const jsonValue = (text: string | null, typeOid: number): unknown => {
  if (text === null) return null
  if (booleans.has(typeOid)) return text === "t"
  if (numbers.has(typeOid)) {
    const n = Number(text)
    return Number.isFinite(n) ? n : text
  }
  if (jsons.has(typeOid)) {
    try {
      return JSON.parse(text)
    } catch {
      return text
    }
  }
  return text
}

/**
 * The rows as objects by column name. A name that repeats (`SELECT 1, 2` has two `?column?`)
 * gets `_2`, `_3`... so that no value is lost.
 */
export const rowObjects = (result: QueryResult): ReadonlyArray<Record<string, unknown>> => {
  const seen = new Map<string, number>()
  const keys = result.columns.map((c) => {
    const n = (seen.get(c.name) ?? 0) + 1
    seen.set(c.name, n)
    return n === 1 ? c.name : `${c.name}_${n}`
  })
  return result.rows.map((row) => {
    const out: Record<string, unknown> = {}
    keys.forEach((key, i) => {
      out[key] = jsonValue(row[i] ?? null, result.columns[i]?.typeOid ?? 0)
    })
    return out
  })
}
