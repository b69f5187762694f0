/**
 * Bulk writer for staging tables on a Postgres SERVER: `COPY ... FROM STDIN` (text format) over
 * its own small `pg.Pool`, independent of the Effect `SqlClient` (staging writes need no
 * transaction with the commit).
 *
 * Rows are encoded straight into pooled 256 KiB Buffers (`RowsEncoder`: the destination encodes
 * each page's rows as they arrive, so only bytes wait for the COPY), never into one big string,
 * and the buffers are piped into the copy stream with backpressure.
 *
 * Values are encoded by the column's type: the caller's (`encoder`, for tables it made), or as
 * the server reports it (`copy`: looked up once per table and cached; a column the cache does
 * not know triggers a fresh look-up):
 * - json/jsonb columns: `JSON.stringify` of the value (strings, numbers and booleans become JSON
 *   scalars; Dates ISO strings), as `json_to_recordset` would store them.
 * - other columns: strings as they are, numbers/bigints as decimal text, booleans `true`/`false`,
 *   Dates `toISOString()`, objects/arrays as JSON text. Non-finite numbers are `NaN`/`Infinity`
 *   for float and numeric columns and NULL elsewhere (what JSON would give); invalid Dates are NULL.
 * - `null`/`undefined`/missing: NULL.
 *
 * Error messages name schema, table, SQLSTATE and the failing line/column, never row data, the
 * URL or its password.
 *
 * Server only: over the embedded PGlite socket (`Embedded.ts`) `COPY ... FROM STDIN` fails with
 * "protocol synchronization was lost" and leaves the one shared PGlite session unusable.
 */
import { Data, Effect, Redacted } from "effect"
import type * as Scope from "effect/Scope"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import pg from "pg"
import { from as copyFrom } from "pg-copy-streams"
import type { DataType } from "../normalize/tableSchema.js"

export interface CopyWriter {
  /** Encodes the rows and copies them into the table (column kinds from the server's catalog). */
  readonly copy: (
    schema: string,
    table: string,
    columns: ReadonlyArray<string>,
    rows: ReadonlyArray<Readonly<Record<string, unknown>>>
  ) => Effect.Effect<void, CopyError>
  /**
   * An encoder for rows of the given columns, whose kinds the caller knows (it made the
   * table): rows are encoded as they arrive, so only their bytes wait for the COPY.
   */
  readonly encoder: (columns: ReadonlyArray<string>, kinds: ReadonlyArray<ColumnKind>) => RowsEncoder
  /** Copies what the encoder holds into the table; its buffers go back to the pool after success. */
  readonly send: (schema: string, table: string, encoded: RowsEncoder) => Effect.Effect<void, CopyError>
}

export class CopyError extends Data.TaggedError("CopyError")<{ readonly message: string; readonly table: string }> {}

export interface CopyOptions {
  /** Pool size (clamped to 2..4); default 3. */
  readonly maxConnections?: number | undefined
  /**
   * Bytes per chunk written to the copy stream; default 256 Ki (up to 4 chunks in flight,
   * ~1 MB). Smaller chunks overlap our encoding with the server's parsing better than 1 MiB ones.
   */
  readonly chunkBytes?: number | undefined
}

// ---------------------------------------------------------------------------
// Encoding (COPY text format)
// ---------------------------------------------------------------------------

/** How a column's values are encoded. */
export type ColumnKind = "json" | "float" | "other"

const NULL = "\\N"
const needsEscape = /[\\\n\r\t]/
const escapeAll = /[\\\n\r\t]/g
const escapes: Readonly<Record<string, string>> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" }
const escapeChar = (c: string): string => escapes[c] ?? c

/** Escapes backslash, newline, carriage return and tab for the COPY text format. */
export const escapeText = (s: string): string => needsEscape.test(s) ? s.replace(escapeAll, escapeChar) : s

/** A value that cannot be encoded; its message names no data. */
class EncodeError extends Error {}

const bigintAsString = (_key: string, value: unknown): unknown => typeof value === "bigint" ? value.toString() : value

const jsonText = (value: unknown): string | undefined => {
  if (typeof value === "bigint") return value.toString()
  try {
    return JSON.stringify(value)
  } catch {
    try {
      // Nested bigints (JSON.stringify throws on them) become JSON strings, as exact as we can.
      return JSON.stringify(value, bigintAsString)
    } catch {
      throw new EncodeError("a value cannot be serialized as JSON (circular structure?)")
    }
  }
}

/** One value in COPY text format (already escaped), or `\N`. */
export const encodeValue = (value: unknown, kind: ColumnKind): string => {
  if (value === null || value === undefined) return NULL
  if (kind === "json") {
    const text = jsonText(value)
    return text === undefined ? NULL : escapeText(text)
  }
  switch (typeof value) {
    case "string":
      return escapeText(value)
    case "number":
      if (Number.isFinite(value)) return String(value)
      if (kind !== "float") return NULL
      return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity"
    case "boolean":
      return value ? "true" : "false"
    case "bigint":
      return value.toString()
    case "object": {
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? NULL : value.toISOString()
      const text = jsonText(value)
      return text === undefined ? NULL : escapeText(text)
    }
    default:
      // functions, symbols: what JSON.stringify drops
      return NULL
  }
}

/** The kind of a column we created with one of our data types (see `Postgres.columnType`). */
export const kindOfDataType = (type: DataType): ColumnKind =>
  type === "jsonb" ? "json" : type === "double" || type === "numeric" ? "float" : "other"

const kindOfType = (typname: string): ColumnKind =>
  typname === "json" || typname === "jsonb"
    ? "json"
    : typname === "float4" || typname === "float8" || typname === "numeric"
    ? "float"
    : "other"

const TAB = 9
const NEWLINE = 10
const BACKSLASH = 92

/** The escape letter of a byte that COPY text must escape (backslash, \n, \r, \t), else 0. */
const escapeLetter = (c: number): number =>
  c === BACKSLASH ? BACKSLASH : c === NEWLINE ? 110 : c === 13 ? 114 : c === TAB ? 116 : 0

/** Strings up to this length are copied byte by byte; longer ones by `Buffer.write`. */
const shortString = 48

/** Room for the row that crosses a chunk's size; a longer row grows its buffer. */
const slack = 1 << 16

const noBuffer = Buffer.alloc(0)

/**
 * Writes COPY text straight into Buffers: no line or chunk strings are built (concatenating
 * them was the loader's biggest source of garbage). A row never spans two chunks. Buffers come
 * from `acquire` (chunkBytes + slack bytes each), so a writer can reuse them.
 */
class ChunkEncoder {
  buf: Buffer = noBuffer
  pos = 0
  constructor(readonly chunkBytes: number, readonly acquire: () => Buffer) {}

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return
    if (this.pos === 0 && bytes <= this.chunkBytes + slack) {
      this.buf = this.acquire()
      return
    }
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes + slack))
    this.buf.copy(bigger, 0, 0, this.pos)
    this.buf = bigger
  }

  byte(c: number): void {
    this.ensure(1)
    this.buf[this.pos++] = c
  }

  /** ASCII text that needs no escaping (numbers, ISO dates, `true`). */
  ascii(s: string): void {
    const n = s.length
    this.ensure(n)
    const buf = this.buf
    let pos = this.pos
    for (let i = 0; i < n; i++) buf[pos++] = s.charCodeAt(i)
    this.pos = pos
  }

  /** Any string, escaped for COPY text, as UTF-8. */
  text(s: string): void {
    const n = s.length
    // UTF-8 takes at most 3 bytes per UTF-16 unit; an escape takes 2.
    this.ensure(3 * n)
    if (n <= shortString) {
      const buf = this.buf
      let pos = this.pos
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i)
        if (c >= 0x80) {
          this.pos += this.buf.write(escapeText(s), this.pos)
          return
        }
        if (c < 32 || c === BACKSLASH) {
          const letter = escapeLetter(c)
          if (letter !== 0) {
            buf[pos++] = BACKSLASH
            buf[pos++] = letter
            continue
          }
        }
        buf[pos++] = c
      }
      this.pos = pos
      return
    }
    // Longer strings: one native UTF-8 write, then a scan of the bytes written for the four
    // that COPY text escapes (in UTF-8 they only ever stand for themselves).
    const buf = this.buf
    const start = this.pos
    const end = start + buf.write(s, start)
    for (let i = start; i < end; i++) {
      const b = buf[i]
      if (b < 32 || b === BACKSLASH) {
        this.pos = start + buf.write(escapeText(s), start)
        return
      }
    }
    this.pos = end
  }

  nonNegativeInteger(v: number): void {
    this.ensure(16)
    const buf = this.buf
    if (v < 10) {
      buf[this.pos++] = 48 + v
      return
    }
    let digits = 0
    for (let x = v; x > 0; x = Math.floor(x / 10)) digits++
    let end = this.pos + digits
    this.pos = end
    for (let x = v; x > 0; x = Math.floor(x / 10)) buf[--end] = 48 + (x % 10)
  }

  /** Two decimal digits. */
  private digits2(v: number): void {
    const buf = this.buf
    buf[this.pos++] = 48 + Math.floor(v / 10)
    buf[this.pos++] = 48 + (v % 10)
  }

  /**
   * A Date as `toISOString()` writes it (`2024-05-01T12:00:00.000Z`), straight into the buffer:
   * a sync has millions of timestamps, and building each string first cost more than the rest
   * of the row. Years outside 0-9999 take `toISOString()`'s extended form.
   */
  date(value: Date): void {
    const year = value.getUTCFullYear()
    if (Number.isNaN(year)) {
      this.ascii(NULL)
      return
    }
    if (year < 0 || year > 9999) {
      this.ascii(value.toISOString())
      return
    }
    this.ensure(24)
    const buf = this.buf
    buf[this.pos++] = 48 + Math.floor(year / 1000)
    buf[this.pos++] = 48 + (Math.floor(year / 100) % 10)
    this.digits2(year % 100)
    buf[this.pos++] = 45 // -
    this.digits2(value.getUTCMonth() + 1)
    buf[this.pos++] = 45
    this.digits2(value.getUTCDate())
    buf[this.pos++] = 84 // T
    this.digits2(value.getUTCHours())
    buf[this.pos++] = 58 // :
    this.digits2(value.getUTCMinutes())
    buf[this.pos++] = 58
    this.digits2(value.getUTCSeconds())
    buf[this.pos++] = 46 // .
    const ms = value.getUTCMilliseconds()
    buf[this.pos++] = 48 + Math.floor(ms / 100)
    this.digits2(ms % 100)
    buf[this.pos++] = 90 // Z
  }

  /** One value, as `encodeValue` gives it. */
  value(value: unknown, kind: ColumnKind): void {
    if (value === null || value === undefined) {
      this.ascii(NULL)
      return
    }
    if (kind === "json") {
      const text = jsonText(value)
      if (text === undefined) this.ascii(NULL)
      else this.text(text)
      return
    }
    switch (typeof value) {
      case "string":
        this.text(value)
        return
      case "number":
        if (Number.isSafeInteger(value) && value >= 0) this.nonNegativeInteger(value)
        else this.ascii(encodeValue(value, kind))
        return
      case "boolean":
        this.ascii(value ? "true" : "false")
        return
      case "object":
        if (value instanceof Date) {
          this.date(value)
          return
        }
        {
          const text = jsonText(value)
          if (text === undefined) this.ascii(NULL)
          else this.text(text)
        }
        return
      default:
        // bigints (decimal text), functions and symbols (NULL): never escaped
        this.ascii(encodeValue(value, kind))
    }
  }

  /** The bytes so far, as a chunk; the encoder starts a fresh buffer. */
  take(): Buffer {
    const chunk = this.buf.subarray(0, this.pos)
    this.buf = noBuffer
    this.pos = 0
    return chunk
  }
}

/**
 * Chunk buffers for reuse. A COPY's buffers go back once it has succeeded (then the server has
 * read every byte); without the pool each chunk is garbage that only a full GC frees, and
 * some 30 MB of them piled up outside the heap.
 */
export class ChunkPool {
  private readonly free: Array<Buffer> = []
  constructor(readonly chunkBytes: number, readonly max: number) {}

  acquire(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.chunkBytes + slack)
  }

  release(buffers: ReadonlyArray<Buffer>): void {
    for (const b of buffers) {
      if (this.free.length >= this.max) return
      // Grown buffers (one very long row) are left to the GC.
      if (b.length === this.chunkBytes + slack) this.free.push(b)
    }
  }

  /** Buffers waiting for reuse. */
  get available(): number {
    return this.free.length
  }
}

/** How `encodeRow` reads a row's columns. */
interface RowLayout {
  readonly columns: ReadonlyArray<string>
  readonly kinds: ReadonlyArray<ColumnKind>
  /** Columns that `Object.prototype` also has (`constructor`...): read as own properties only. */
  readonly inherited: ReadonlyArray<boolean>
  readonly careful: boolean
}

const layoutOf = (columns: ReadonlyArray<string>, kinds: ReadonlyArray<ColumnKind>): RowLayout => {
  const inherited = columns.map((c) => c in Object.prototype)
  return { columns, kinds, inherited, careful: inherited.some((b) => b) }
}

/** One row as a COPY text line. */
const encodeRow = (encoder: ChunkEncoder, row: Readonly<Record<string, unknown>>, layout: RowLayout): void => {
  const { columns, kinds } = layout
  const n = columns.length
  for (let i = 0; i < n; i++) {
    if (i > 0) encoder.byte(TAB)
    const column = columns[i]
    encoder.value(layout.careful && layout.inherited[i] && !Object.hasOwn(row, column) ? undefined : row[column], kinds[i])
  }
  encoder.byte(NEWLINE)
}

/**
 * Rows of one column list, encoded as they are appended (synchronously), waiting as bytes in
 * pooled chunks for one COPY. Row objects are not kept: a batch held as objects until its COPY
 * outlived young-generation GCs and was copied into the old generation.
 */
export class RowsEncoder {
  private readonly layout: RowLayout
  private readonly encoder: ChunkEncoder
  private readonly chunks: Array<Buffer> = []
  /** Every buffer taken from the pool, to give back. */
  private readonly acquired: Array<Buffer> = []
  private full = 0
  rows = 0

  constructor(
    readonly columns: ReadonlyArray<string>,
    kinds: ReadonlyArray<ColumnKind>,
    readonly chunkBytes: number,
    private readonly pool: ChunkPool
  ) {
    this.layout = layoutOf(columns, kinds)
    this.encoder = new ChunkEncoder(chunkBytes, () => {
      const b = pool.acquire()
      this.acquired.push(b)
      return b
    })
  }

  /** Encodes the rows now; throws (with no data in the message) on a value JSON cannot hold. */
  append(rows: ReadonlyArray<Readonly<Record<string, unknown>>>): void {
    for (let r = 0; r < rows.length; r++) {
      encodeRow(this.encoder, rows[r], this.layout)
      if (this.encoder.pos >= this.chunkBytes) {
        const chunk = this.encoder.take()
        this.full += chunk.length
        this.chunks.push(chunk)
      }
    }
    this.rows += rows.length
  }

  /** Bytes encoded so far. */
  get bytes(): number {
    return this.full + this.encoder.pos
  }

  /** The chunks to send (the encoder is done with them). */
  take(): ReadonlyArray<Buffer> {
    if (this.encoder.pos > 0) {
      const chunk = this.encoder.take()
      this.full += chunk.length
      this.chunks.push(chunk)
    }
    return this.chunks
  }

  /** Gives the buffers back to the pool (once the server has read them). */
  release(): void {
    this.pool.release(this.acquired)
    this.acquired.length = 0
  }
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

const ident = (name: string): string => `"${name.replaceAll("\"", "\"\"")}"`

const stringField = (u: object, key: string): string | undefined => {
  const v: unknown = Reflect.get(u, key)
  return typeof v === "string" ? v : undefined
}

/**
 * The server's message without row data: data exceptions (SQLSTATE class 22) quote the
 * offending value, so everything in quotes is dropped; the position comes from `where`
 * ("COPY t, line 3, column c: <value>"), of which only line and column are kept.
 */
export const describeFailure = (u: unknown): string => {
  if (u instanceof EncodeError) return u.message
  if (typeof u !== "object" || u === null) return "unknown error"
  const code = stringField(u, "code")
  let message = stringField(u, "message") ?? ""
  if (code === undefined || !/^[0-9A-Z]{5}$/.test(code)) {
    // Not from the server: the driver's or the OS's (ECONNREFUSED arrives as an AggregateError with no message).
    if (u instanceof Error && u.name === "AbortError") return "interrupted"
    if (code === undefined) return message.length > 0 ? message : "unknown error"
    return message.length === 0 ? code : message.includes(code) ? message : `${message} (${code})`
  }
  if (code.startsWith("22")) message = message.replace(/"[\s\S]*"/, "\"…\"")
  const where = stringField(u, "where")
  const at = where === undefined ? null : /\bline (\d+)(?:, column ([^:]*))?/.exec(where)
  const position = at === null ? "" : `, line ${at[1]}${at[2] === undefined ? "" : `, column ${at[2]}`}`
  return `${message} (SQLSTATE ${code}${position})`
}

// ---------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------

const ignoreError = (): void => undefined

const columnTypesSql = `SELECT a.attname AS name, t.typname AS type
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`

interface ColumnTypeRow {
  readonly name: string
  readonly type: string
}

/** Removes the URL and its password from a message (drivers should never echo them; belt and braces). */
const scrubber = (url: string): (message: string) => string => {
  let password = ""
  try {
    password = decodeURIComponent(new URL(url).password)
  } catch {
    password = ""
  }
  return (message) => {
    let out = url.length > 0 ? message.replaceAll(url, "<database url>") : message
    if (password.length >= 4) out = out.replaceAll(password, "<redacted>")
    return out
  }
}

export const make = (
  url: Redacted.Redacted<string> | string,
  options: CopyOptions = {}
): Effect.Effect<CopyWriter, never, Scope.Scope> =>
  Effect.gen(function*() {
    const connectionString = Redacted.isRedacted(url) ? Redacted.value(url) : url
    const scrub = scrubber(connectionString)
    const chunkBytes = Math.max(1024, options.chunkBytes ?? 1 << 18)
    const max = Math.min(4, Math.max(2, options.maxConnections ?? 3))
    // Enough for every connection's chunks in flight (the copy stream holds up to 4) and for
    // the encoders waiting for a COPY (a few tables per resource, ~1 MiB each).
    const chunks = new ChunkPool(chunkBytes, 16 * max)

    const pool = yield* Effect.acquireRelease(
      Effect.sync(() => {
        const p = new pg.Pool({ connectionString, max, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 })
        // An idle client's connection error must not crash the process; the next checkout reconnects.
        p.on("error", () => undefined)
        return p
      }),
      (p) => Effect.promise(() => p.end().catch(() => undefined))
    )

    /** schema.table (quoted) → column → kind */
    const kindsCache = new Map<string, ReadonlyMap<string, ColumnKind>>()

    /** The kinds of the table's columns, as the server reports them (cached per table). */
    const columnKinds = async (target: string, columns: ReadonlyArray<string>): Promise<ReadonlyArray<ColumnKind>> => {
      let known = kindsCache.get(target)
      if (known === undefined || columns.some((c) => !known?.has(c))) {
        const result = await pool.query<ColumnTypeRow>(columnTypesSql, [target])
        const fresh = new Map(result.rows.map((r) => [r.name, kindOfType(r.type)] as const))
        if (fresh.size === 0) throw new EncodeError("the table does not exist")
        kindsCache.set(target, fresh)
        known = fresh
      }
      const kinds = known
      return columns.map((c) => {
        const kind = kinds.get(c)
        if (kind === undefined) throw new EncodeError(`column ${ident(c)} does not exist`)
        return kind
      })
    }

    /**
     * One `COPY target (columns) FROM STDIN` of encoded chunks on a checked-out connection. A
     * failed or interrupted COPY leaves the connection in doubt: it is discarded.
     */
    const sendChunks = async (
      target: string,
      columns: ReadonlyArray<string>,
      encoded: ReadonlyArray<Buffer>,
      signal: AbortSignal
    ): Promise<void> => {
      const client = await pool.connect()
      let failure: Error | undefined
      // A checked-out client has no error listener of the pool's; without ours, a connection
      // error outside an active query would be an unhandled 'error' event.
      const onClientError = (e: Error) => {
        failure ??= e
      }
      client.on("error", onClientError)
      try {
        // Room for a few chunks in flight: the server parses one while the next is on its way.
        const stream = client.query(
          copyFrom(`COPY ${target} (${columns.map(ident).join(", ")}) FROM STDIN`, { highWaterMark: 4 * chunkBytes })
        )
        await pipeline(Readable.from(encoded, { highWaterMark: 1 }), stream, { signal })
      } catch (e) {
        failure = e instanceof Error ? e : new Error("COPY failed")
        throw e
      } finally {
        client.removeListener("error", onClientError)
        if (failure !== undefined) client.on("error", ignoreError)
        client.release(failure)
      }
    }

    const encoder: CopyWriter["encoder"] = (columns, kinds) => new RowsEncoder(columns, kinds, chunkBytes, chunks)

    const failed = (name: string, table: string) => (e: unknown) =>
      new CopyError({ message: scrub(`COPY into ${name} failed: ${describeFailure(e)}`), table })

    const send: CopyWriter["send"] = (schema, table, encoded) => {
      const name = `${schema}.${table}`
      if (encoded.rows === 0) return Effect.void
      const target = `${ident(schema)}.${ident(table)}`
      return Effect.tryPromise({
        try: (signal) => sendChunks(target, encoded.columns, encoded.take(), signal),
        catch: failed(name, table)
      }).pipe(
        // After a failure the socket may still hold some chunks: those are left to the GC.
        Effect.tap(() => Effect.sync(() => encoded.release())),
        Effect.withSpan("CopyWriter.send", { attributes: { schema, table, rows: encoded.rows } })
      )
    }

    // The kinds from the catalog, every row encoded, then the same COPY as `send`.
    const copy: CopyWriter["copy"] = (schema, table, columns, rows) => {
      const name = `${schema}.${table}`
      if (rows.length === 0) return Effect.void
      if (columns.length === 0) {
        return Effect.fail(new CopyError({ message: `COPY into ${name}: no columns given`, table }))
      }
      const target = `${ident(schema)}.${ident(table)}`
      return Effect.tryPromise({ try: () => columnKinds(target, columns), catch: failed(name, table) }).pipe(
        Effect.flatMap((kinds) =>
          Effect.try({
            try: () => {
              const rowsEncoder = encoder(columns, kinds)
              rowsEncoder.append(rows)
              return rowsEncoder
            },
            catch: failed(name, table)
          })
        ),
        Effect.flatMap((encoded) => send(schema, table, encoded)),
        // The table may have changed under us; look its columns up again next time.
        Effect.tapError(() => Effect.sync(() => kindsCache.delete(target))),
        Effect.withSpan("CopyWriter.copy", { attributes: { schema, table, rows: rows.length } })
      )
    }

    return { copy, encoder, send }
  })
