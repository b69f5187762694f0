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
import { Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import { mkdir } from "node:fs/promises"
import { createRequire } from "node:module"
import { createInterface } from "node:readline"
import { pathToFileURL } from "node:url"
import { layerPool } from "./pgPool.js"

export interface EmbeddedOptions {
  /** Folder holding the database files; created if missing. `undefined` = in memory. */
  readonly dataDir?: string | undefined
  /** Run PGlite in this process instead of a child process (default false). */
  readonly inProcess?: boolean | undefined
}

type PGliteModule = typeof import("@electric-sql/pglite")
type PGliteSocketModule = typeof import("@electric-sql/pglite-socket")
type PGliteDatabase = InstanceType<PGliteModule["PGlite"]>

const startFailed = (what: string) => (cause: unknown) =>
  new SqlError({ cause, message: `Embedded database: failed to ${what}` })

/** Opens PGlite (persisted in `dataDir` when given) and closes it when the scope closes. */
const acquireDatabase = (dataDir: string | undefined) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        if (dataDir !== undefined) await mkdir(dataDir, { recursive: true })
        const { PGlite }: PGliteModule = await import("@electric-sql/pglite")
        const db = new PGlite(dataDir)
        await db.waitReady
        return db
      },
      catch: startFailed(`open ${dataDir ?? "in-memory database"}`)
    }),
    // Best effort: a failed close must not hide the error that closed the scope.
    (db) => Effect.promise(() => db.close().catch(() => undefined))
  )

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
 * The child process's program (ESM, given to `node -e`): PGlite and its socket server on
 * 127.0.0.1:0, then `ready <host>:<port>` on stdout. It closes PGlite (flushing `dataDir`) and
 * exits when its stdin ends: when we close it, and when this process dies.
 */
const childProgram = `
const [pgliteUrl, socketUrl, dataDir] = JSON.parse(process.argv[1])
process.title = "rest-connector embedded database"
try {
  const { PGlite } = await import(pgliteUrl)
  const { PGLiteSocketServer } = await import(socketUrl)
  if (dataDir !== null) await (await import("node:fs/promises")).mkdir(dataDir, { recursive: true })
  const db = new PGlite(dataDir ?? undefined)
  await db.waitReady
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 4 })
  await server.start()
  let closing = false
  const close = async () => {
    if (closing) return
    closing = true
    await server.stop().catch(() => undefined)
    await db.close().catch(() => undefined)
    process.exit(0)
  }
  process.stdin.on("end", close)
  process.stdin.resume()
  // Ctrl-C reaches the whole process group; the parent closes us through stdin.
  process.on("SIGINT", () => undefined)
  process.on("SIGTERM", close)
  process.stdout.write("ready " + server.getServerConn() + "\\n")
} catch (e) {
  process.stdout.write("error " + String(e instanceof Error ? e.message : e).replace(/\\s+/g, " ") + "\\n")
  process.exit(1)
}
`

const hostAndPort = (conn: string) => {
  const colon = conn.lastIndexOf(":")
  const port = Number(conn.slice(colon + 1))
  return Number.isInteger(port) && port > 0 ? { host: conn.slice(0, colon), port } : undefined
}

interface Child {
  readonly host: string
  readonly port: number
  /** Closes the child's stdin and resolves once it exited (killed after `graceMillis`). */
  readonly close: (graceMillis: number) => Promise<void>
}

/** Starts PGlite in a child process and returns where it listens. */
const startChild = (dataDir: string | undefined) =>
  Effect.async<Child, SqlError>((resume) => {
    // Resolved here, from our own module, so the child finds the very packages we depend on.
    const resolve = createRequire(import.meta.url).resolve
    const modules = [resolve("@electric-sql/pglite"), resolve("@electric-sql/pglite-socket")].map((p) => pathToFileURL(p).href)
    const child = spawn(
      process.execPath,
      ["--input-type=module", "-e", childProgram, JSON.stringify([...modules, dataDir ?? null])],
      { stdio: ["pipe", "pipe", "pipe"] }
    )
    let stderr = ""
    child.stderr.setEncoding("utf8")
    child.stderr.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000)
    })
    const exited = new Promise<void>((done) => child.once("exit", () => done()))
    const close = (graceMillis: number) => {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
      child.stdin.end()
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMillis)
      return exited.finally(() => clearTimeout(timer))
    }
    let settled = false
    const fail = (message: string) => {
      if (settled) return
      settled = true
      child.kill("SIGKILL")
      resume(Effect.fail(new SqlError({ cause: stderr.trim(), message: `Embedded database: ${message}` })))
    }
    child.once("error", (e) => fail(`failed to start its process: ${e.message}`))
    child.once("exit", (code) => fail(`its process exited (code ${code}) before it was ready: ${stderr.trim()}`))
    createInterface({ input: child.stdout }).once("line", (line) => {
      const [word, ...rest] = line.split(" ")
      const where = word === "ready" ? hostAndPort(rest.join(" ")) : undefined
      if (where === undefined) return fail(`failed to open ${dataDir ?? "an in-memory database"}: ${rest.join(" ")}`)
      settled = true
      resume(Effect.succeed({ ...where, close }))
    })
    // Interrupted while starting: the child goes too.
    return Effect.sync(() => {
      if (!settled) {
        settled = true
        child.kill("SIGKILL")
      }
    })
  })

/** The child for the scope's lifetime; closing lets it flush `dataDir` (30 s before a kill). */
const acquireChild = (dataDir: string | undefined) =>
  Effect.acquireRelease(startChild(dataDir), (child) => Effect.promise(() => child.close(30_000)))

/**
 * PGlite behind `PgClient`. Everything is scoped: on release the pool ends, then the server
 * stops, then PGlite closes (flushing `dataDir`).
 */
export const layer = (options: EmbeddedOptions): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError> =>
  Layer.unwrapScoped(
    Effect.gen(function*() {
      const { host, port } = options.inProcess === true
        ? yield* Effect.flatMap(acquireDatabase(options.dataDir), acquireServer)
        : yield* acquireChild(options.dataDir)
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

/**
 * A Postgres server when `databaseUrl` is given, else the embedded database. Build it once and
 * share it. A server's layer (`layerPool`) also holds `PgCopy` over the same pool, so the
 * Destination built over it stages rows with COPY.
 */
export const databaseLayer = (
  options: DatabaseOptions
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError> =>
  options.databaseUrl === undefined
    ? layer({ dataDir: options.dataDir })
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
}

/**
 * The database in `dataDir` served in this process for the scope, for psql and other tools
 * (`rest-connector serve-db`); where it listens.
 */
export const serve = (options: ServeOptions): Effect.Effect<{ readonly host: string; readonly port: number }, SqlError, Scope> =>
  Effect.flatMap(acquireDatabase(options.dataDir), (db) =>
    acquireServer(db, { host: options.host ?? "127.0.0.1", port: options.port ?? 0, maxConnections: options.maxConnections ?? 8 }))
