/**
 * The write path (the hot path): rows wait per table until there are enough for one write to
 * staging, as COPY text when the destination has a `CopyWriter` (a server, the embedded
 * database: encoded as they arrive, so only bytes wait) or else as row objects for one
 * `json_to_recordset` INSERT. Everything that waits is
 * written before the commit (`flushAll`).
 *
 * Per page, so no `Effect.gen` here: a generator closure made per call keeps the rows it
 * captures alive through young-generation GCs (STYLE pitfall 11).
 */
import { Effect, Either, Fiber } from "effect"
import type { ColumnSchema, Row, TableSchema } from "../normalize/tableSchema.js"
import { SystemColumns } from "../normalize/tableSchema.js"
import { kindOfDataType } from "./copyText.js"
import type { Batch } from "./destination.js"
import { DestinationError } from "./destination.js"
import { isConnectionLost } from "./destinationErrors.js"
import type { LoadState, PendingRows, StagedTable } from "./loadState.js"
import { describeFailure } from "./pgCopy.js"
import { exec } from "./sqlSession.js"
import { insertFromJsonSql } from "./sqlText.js"
import { ensureStagingTable } from "./staging.js"

/** COPY text waiting per table before it is sent (one COPY per ~1 MiB). */
const flushBytes = 1 << 20

/** Rows per JSON parameter: bounds one statement's memory for very large batches. */
const maxRowsPerStatement = 50_000

const writeError = (state: LoadState, table: string) => (e: { readonly message: string }) =>
  new DestinationError({
    message: `writing rows to staging: ${e.message}`,
    dataset: state.dataset,
    table,
    reason: isConnectionLost(e) ? "ConnectionLost" : undefined
  })

const insertJson = (state: LoadState, entry: StagedTable, columns: ReadonlyArray<ColumnSchema>, rows: ReadonlyArray<Row>) => {
  const text = insertFromJsonSql(state.stagingSchema, entry.staging, columns)
  const chunks: Array<ReadonlyArray<Row>> = []
  for (let i = 0; i < rows.length; i += maxRowsPerStatement) {
    chunks.push(rows.length <= maxRowsPerStatement ? rows : rows.slice(i, i + maxRowsPerStatement))
  }
  return Effect.forEach(
    chunks,
    // JSON text, not a JS array (pitfall 6); Dates serialize to ISO strings.
    (chunk) => exec(state.sql, text, [JSON.stringify(chunk)], "writing rows to staging", state.dataset, entry.table),
    { discard: true }
  )
}

/** Waits for the table's COPY in flight, if any (its failure is the caller's). */
const settle = (state: LoadState, table: string): Effect.Effect<void, DestinationError> =>
  Effect.suspend(() => {
    const fiber = state.sending.get(table)
    if (fiber === undefined) return Effect.void
    state.sending.delete(table)
    return Fiber.join(fiber)
  })

/** Writes what waits for one table to staging. */
const flushTable = (state: LoadState, table: string): Effect.Effect<void, DestinationError> =>
  Effect.suspend(() => {
    const waiting = state.pending.get(table)
    if (waiting === undefined) return Effect.void
    state.pending.delete(table)
    const counted = Effect.sync(() => {
      waiting.entry.rows += waiting._tag === "Encoded" ? waiting.encoder.rows : waiting.rows.length
    })
    if (waiting._tag === "Encoded" && state.copy !== undefined) {
      // The COPY runs in the background while pages keep coming (the server parses it on its
      // own core); one per table at a time, and every one is waited for before the commit, so
      // a failure still fails the load.
      const send = state.copy.send(state.stagingSchema, waiting.entry.staging, waiting.encoder).pipe(
        Effect.mapError(writeError(state, table)),
        Effect.zipRight(counted)
      )
      return Effect.zipRight(
        settle(state, table),
        Effect.flatMap(Effect.forkIn(send, state.loadScope), (fiber) =>
          Effect.sync(() => {
            state.sending.set(table, fiber)
          }))
      )
    }
    if (waiting._tag === "Rows") return Effect.zipRight(insertJson(state, waiting.entry, waiting.columns, waiting.rows), counted)
    return Effect.void
  })

/** Everything waiting is sent, and every COPY in flight has finished. */
export const flushAll = (state: LoadState): Effect.Effect<void, DestinationError> =>
  Effect.zipRight(
    Effect.suspend(() => Effect.forEach([...state.pending.keys()], (table) => flushTable(state, table), { discard: true })),
    Effect.suspend(() => Effect.forEach([...state.sending.keys()], (table) => settle(state, table), { discard: true }))
  )

/** The staging columns a batch of `schema` writes, in staging order. */
const columnsFor = (entry: StagedTable, schema: TableSchema): ReadonlyArray<ColumnSchema> =>
  [...entry.columns.values()].filter((c) => schema.columns.some((s) => s.name === c.name) || c.name === SystemColumns.seq)

const sameNames = (a: ReadonlyArray<ColumnSchema>, b: ReadonlyArray<ColumnSchema>) =>
  a.length === b.length && a.every((c, i) => c.name === b[i].name)

/**
 * Adds rows to what waits for `entry`, now (no Effect): true when enough waits for a write.
 * The caller has made sure that what waits has the same columns.
 */
const appendNow = (
  state: LoadState,
  entry: StagedTable,
  schema: TableSchema,
  rows: ReadonlyArray<Row>
): Either.Either<boolean, DestinationError> => {
  const table = entry.table
  const pending = state.pending
  const waiting = pending.get(table)
  // The schema's columns only grow: the same count means the same columns.
  const columns = waiting !== undefined && waiting.schemaColumns === schema.columns.length
    ? waiting.columns
    : columnsFor(entry, schema)
  const copy = state.copy
  if (copy === undefined) {
    if (waiting !== undefined && waiting._tag === "Rows") {
      for (const row of rows) waiting.rows.push(row)
      pending.set(table, { ...waiting, columns, schemaColumns: schema.columns.length })
      return Either.right(waiting.rows.length >= state.flushRows)
    }
    pending.set(table, { _tag: "Rows", entry, columns, schemaColumns: schema.columns.length, rows: [...rows] })
    return Either.right(rows.length >= state.flushRows)
  }
  let current: PendingRows | undefined = waiting
  if (current !== undefined && current._tag === "Encoded" && current.schemaColumns !== schema.columns.length) {
    // Same column names (the caller checked), a schema that grew: remember its size.
    current = { ...current, schemaColumns: schema.columns.length }
    pending.set(table, current)
  }
  if (current === undefined || current._tag !== "Encoded") {
    current = {
      _tag: "Encoded",
      entry,
      columns,
      schemaColumns: schema.columns.length,
      encoder: copy.encoder(columns.map((c) => c.name), columns.map((c) => kindOfDataType(c.type)))
    }
    pending.set(table, current)
  }
  try {
    current.encoder.append(rows)
  } catch (e) {
    pending.delete(table)
    return Either.left(writeError(state, table)({ message: describeFailure(e) }))
  }
  return Either.right(current.encoder.bytes >= flushBytes)
}

const addRows = (
  state: LoadState,
  entry: StagedTable,
  schema: TableSchema,
  rows: ReadonlyArray<Row>
): Effect.Effect<void, DestinationError> => {
  const table = entry.table
  const waiting = state.pending.get(table)
  // COPY text names its columns: rows of a wider column list start a COPY of their own.
  const before = state.copy !== undefined && waiting !== undefined && waiting._tag === "Encoded" &&
      waiting.schemaColumns !== schema.columns.length && !sameNames(waiting.columns, columnsFor(entry, schema))
    ? flushTable(state, table)
    : Effect.void
  return Effect.zipRight(
    before,
    Effect.suspend(() => {
      const due = appendNow(state, entry, schema, rows)
      if (Either.isLeft(due)) return Effect.fail(due.left)
      return due.right ? flushTable(state, table) : Effect.void
    })
  )
}

/** Fails once the load is committed. */
export const ensureOpen = (state: LoadState, what: string): Effect.Effect<void, DestinationError> =>
  state.status === "open"
    ? Effect.void
    : Effect.fail(
      new DestinationError({ message: `${what}: the load of ${state.resource} is already committed`, dataset: state.dataset })
    )

const writeTable = (
  state: LoadState,
  schemas: ReadonlyMap<string, TableSchema>,
  table: string,
  rows: ReadonlyArray<Row>
): Effect.Effect<void, DestinationError> => {
  if (rows.length === 0) return Effect.void
  const schema = schemas.get(table)
  if (schema === undefined) {
    return Effect.fail(
      new DestinationError({
        message: `write: batch has rows for table ${table} but no schema for it`,
        dataset: state.dataset,
        table
      })
    )
  }
  return Effect.flatMap(ensureStagingTable(state, schema), (entry) => addRows(state, entry, schema, rows))
}

/** Runs `effect` holding the load's lock (one writer at a time; the commit too). */
export const locked = <A, E>(state: LoadState, effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
  state.lock.withPermits(1)(Effect.suspend(() => {
    state.busy = true
    return Effect.ensuring(
      effect,
      Effect.sync(() => {
        state.busy = false
      })
    )
  }))

/**
 * The common case without the lock (taking it is ~30 Effect operations, on every page): nobody
 * holds it, and every table of the batch has its staging table with all of its columns, and
 * waiting rows of the same columns. Then the rows are added at once, all in one synchronous
 * step; only a write that is due takes the lock. Undefined otherwise.
 */
const writeNow = (state: LoadState, batch: Batch): Effect.Effect<void, DestinationError> | undefined => {
  if (state.busy || state.status !== "open") return undefined
  const ready: Array<readonly [StagedTable, TableSchema, ReadonlyArray<Row>]> = []
  for (const [table, rows] of batch.rows) {
    if (rows.length === 0) continue
    const schema = batch.tables.find((t) => t.name === table)
    const entry = state.staged.get(table)
    if (schema === undefined || entry === undefined || !schema.columns.every((c) => entry.columns.has(c.name))) return undefined
    const waiting = state.pending.get(table)
    if (waiting !== undefined && waiting.schemaColumns !== schema.columns.length) return undefined
    ready.push([entry, schema, rows])
  }
  const due: Array<string> = []
  for (const [entry, schema, rows] of ready) {
    const added = appendNow(state, entry, schema, rows)
    if (Either.isLeft(added)) return Effect.fail(added.left)
    if (added.right) due.push(entry.table)
  }
  return due.length === 0 ? Effect.void : locked(state, Effect.forEach(due, (table) => flushTable(state, table), { discard: true }))
}

/** Adds a batch's rows to the load. */
export const write = (state: LoadState, batch: Batch): Effect.Effect<void, DestinationError> =>
  Effect.suspend(() =>
    writeNow(state, batch) ?? locked(
      state,
      Effect.zipRight(
        ensureOpen(state, "write"),
        Effect.suspend(() => {
          const schemas = new Map(batch.tables.map((t) => [t.name, t]))
          return Effect.forEach(batch.rows, ([table, rows]) => writeTable(state, schemas, table, rows), { discard: true })
        })
      )
    )
  )
