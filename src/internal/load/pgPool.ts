/**
 * One `pg.Pool` for a Postgres server, shared by the `SqlClient` (`PgClient.layerFromPool`) and
 * by COPY (`PgCopy`): built once, checked with `SELECT 1` (a bad URL fails at startup with a
 * `SqlError`), and closed with the layer.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import { Duration, Effect, Layer, Redacted } from "effect"
import type { Scope } from "effect/Scope"
import pg from "pg"
import type { CopyOptions } from "./pgCopy.js"
import * as PgCopy from "./pgCopy.js"
import * as ResourceLocks from "./resourceLocks.js"

export interface PoolOptions {
  /** The server's URL (`postgres://user:password@host:port/database`). */
  readonly url: Redacted.Redacted | string
  /** Connections in the pool, shared by queries and COPYs (pg's default: 10). */
  readonly maxConnections?: number | undefined
  /** How long the startup check may take to connect (default 5 seconds, as `PgClient`'s). */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /** Idle connections are closed after this (pg's default: 10 seconds). */
  readonly idleTimeout?: Duration.DurationInput | undefined
  readonly applicationName?: string | undefined
  /** COPY tuning; COPYs in flight default to 3, fewer than `maxConnections`. */
  readonly copy?: CopyOptions | undefined
  /**
   * The connections' `search_path`: where what this pool creates unqualified goes (the cluster's
   * tables). A plain lower-case name; the pool does not create it.
   */
  readonly searchPath?: string | undefined
}

/** Names `searchPath` may take: no quoting needed. */
const plainSchema = /^[a-z_][a-z0-9_]{0,62}$/

/** Where a URL points, without its credentials: `host:port/database`. */
export const describeServer = (url: string): string => {
  try {
    const parsed = new URL(url)
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""))
    return `${parsed.hostname}${parsed.port === "" ? "" : `:${parsed.port}`}${database === "" ? "" : `/${database}`}`
  } catch {
    return "the server (its URL does not parse)"
  }
}

/** The driver's reason (`connect ECONNREFUSED 127.0.0.1:5433`, `database "x" does not exist`), never the password. */
const reasonOf = (cause: unknown, secret: string | undefined): string => {
  const reasons: Array<string> = []
  const collect = (u: unknown) => {
    if (u instanceof AggregateError) for (const e of u.errors) collect(e)
    else if (u instanceof Error && u.message !== "") reasons.push(u.message)
  }
  collect(cause)
  const text = reasons.length === 0 ? String(cause) : [...new Set(reasons)].join("; ")
  return secret === undefined || secret === "" ? text : text.split(secret).join("***")
}

const failedToConnect = (options: PoolOptions) => (cause: unknown) => {
  const url = Redacted.isRedacted(options.url) ? Redacted.value(options.url) : options.url
  const password = (() => {
    try {
      return decodeURIComponent(new URL(url).password)
    } catch {
      return undefined
    }
  })()
  return new SqlError({ cause, message: `cannot connect to Postgres at ${describeServer(url)}: ${reasonOf(cause, password)}` })
}

/** The pool for the scope's lifetime, once it has answered `SELECT 1`. */
export const acquirePool = (options: PoolOptions): Effect.Effect<pg.Pool, SqlError, Scope> =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        if (options.searchPath !== undefined && !plainSchema.test(options.searchPath)) {
          throw new Error(`search_path ${JSON.stringify(options.searchPath)}: expected a plain lower-case schema name`)
        }
        const pool = new pg.Pool({
          connectionString: Redacted.isRedacted(options.url) ? Redacted.value(options.url) : options.url,
          max: options.maxConnections,
          idleTimeoutMillis: options.idleTimeout === undefined ? undefined : Duration.toMillis(options.idleTimeout),
          application_name: options.applicationName ?? "effect-rest-connector",
          ...(options.searchPath === undefined ? {} : { options: `-c search_path=${options.searchPath}` })
        })
        // An idle client's connection error must not crash the process; the next checkout reconnects.
        pool.on("error", () => undefined)
        return pool
      },
      catch: failedToConnect(options)
    }),
    (pool) => Effect.promise(() => pool.end().catch(() => undefined)).pipe(Effect.interruptible, Effect.timeoutOption(1000))
  ).pipe(
    Effect.tap((pool) =>
      Effect.tryPromise({ try: () => pool.query("SELECT 1"), catch: failedToConnect(options) }).pipe(
        Effect.timeoutFail({
          duration: options.connectTimeout ?? Duration.seconds(5),
          onTimeout: () =>
            new SqlError({
              cause: new Error("Connection timed out"),
              message: `cannot connect to Postgres at ${describeServer(Redacted.isRedacted(options.url) ? Redacted.value(options.url) : options.url)}: no answer within ${Duration.format(options.connectTimeout ?? Duration.seconds(5))}`
            })
        })
      )
    )
  )

/** COPYs in flight: 3 by default, and at least one connection left for queries. */
const concurrentCopies = (options: PoolOptions): number =>
  options.copy?.maxConcurrentCopies ?? Math.max(1, Math.min(3, (options.maxConnections ?? 10) - 1))

/**
 * A Postgres server as `PgClient`/`SqlClient` and `PgCopy` over one pool, and `SessionLocks`
 * on a connection of their own. Build it once and share it (layers are memoized by reference).
 */
export const layerPool = (
  options: PoolOptions
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | PgCopy.PgCopy | ResourceLocks.SessionLocks, SqlError> =>
  Layer.unwrapScoped(
    Effect.map(acquirePool(options), (pool) =>
      Layer.mergeAll(
        PgClient.layerFromPool({ acquire: Effect.succeed(pool), applicationName: options.applicationName }),
        PgCopy.layerFromPool(pool, { ...options.copy, maxConcurrentCopies: concurrentCopies(options) }),
        ResourceLocks.layerFromPool(pool)
      ))
  )
