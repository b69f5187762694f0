/**
 * The embedded database in a child process of its own: PGlite and its socket server on
 * 127.0.0.1:0, reached over loopback like a server. Its queries use another core than the
 * pipeline's thread, and its WASM memory is not the pipeline's.
 */
import { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import { createRequire } from "node:module"
import { Socket } from "node:net"
import { createInterface } from "node:readline"
import { pathToFileURL } from "node:url"
import type { BlobCopy } from "./blobCopy.js"
import * as CopyChannel from "./copyChannel.js"
import { memoryStartParams } from "./embeddedSetup.js"

/**
 * The child process's program (ESM, given to `node -e`): PGlite and its socket server on
 * 127.0.0.1:0, then `ready <host>:<port>` on stdout. It closes PGlite (flushing `dataDir`) and
 * exits when its stdin ends: when we close it, and when this process dies. On fd 3 it takes COPY
 * requests (copyChannel.ts) and runs each as PGlite's own `COPY ... FROM '/dev/blob'`, in order.
 */
const childProgram = `
const [pgliteUrl, socketUrl, dataDir, startParams] = JSON.parse(process.argv[1])
process.title = "rest-connector embedded database"
try {
  const { PGlite } = await import(pgliteUrl)
  const { PGLiteSocketServer } = await import(socketUrl)
  const { Socket } = await import("node:net")
  if (dataDir !== null) await (await import("node:fs/promises")).mkdir(dataDir, { recursive: true })
  const db = new PGlite(dataDir ?? undefined, { startParams: [...PGlite.defaultStartParams, ...startParams] })
  await db.waitReady
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 4 })
  await server.start()
  const channel = new Socket({ fd: 3, readable: true, writable: true })
  channel.on("error", () => undefined)
  const parts = []
  let have = 0
  const take = (n) => {
    const out = []
    have -= n
    while (n > 0) {
      const head = parts[0]
      if (head.length <= n) {
        out.push(parts.shift())
        n -= head.length
      } else {
        out.push(head.subarray(0, n))
        parts[0] = head.subarray(n)
        n = 0
      }
    }
    return out
  }
  const answer = (u) => channel.write(JSON.stringify(u) + "\\n")
  const copy = async (id, sql, body) => {
    try {
      if (!sql.startsWith("COPY ") || !sql.includes(" FROM '/dev/blob'")) throw new Error("not a COPY from /dev/blob")
      // Our parent sends a COPY only while it holds its one connection, outside any transaction.
      if (db.isInTransaction()) throw new Error("the embedded database's session is inside a transaction; COPY refused")
      await db.query(sql, [], { blob: new Blob(body) })
      answer({ id })
    } catch (e) {
      // Never detail or params: they may quote row data.
      answer({ id, error: { message: String(e?.message ?? e), code: e?.code, where: e?.where } })
    }
  }
  let frame = null
  let queue = Promise.resolve()
  channel.on("data", (data) => {
    parts.push(data)
    have += data.length
    for (;;) {
      if (frame === null) {
        if (have < 8) return
        const prefix = Buffer.concat(take(8))
        frame = { headerBytes: prefix.readUInt32BE(0), bodyBytes: prefix.readUInt32BE(4), header: null }
      }
      if (frame.header === null) {
        if (have < frame.headerBytes) return
        frame.header = JSON.parse(Buffer.concat(take(frame.headerBytes)).toString("utf8"))
      }
      if (have < frame.bodyBytes) return
      const { id, sql } = frame.header
      const body = take(frame.bodyBytes)
      frame = null
      queue = queue.then(() => copy(id, sql, body))
    }
  })
  let closing = false
  const close = async () => {
    if (closing) return
    closing = true
    channel.destroy()
    await server.stop().catch(() => undefined)
    // Waits for a COPY under way: it commits or not, whole.
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
  /** COPY into the child's PGlite through its pipe (see blobCopy.ts for when it may be called). */
  readonly copy: BlobCopy
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
      // fd 3: the COPY pipe (copyChannel.ts).
      { stdio: ["pipe", "pipe", "pipe", "pipe"] }
    )
  })

/** Waits for the child's `ready` line; kills it on failure or interruption. */
const awaitReady = (child: ChildProcess, dataDir: string | undefined) =>
  Effect.async<Child, SqlError>((resume) => {
    const { stdin, stdout, stderr: errors } = child
    const pipe = child.stdio[3]
    if (stdin === null || stdout === null || errors === null || !(pipe instanceof Socket)) {
      child.kill("SIGKILL")
      return resume(Effect.fail(new SqlError({ message: "Embedded database: its process has no pipes" })))
    }
    const channel = CopyChannel.make(pipe)
    // A killed child resets the pipes it left unread (ECONNRESET); its exit is what counts.
    for (const stream of [stdin, stdout, errors]) stream.on("error", () => undefined)
    child.once("exit", (code, signal) => channel.fail(`the embedded database's process exited (${signal ?? `code ${code}`})`))
    let stderr = ""
    errors.setEncoding("utf8")
    errors.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-2000)
    })
    const exited = new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null) done()
      else child.once("exit", () => done())
    })
    const close = (graceMillis: number) => {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
      stdin.end()
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
    const lines = createInterface({ input: stdout })
    lines.on("error", () => undefined)
    lines.once("line", (line) => {
      const [word, ...rest] = line.split(" ")
      const where = word === "ready" ? hostAndPort(rest.join(" ")) : undefined
      if (where === undefined) return fail(`failed to open ${dataDir ?? "an in-memory database"}: ${rest.join(" ")}`)
      settled = true
      resume(Effect.succeed({ ...where, copy: channel.copy, close }))
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
