/**
 * The embedded database: PGlite (Postgres compiled to WASM) served on loopback by
 * `PGLiteSocketServer` and reached through the real `PgClient`, so the embedded database
 * runs exactly the SQL and driver path (`pg`) that a Postgres server does (STYLE §3.3, Option B).
 *
 * By default PGlite runs in a child process of its own, as a server would: its queries use
 * another core instead of the pipeline's thread, and its WASM memory (which grows to several
 * hundred MB on big loads and never shrinks) is not the pipeline's. `inProcess: true` keeps it
 * in this process (no child; the test suites use it).
 *
 * PGlite is loaded only when an embedded layer is built (dynamic imports below, and the child
 * process's own), so importing the library never loads its WASM and socket server.
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { SqlError } from "@effect/sql/SqlError"
import * as PgClient from "@effect/sql-pg/PgClient"
import type { Redacted } from "effect"
import type { Scope } from "effect/Scope"
import { Duration, Effect, Layer } from "effect"
import { mkdir } from "node:fs/promises"
import { blobTransport, inProcessCopy } from "./blobCopy.js"
import * as DataDirLock from "./dataDirLock.js"
import { acquireChild } from "./embeddedChild.js"
import { memoryStartParams, seedFromTemplate } from "./embeddedSetup.js"
import * as PgCopy from "./pgCopy.js"
import { acquirePool, layerPool } from "./pgPool.js"

export interface EmbeddedOptions {
  /** Folder holding the database files; created if missing. `undefined` = in memory. */
  readonly dataDir?: string | undefined
  /** Run PGlite in this process instead of a child process (default false). */
  readonly inProcess?: boolean | undefined
  /**
   * Let V8 recompile the database's hot WASM code with its optimizing compiler (TurboFan) in
   * the child process: about 13% faster loads for about 90 MB more memory (README, "Memory").
   * Default false: the child keeps V8's baseline code (Liftoff), which the memory targets need.
   */
  readonly optimizingCompiler?: boolean | undefined
  /**
   * How long to wait while another process uses `dataDir` before failing (default 5 minutes).
   * A data directory is used by one process at a time (its `.lock` file).
   */
  readonly waitTimeout?: Duration.DurationInput | undefined
}

type PGliteModule = typeof import("@electric-sql/pglite")
type PGliteSocketModule = typeof import("@electric-sql/pglite-socket")
type PGliteDatabase = InstanceType<PGliteModule["PGlite"]>

const startFailed = (what: string) => (cause: unknown) =>
  new SqlError({ cause, message: `Embedded database: failed to ${what}` })

/** A new data directory starts as a copy of the build's initialized one (embeddedSetup.ts). */
const seed = (dataDir: string | undefined) => (dataDir === undefined ? Effect.void : seedFromTemplate(dataDir))

/** Opens PGlite (persisted in `dataDir` when given) and closes it when the scope closes. */
const acquireDatabase = (dataDir: string | undefined) =>
  Effect.zipRight(seed(dataDir), Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        if (dataDir !== undefined) await mkdir(dataDir, { recursive: true })
        const { PGlite }: PGliteModule = await import("@electric-sql/pglite")
        const db = new PGlite(dataDir, { startParams: [...PGlite.defaultStartParams, ...memoryStartParams] })
        await db.waitReady
        return db
      },
      catch: startFailed(`open ${dataDir ?? "in-memory database"}`)
    }),
    // Best effort: a failed close must not hide the error that closed the scope.
    (db) => Effect.promise(() => db.close().catch(() => undefined))
  ))

interface Listen {
  readonly host: string
  /** 0: one the OS assigns. */
  readonly port: number
  readonly maxConnections: number
}

/** Serves `db` (on 127.0.0.1 with an OS-assigned port by default); returns the bound host and port. */
const acquireServer = (db: PGliteDatabase, listen: Listen = { host: "127.0.0.1", port: 0, maxConnections: 4 }) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const { PGLiteSocketServer }: PGliteSocketModule = await import("@electric-sql/pglite-socket")
        // For our pool, the client pool (max 1) is what serializes work; the default's headroom only
        // absorbs the moment when `pg` replaces a connection before the server has seen the old one close.
        const server = new PGLiteSocketServer({ db, ...listen })
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
 * Takes the data directory for the scope (see dataDirLock.ts); nothing for an in-memory
 * database. Taken first and released last: after the database has closed and flushed the folder.
 */
const lockDataDir = (dataDir: string | undefined, waitTimeout: Duration.DurationInput | undefined) =>
  dataDir === undefined
    ? Effect.succeed(undefined)
    : DataDirLock.acquire(dataDir, { waitTimeout }).pipe(
      Effect.mapError((error) => new SqlError({ cause: error, message: `Embedded database: ${error.message}` }))
    )

/** PGlite in this process and its server, with COPY straight into it. */
const inProcessDatabase = (dataDir: string | undefined) =>
  Effect.flatMap(acquireDatabase(dataDir), (db) =>
    Effect.map(acquireServer(db), (where) => ({ ...where, copy: inProcessCopy(db) })))

/**
 * PGlite behind `PgClient`, and `PgCopy` into it (blobCopy.ts), over one pool of one
 * connection. Everything is scoped: on release the pool ends, then the server stops, then
 * PGlite closes (flushing `dataDir`).
 */
export const layer = (
  options: EmbeddedOptions
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | PgCopy.PgCopy, SqlError> =>
  Layer.unwrapScoped(
    Effect.gen(function*() {
      const lock = yield* lockDataDir(options.dataDir, options.waitTimeout)
      const { copy, host, port } = options.inProcess === true
        ? yield* inProcessDatabase(options.dataDir)
        : yield* Effect.zipRight(seed(options.dataDir), acquireChild(options.dataDir, {
          optimizingCompiler: options.optimizingCompiler === true,
          onSpawn: (pid) => lock?.recordChild(pid) ?? Effect.void
        }))
      const pool = yield* acquirePool({
        url: `postgres://postgres@${host}:${port}/postgres`,
        // PGlite is a single session: one connection, so a transaction owns it until it ends
        // and other fibers (and COPYs, blobCopy.ts) wait in the pool instead of landing inside
        // the open transaction.
        maxConnections: 1,
        // Keep the one connection instead of closing it every 10 s of idleness (pg's default).
        idleTimeout: Duration.hours(1)
      })
      return Layer.mergeAll(
        PgClient.layerFromPool({ acquire: Effect.succeed(pool) }),
        PgCopy.layerFromPool(pool, { maxConcurrentCopies: 1 }, blobTransport(copy))
      )
    })
  )

export interface DatabaseOptions {
  /** A Postgres server URL; when absent the embedded database is used. */
  readonly databaseUrl?: Redacted.Redacted | string | undefined
  /** Embedded database folder (ignored with `databaseUrl`); `undefined` = in memory. */
  readonly dataDir?: string | undefined
  /** Pool size for a server (pg's default is 10); the embedded database always uses 1. */
  readonly maxConnections?: number | undefined
  /** See `EmbeddedOptions.waitTimeout`. */
  readonly waitTimeout?: Duration.DurationInput | undefined
  /** See `EmbeddedOptions.optimizingCompiler`. */
  readonly optimizingCompiler?: boolean | undefined
}

/**
 * A Postgres server when `databaseUrl` is given, else the embedded database. Build it once and
 * share it. A server's layer (`layerPool`) also holds `PgCopy` over the same pool, so the
 * Destination built over it stages rows with COPY.
 */
export const databaseLayer = (
  options: DatabaseOptions
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError> =>
  options.databaseUrl === undefined
    ? layer({ dataDir: options.dataDir, waitTimeout: options.waitTimeout, optimizingCompiler: options.optimizingCompiler })
    : layerPool({ url: options.databaseUrl, maxConnections: options.maxConnections })

export interface ServeOptions {
  /** Folder holding the database files; created if missing. `undefined` = in memory. */
  readonly dataDir: string | undefined
  /** Default 127.0.0.1. */
  readonly host?: string | undefined
  /** Default 0: one the OS assigns. */
  readonly port?: number | undefined
  /** Clients connected at once (default 8); they share the database's one session. */
  readonly maxConnections?: number | undefined
  /** See `EmbeddedOptions.waitTimeout`. */
  readonly waitTimeout?: Duration.DurationInput | undefined
}

/**
 * The database in `dataDir` served in this process for the scope, for psql and other tools
 * (`rest-connector serve-db`); where it listens.
 */
export const serve = (options: ServeOptions): Effect.Effect<{ readonly host: string; readonly port: number }, SqlError, Scope> =>
  lockDataDir(options.dataDir, options.waitTimeout).pipe(
    Effect.zipRight(acquireDatabase(options.dataDir)),
    Effect.flatMap((db) =>
      acquireServer(db, { host: options.host ?? "127.0.0.1", port: options.port ?? 0, maxConnections: options.maxConnections ?? 8 })
    )
  )
