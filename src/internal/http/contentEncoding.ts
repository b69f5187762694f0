/**
 * Compressed response bodies, as Python's requests (which dlt uses) takes them: our transport
 * asks for `gzip, deflate, br` unless the request names its own `Accept-Encoding`, and decodes
 * whatever `Content-Encoding` the response has (several codings in a row too; `deflate` with or
 * without its zlib wrapper, as urllib3 accepts). Decoding streams through node:zlib while the
 * body arrives, and the body limit counts both the bytes received and the bytes decoded, so a
 * small "gzip bomb" stops as soon as its output passes the limit instead of filling memory.
 */
import { Data } from "effect"
import { pipeline, type Readable, Transform, type TransformCallback, Writable } from "node:stream"
import * as Zlib from "node:zlib"
import { BodyTooLarge } from "./exchangeLimits.js"

/** What our transport asks for when the request does not say. */
export const acceptEncoding = "gzip, deflate, br"

export type ContentCoding = "gzip" | "deflate" | "br"

/** A body whose `Content-Encoding` data is corrupt; it arrives as a `ResponseError`'s cause. */
export class UndecodableBody extends Data.TaggedError("UndecodableBody")<{ readonly encoding: string; readonly detail: string }> {
  override get message(): string {
    return `the response body could not be decoded as Content-Encoding ${this.encoding}: ${this.detail}`
  }
}

const codingOf = (token: string): ContentCoding | "identity" | undefined => {
  switch (token) {
    case "gzip":
    case "x-gzip":
      return "gzip"
    case "deflate":
      return "deflate"
    case "br":
      return "br"
    case "identity":
    case "":
      return "identity"
    default:
      return undefined
  }
}

/**
 * The codings of a `Content-Encoding` header in the order they were applied, or undefined when
 * there is nothing to decode. A coding we do not know leaves the body as it came (requests does
 * the same); we never ask for one.
 */
export const codingsOf = (header: string | ReadonlyArray<string> | undefined): ReadonlyArray<ContentCoding> | undefined => {
  if (header === undefined) return undefined
  const codings: Array<ContentCoding> = []
  for (const token of (typeof header === "string" ? header : header.join(",")).split(",")) {
    const coding = codingOf(token.trim().toLowerCase())
    if (coding === undefined) return undefined
    if (coding !== "identity") codings.push(coding)
  }
  return codings.length === 0 ? undefined : codings
}

/** A zlib stream (RFC 1950) starts with a CMF/FLG pair whose 16-bit value is a multiple of 31. */
const hasZlibHeader = (head: Buffer): boolean => (head[0] & 0x0f) === 8 && (head[0] >> 4) <= 7 && ((head[0] << 8) | head[1]) % 31 === 0

/**
 * One coding undone. The zlib stream is opened on the first bytes: `deflate` comes wrapped or
 * raw, and an empty body (a 204, a HEAD) has nothing to decode. `maxIn`, when given, bounds the
 * bytes that go in.
 */
class Decoder extends Transform {
  private inner: Transform | undefined
  private head: Buffer | undefined
  private received = 0

  constructor(private readonly coding: ContentCoding, private readonly maxIn: number | undefined) {
    super()
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.received += chunk.byteLength
    if (this.maxIn !== undefined && this.received > this.maxIn) return done(new BodyTooLarge({ limit: this.maxIn }))
    let data = chunk
    if (this.inner === undefined) {
      data = this.head === undefined ? chunk : Buffer.concat([this.head, chunk])
      if (this.coding === "deflate" && data.byteLength < 2) {
        this.head = data
        return done()
      }
      this.head = undefined
      this.inner = this.open(data)
    }
    // On a decoding error the inner stream destroys this one; `done` is then moot.
    this.inner.write(data, (error) => {
      if (error === null || error === undefined) done()
    })
  }

  override _flush(done: TransformCallback): void {
    if (this.inner === undefined) {
      if (this.head === undefined) return done()
      this.inner = this.open(this.head)
      this.inner.write(this.head)
    }
    this.inner.once("end", () => done())
    this.inner.end()
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.inner?.destroy()
    done(error)
  }

  private open(head: Buffer): Transform {
    const inner = this.coding === "gzip"
      ? Zlib.createGunzip()
      : this.coding === "br"
      ? Zlib.createBrotliDecompress()
      : head.byteLength >= 2 && hasZlibHeader(head)
      ? Zlib.createInflate()
      : Zlib.createInflateRaw()
    inner.on("data", (chunk: Buffer) => this.push(chunk))
    inner.on("error", (e: Error) => this.destroy(new UndecodableBody({ encoding: this.coding, detail: e.message })))
    return inner
  }
}

const ignore = (): void => undefined

/**
 * The decoded body, or why there is none: BodyTooLarge as soon as the bytes received or the
 * bytes decoded pass `max`, UndecodableBody for corrupt data. A failure of the body itself (a
 * broken connection, the deadline's abort) rejects.
 */
export const readDecoded = (
  body: Readable,
  codings: ReadonlyArray<ContentCoding>,
  max: number | undefined
): Promise<Uint8Array | BodyTooLarge | UndecodableBody> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    const described = codings.join(", ")
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        size += chunk.byteLength
        if (max !== undefined && size > max) return done(new BodyTooLarge({ limit: max, decoded: described }))
        chunks.push(chunk)
        done()
      }
    })
    // Codings are undone last-applied first; only the first decoder sees the bytes received.
    const decoders = [...codings].reverse().map((coding, i) => new Decoder(coding, i === 0 ? max : undefined))
    // Destroying the body (a bomb stopped half-way) aborts the exchange; that abort is expected.
    body.on("error", ignore)
    pipeline([body, ...decoders, sink], (error) => {
      if (error === null || error === undefined) resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size))
      else if (error instanceof BodyTooLarge || error instanceof UndecodableBody) resolve(error)
      else reject(error)
    })
  })
