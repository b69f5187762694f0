/**
 * The embedded database in a child process of its own: PGlite and its socket server on
 * 127.0.0.1:0, reached over loopback like a server. Its queries use another core than the
 * pipeline's thread, and its WASM memory is not the pipeline's.
 */
import { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process"
import { createRequire } from "node:module"
import { createInterface } from "node:readline"
import { pathToFileURL } from "node:url"
import { memoryStartParams } from "./embeddedSetup.js"

/**
 * The child process's program (ESM, given to `node -e`): PGlite and its socket server on
 * 127.0.0.1:0, then `ready <host>:<port>` on stdout. It closes PGlite (flushing `dataDir`) and
 * exits when its stdin ends: when we close it, and when this process dies.
 */
const childProgram = `
const [pgliteUrl, socketUrl, dataDir, startParams] = JSON.parse(process.argv[1])
process.title = "rest-connector embedded database"
try {
  const { PGlite } = await import(pgliteUrl)
  const { PGLiteSocketServer } = await import(socketUrl)
  if (dataDir !== null) await (await import("node:fs/promises")).mkdir(dataDir, { recursive: true })
  const db = new PGlite(dataDir ?? undefined, { startParams: [...PGlite.defaultStartParams, ...startParams] })
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

export interface Child {
  readonly host: string
  readonly port: number
  /** Closes the child's stdin and resolves once it exited (killed after `graceMillis`). */
  readonly close: (graceMillis: number) => Promise<void>
}

/** Starts the child process; its pid is known at once, before it is ready. */
const spawnChild = (dataDir: string | undefined, optimizingCompiler: boolean) =>
  Effect.sync(() => {
    // Resolved here, from our own module, so the child finds the very packages we depend on.
    const resolve = createRequire(import.meta.url).resolve
    const modules = [resolve("@electric-sql/pglite"), resolve("@electric-sql/pglite-socket")].map((p) => pathToFileURL(p).href)
    return spawn(
      process.execPath,
      // Liftoff only: TurboFan's recompiled hot code and its compile zones cost ~90 MB (see
      // embeddedSetup.ts and `EmbeddedOptions.optimizingCompiler`).
      [...(optimizingCompiler ? [] : ["--liftoff-only"]), "--input-type=module", "-e", childProgram, JSON.stringify([...modules, dataDir ?? null, memoryStartParams])],
      { stdio: ["pipe", "pipe", "pipe"] }
    )
  })

/** Waits for the child's `ready` line; kills it on failure or interruption. */
const awaitReady = (child: ChildProcessWithoutNullStreams, dataDir: string | undefined) =>
  Effect.async<Child, SqlError>((resume) => {
    let stderr = ""
    child.stderr.setEncoding("utf8")
    child.stderr.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000)
    })
    const exited = new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) done()
      else child.once("exit", () => done())
    })
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

/**
 * The child for the scope's lifetime; closing lets it flush `dataDir` (30 s before a kill).
 * `options.onSpawn` learns its pid as soon as it exists (the data directory's lock records it).
 */
export const acquireChild = (
  dataDir: string | undefined,
  options: { readonly optimizingCompiler: boolean; readonly onSpawn: (pid: number) => Effect.Effect<void> }
) =>
  Effect.acquireRelease(
    Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(spawnChild(dataDir, options.optimizingCompiler), (child) =>
        (child.pid === undefined ? Effect.void : options.onSpawn(child.pid)).pipe(
          Effect.zipRight(restore(awaitReady(child, dataDir))),
          Effect.onInterrupt(() => Effect.sync(() => child.kill("SIGKILL")))
        ))
    ),
    (child) => Effect.promise(() => child.close(30_000))
  )
