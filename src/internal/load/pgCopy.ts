/**
 * The sending side of COPY: `COPY ... FROM STDIN` (text format) of encoded rows on a connection
 * checked out of a `pg.Pool`, with backpressure; no transaction with the commit is needed
 * (staging writes). Rows are encoded by `RowsEncoder` (rowsEncoder.ts).
 *
 * Error messages name schema, table, SQLSTATE and the failing line/column, never row data, the
 * URL or its password.
 *
 * `COPY ... FROM STDIN` is for servers: over the embedded PGlite socket (embedded.ts) it fails
 * with "protocol synchronization was lost" and leaves the one shared PGlite session unusable, so
 * the embedded database's writer has a transport of its own (blobCopy.ts) with the same encoder.
 */
import { Context, Data, Effect, Layer } from "effect"
import { Readable } from "node:stream"
import { pipeline } from "node:stream/promises"
import type pg from "pg"
import { from as copyFrom } from "pg-copy-streams"
import type { ColumnKind } from "./copyText.js"
import { EncodeError, kindOfTypeName } from "./copyText.js"
import { ident } from "./identifiers.js"
import { ChunkPool, RowsEncoder } from "./rowsEncoder.js"

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
  /** COPYs in flight at once (each holds a pooled connection); default 3. */
  readonly maxConcurrentCopies?: number | undefined
  /**
   * Bytes per chunk written to the copy stream; default 256 Ki (up to 4 chunks in flight,
   * ~1 MB). Smaller chunks overlap our encoding with the server's parsing better than 1 MiB ones.
   */
  readonly chunkBytes?: number | undefined
}

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

/** Removes the URL and its password from a message (drivers should never echo them; belt and braces). */
export const scrubber = (url: string | undefined): (message: string) => string => {
  if (url === undefined || url.length === 0) return (message) => message
  let password = ""
  try {
    password = decodeURIComponent(new URL(url).password)
  } catch {
    password = ""
  }
  return (message) => {
    const out = message.replaceAll(url, "<database url>")
    return password.length >= 4 ? out.replaceAll(password, "<redacted>") : out
  }
}

const ignoreError = (): void => undefined

const columnTypesSql = `SELECT a.attname AS name, t.typname AS type
FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`

interface ColumnTypeRow {
  readonly name: string
  readonly type: string
}

/**
 * How a writer sends one COPY of encoded chunks into `target` (schema.table, quoted): over a
 * connection of the pool (a server) or beside it (the embedded database, blobCopy.ts).
 */
export type CopyTransport = (
  pool: pg.Pool,
  target: string,
  columns: ReadonlyArray<string>,
  encoded: ReadonlyArray<Buffer>,
  signal: AbortSignal
) => Promise<void>

/**
 * Runs `f` on a connection checked out of `pool`. The connection is discarded when it broke
 * meanwhile, and when `f` failed with `discardOnFailure` (its protocol state is then in doubt).
 */
export const withClient = async (
  pool: pg.Pool,
  discardOnFailure: boolean,
  f: (client: pg.PoolClient) => Promise<void>
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
    await f(client)
  } catch (e) {
    if (discardOnFailure) failure ??= e instanceof Error ? e : new Error("COPY failed")
    throw e
  } finally {
    client.removeListener("error", onClientError)
    if (failure !== undefined) client.on("error", ignoreError)
    client.release(failure)
  }
}

/**
 * One `COPY target (columns) FROM STDIN` of encoded chunks on a connection of `pool`. A failed
 * or interrupted COPY leaves the connection in doubt: it is discarded.
 */
const sendChunks = (chunkBytes: number): CopyTransport => (pool, target, columns, encoded, signal) =>
  withClient(pool, true, async (client) => {
    // Room for a few chunks in flight: the server parses one while the next is on its way.
    const stream = client.query(
      copyFrom(`COPY ${target} (${columns.map(ident).join(", ")}) FROM STDIN`, { highWaterMark: 4 * chunkBytes })
    )
    await pipeline(Readable.from(encoded, { highWaterMark: 1 }), stream, { signal })
  })

/** A `CopyWriter` over connections of `pool` (which it does not own). */
class PoolCopyWriter implements CopyWriter {
  /** schema.table (quoted) → column → kind */
  private readonly kindsCache = new Map<string, ReadonlyMap<string, ColumnKind>>()

  constructor(
    private readonly pool: pg.Pool,
    private readonly transport: CopyTransport,
    private readonly chunkBytes: number,
    private readonly chunks: ChunkPool,
    private readonly permits: Effect.Semaphore,
    private readonly scrub: (message: string) => string
  ) {}

  readonly encoder = (columns: ReadonlyArray<string>, kinds: ReadonlyArray<ColumnKind>): RowsEncoder =>
    new RowsEncoder(columns, kinds, this.chunkBytes, this.chunks)

  readonly send = (schema: string, table: string, encoded: RowsEncoder): Effect.Effect<void, CopyError> => {
    if (encoded.rows === 0) return Effect.void
    const target = `${ident(schema)}.${ident(table)}`
    return this.permits.withPermits(1)(Effect.tryPromise({
      try: (signal) => this.transport(this.pool, target, encoded.columns, encoded.take(), signal),
      catch: this.failed(schema, table)
    })).pipe(
      // After a failure the socket may still hold some chunks: those are left to the GC.
      Effect.tap(() => Effect.sync(() => encoded.release())),
      Effect.withSpan("CopyWriter.send", { attributes: { schema, table, rows: encoded.rows } })
    )
  }

  // The kinds from the catalog, every row encoded, then the same COPY as `send`.
  readonly copy = (
    schema: string,
    table: string,
    columns: ReadonlyArray<string>,
    rows: ReadonlyArray<Readonly<Record<string, unknown>>>
  ): Effect.Effect<void, CopyError> => {
    if (rows.length === 0) return Effect.void
    if (columns.length === 0) {
      return Effect.fail(new CopyError({ message: `COPY into ${schema}.${table}: no columns given`, table }))
    }
    const target = `${ident(schema)}.${ident(table)}`
    return Effect.tryPromise({ try: () => this.columnKinds(target, columns), catch: this.failed(schema, table) }).pipe(
      Effect.flatMap((kinds) =>
        Effect.try({
          try: () => {
            const rowsEncoder = this.encoder(columns, kinds)
            rowsEncoder.append(rows)
            return rowsEncoder
          },
          catch: this.failed(schema, table)
        })
      ),
      Effect.flatMap((encoded) => this.send(schema, table, encoded)),
      // The table may have changed under us; look its columns up again next time.
      Effect.tapError(() => Effect.sync(() => this.kindsCache.delete(target))),
      Effect.withSpan("CopyWriter.copy", { attributes: { schema, table, rows: rows.length } })
    )
  }

  private failed(schema: string, table: string) {
    return (e: unknown) =>
      new CopyError({ message: this.scrub(`COPY into ${schema}.${table} failed: ${describeFailure(e)}`), table })
  }

  /** The kinds of the table's columns, as the server reports them (cached per table). */
  private async columnKinds(target: string, columns: ReadonlyArray<string>): Promise<ReadonlyArray<ColumnKind>> {
    let known = this.kindsCache.get(target)
    if (known === undefined || columns.some((c) => !known?.has(c))) {
      const result = await this.pool.query<ColumnTypeRow>(columnTypesSql, [target])
      const fresh = new Map(result.rows.map((r) => [r.name, kindOfTypeName(r.type)] as const))
      if (fresh.size === 0) throw new EncodeError("the table does not exist")
      this.kindsCache.set(target, fresh)
      known = fresh
    }
    const kinds = known
    return columns.map((c) => {
      const kind = kinds.get(c)
      if (kind === undefined) throw new EncodeError(`column ${ident(c)} does not exist`)
      return kind
    })
  }
}

/**
 * A COPY writer over connections of `pool`; the pool stays the caller's to close. `transport`
 * replaces `COPY ... FROM STDIN` on a pool connection (the embedded database's, blobCopy.ts).
 */
export const makeWriter = (pool: pg.Pool, options: CopyOptions = {}, transport?: CopyTransport): Effect.Effect<CopyWriter> =>
  Effect.gen(function*() {
    const chunkBytes = Math.max(1024, options.chunkBytes ?? 1 << 18)
    const concurrent = Math.max(1, options.maxConcurrentCopies ?? 3)
    const permits = yield* Effect.makeSemaphore(concurrent)
    // Enough for every COPY's chunks in flight (the copy stream holds up to 4) and for the
    // encoders waiting for a COPY (a few tables per resource, ~1 MiB each).
    const chunks = new ChunkPool(chunkBytes, 16 * Math.max(2, concurrent))
    return new PoolCopyWriter(pool, transport ?? sendChunks(chunkBytes), chunkBytes, chunks, permits, scrubber(pool.options.connectionString))
  })

/**
 * COPY into staging tables, for a Postgres server. Its layer (`layerFromPool`) shares the pool
 * of the `SqlClient`; the Destination uses COPY when this service is in context.
 */
export class PgCopy extends Context.Tag("effect-rest-connector/PgCopy")<PgCopy, CopyWriter>() {}

/** `PgCopy` over connections of `pool`, which stays the caller's to close (`transport`: see `makeWriter`). */
export const layerFromPool = (pool: pg.Pool, options: CopyOptions = {}, transport?: CopyTransport): Layer.Layer<PgCopy> =>
  Layer.effect(PgCopy, makeWriter(pool, options, transport))
