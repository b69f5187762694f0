/**
 * The embedded database: PGlite (Postgres compiled to WASM) served on loopback by
 * `PGLiteSocketServer` and reached through the real `PgClient`, so the embedded database
 * runs exactly the SQL and driver path (`pg`) that a Postgres server does (STYLE §3.3, Option B).
 */
import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import type { SqlClient } from "@effect/sql"
import { SqlError } from "@effect/sql/SqlError"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer, Redacted } from "effect"
import { mkdir } from "node:fs/promises"

export interface EmbeddedOptions {
  /** Folder holding the database files; created if missing. `undefined` = in memory. */
  readonly dataDir?: string | undefined
}

const startFailed = (what: string) => (cause: unknown) =>
  new SqlError({ cause, message: `Embedded database: failed to ${what}` })

/** Opens PGlite (persisted in `dataDir` when given) and closes it when the scope closes. */
const acquireDatabase = (dataDir: string | undefined) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        if (dataDir !== undefined) await mkdir(dataDir, { recursive: true })
        const db = new PGlite(dataDir)
        await db.waitReady
        return db
      },
      catch: startFailed(`open ${dataDir ?? "in-memory database"}`)
    }),
    // Best effort: a failed close must not hide the error that closed the scope.
    (db) => Effect.promise(() => db.close().catch(() => undefined))
  )

/** Serves `db` on 127.0.0.1 with an OS-assigned port; returns the bound host and port. */
const acquireServer = (db: PGlite) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const server = new PGLiteSocketServer({
          db,
          host: "127.0.0.1",
          port: 0,
          // The client pool (max 1) is what serializes work; this headroom only absorbs the
          // moment when `pg` replaces a connection before the server has seen the old one close.
          maxConnections: 4
        })
        await server.start()
        return server
      },
      catch: startFailed("start the socket server")
    }),
    (server) => Effect.promise(() => server.stop().catch(() => undefined))
  ).pipe(
    Effect.flatMap((server) => {
      // After `start()` with port 0, `getServerConn()` reports the port the OS bound.
      const conn = server.getServerConn()
      const colon = conn.lastIndexOf(":")
      const port = Number(conn.slice(colon + 1))
      return Number.isInteger(port) && port > 0
        ? Effect.succeed({ host: conn.slice(0, colon), port })
        : Effect.fail(new SqlError({ cause: conn, message: "Embedded database: could not read the bound port" }))
    })
  )

/**
 * PGlite behind `PgClient`. Everything is scoped: on release the pool ends, then the server
 * stops, then PGlite closes (flushing `dataDir`).
 */
export const layer = (options: EmbeddedOptions): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError> =>
  Layer.unwrapScoped(
    Effect.gen(function*() {
      const db = yield* acquireDatabase(options.dataDir)
      const { host, port } = yield* acquireServer(db)
      return PgClient.layer({
        host,
        port,
        username: "postgres",
        database: "postgres",
        // PGlite is a single session: one connection, so a transaction owns it until it ends
        // and other fibers wait in the pool instead of landing inside the open transaction.
        maxConnections: 1,
        // Keep the one connection instead of closing it every 10 s of idleness (pg's default).
        idleTimeout: "1 hour"
      })
    })
  )

export interface DatabaseOptions {
  /** A Postgres server URL; when absent the embedded database is used. */
  readonly databaseUrl?: Redacted.Redacted | string | undefined
  /** Embedded database folder (ignored with `databaseUrl`); `undefined` = in memory. */
  readonly dataDir?: string | undefined
  /** Pool size for a server (pg's default is 10); the embedded database always uses 1. */
  readonly maxConnections?: number | undefined
}

/** A Postgres server when `databaseUrl` is given, else the embedded database. Build it once and share it. */
export const databaseLayer = (
  options: DatabaseOptions
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError> =>
  options.databaseUrl === undefined
    ? layer({ dataDir: options.dataDir })
    : PgClient.layer({
      url: Redacted.isRedacted(options.databaseUrl) ? options.databaseUrl : Redacted.make(options.databaseUrl),
      maxConnections: options.maxConnections
    })
