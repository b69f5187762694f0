/**
 * Our end of the COPY pipe to the embedded database's child process (embeddedChild.ts): a
 * request is `[u32 header bytes][u32 body bytes][header JSON {id, sql}][body = COPY text]`, and
 * the child answers each with one JSON line `{id}` or `{id, error: {message, code?, where?}}`.
 * Only this process holds the pipe's other end, so nothing but us can ask the child to COPY.
 */
import type { Socket } from "node:net"
import { createInterface } from "node:readline"
import type { BlobCopy } from "./blobCopy.js"

interface Waiting {
  readonly resolve: () => void
  readonly reject: (e: Error) => void
}

/** A lost child reads like a lost connection (`isConnectionLost`), so the load says so. */
const lost = (why: string): Error => Object.assign(new Error(`Connection terminated: ${why}`), { code: "ECONNRESET" })

const field = (u: object, key: string): string | undefined => {
  const v: unknown = Reflect.get(u, key)
  return typeof v === "string" ? v : undefined
}

/** The database's error as `pg` would report it: message, `code` (SQLSTATE) and `where`. */
const databaseError = (u: object): Error =>
  Object.assign(new Error(field(u, "message") ?? "COPY failed"), { code: field(u, "code"), where: field(u, "where") })

export interface CopyChannel {
  readonly copy: BlobCopy
  /** Fails what waits and every later request (the child is gone). */
  readonly fail: (why: string) => void
}

const largest = 0xffff_ffff

export const make = (socket: Socket): CopyChannel => {
  const waiting = new Map<number, Waiting>()
  let next = 0
  let closed: Error | undefined
  const fail = (why: string) => {
    closed ??= lost(why)
    for (const w of waiting.values()) w.reject(closed)
    waiting.clear()
  }
  socket.on("error", (e) => fail(`the embedded database's COPY pipe failed (${e.message})`))
  socket.on("close", () => fail("the embedded database's process closed its COPY pipe"))
  const lines = createInterface({ input: socket })
  // readline re-emits its input's errors (a killed child's ECONNRESET); the socket's handler has them.
  lines.on("error", () => undefined)
  lines.on("line", (line) => {
    let answer: unknown
    try {
      answer = JSON.parse(line)
    } catch {
      return fail("the embedded database's process answered a COPY with something else than JSON")
    }
    if (typeof answer !== "object" || answer === null) return
    const id: unknown = Reflect.get(answer, "id")
    const w = typeof id === "number" ? waiting.get(id) : undefined
    if (w === undefined || typeof id !== "number") return
    waiting.delete(id)
    const error: unknown = Reflect.get(answer, "error")
    if (typeof error === "object" && error !== null) w.reject(databaseError(error))
    else w.resolve()
  })
  const copy: BlobCopy = (sql, chunks) =>
    new Promise<void>((resolve, reject) => {
      if (closed !== undefined) return reject(closed)
      let body = 0
      for (const chunk of chunks) body += chunk.length
      const header = Buffer.from(JSON.stringify({ id: next, sql }))
      if (body > largest || header.length > largest) return reject(new Error("COPY of more than 4 GiB at once"))
      const prefix = Buffer.allocUnsafe(8)
      prefix.writeUInt32BE(header.length, 0)
      prefix.writeUInt32BE(body, 4)
      waiting.set(next++, { resolve, reject })
      // One request at a time per connection (blobCopy.ts), about 1 MiB: the socket buffers it.
      socket.write(prefix)
      socket.write(header)
      for (const chunk of chunks) socket.write(chunk)
    })
  return { copy, fail }
}
