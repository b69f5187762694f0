/**
 * COPY into the embedded database: PGlite's own `COPY ... FROM '/dev/blob'` with the bytes our
 * encoder makes (rowsEncoder.ts), handed to PGlite beside its socket server, whose
 * `COPY FROM STDIN` loses protocol sync. In the child process the bytes travel over a pipe of
 * their own (embeddedChild.ts); in this process they go to PGlite directly.
 *
 * PGlite is one session, shared with the pool's one connection. A COPY therefore runs while
 * that connection is checked out: none of our statements is in flight, and no transaction is
 * open (a transaction holds the connection to its end). The COPY is a statement of its own, as a
 * server's COPY on a connection of its own: it commits whole or leaves nothing behind.
 */
import { ident } from "./identifiers.js"
import { type CopyTransport, withClient } from "./pgCopy.js"

/**
 * Runs one `COPY ... FROM '/dev/blob'` statement with the chunks as the blob; rejects with the
 * database's error (its `message`, `code` = SQLSTATE and `where`, as `pg` reports them).
 */
export type BlobCopy = (sql: string, chunks: ReadonlyArray<Buffer>) => Promise<void>

/** The statement for `target` (schema.table, quoted). The session's client_encoding is not ours to trust. */
export const copyFromBlobSql = (target: string, columns: ReadonlyArray<string>): string =>
  `COPY ${target} (${columns.map(ident).join(", ")}) FROM '/dev/blob' WITH (FORMAT text, ENCODING 'UTF8')`

/** The error a COPY gets when the session is, against every expectation, inside a transaction. */
export const inTransactionMessage = "the embedded database's session is inside a transaction; COPY refused"

/**
 * A `CopyTransport` that holds one connection of `pool` while `copy` runs beside it. A failed
 * COPY leaves that connection as it was (nothing was sent on it).
 */
export const blobTransport = (copy: BlobCopy): CopyTransport => (pool, target, columns, encoded, signal) =>
  withClient(pool, false, () => {
    // Interrupted while waiting for the connection: nothing is sent.
    signal.throwIfAborted()
    return copy(copyFromBlobSql(target, columns), encoded)
  })

/** What `inProcessCopy` needs of a PGlite instance. */
export interface BlobDatabase {
  readonly isInTransaction: () => boolean
  readonly query: (sql: string, params: Array<unknown>, options: { readonly blob: Blob }) => Promise<unknown>
}

/** `BlobCopy` into a PGlite of this process. */
export const inProcessCopy = (db: BlobDatabase): BlobCopy => async (sql, chunks) => {
  if (db.isInTransaction()) throw new Error(inTransactionMessage)
  let total = 0
  for (const chunk of chunks) total += chunk.length
  const bytes = new Uint8Array(total)
  let at = 0
  for (const chunk of chunks) {
    bytes.set(chunk, at)
    at += chunk.length
  }
  await db.query(sql, [], { blob: new Blob([bytes]) })
}
