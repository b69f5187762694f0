/**
 * Records → rows per table, following dlt's relational normalizer
 * (`dlt/common/normalizers/json/relational.py`): nested objects flatten into `parent__child`
 * columns, lists become child tables, column types are inferred from the first non-null value
 * and values that do not fit go to variant columns `<name>__v_<type>`.
 *
 * This module puts the parts together; each lives in its own module:
 * inference (a value's natural type), coercion (a cell into a column's type, variants),
 * rowIdentity (`_rc_id` hashing), tableState/tableRegistry (tables, fields, parent links),
 * flattener (a record into one row), batchBuilder (rows per table, child lists, ids),
 * contracts (schema_contract). The per-row code is classes built once per resource: no
 * closure, generator or Effect value is made per row or per page.
 */
import { Data, Either } from "effect"
import { BatchBuilder, type NormalizedBatch } from "./batchBuilder.js"
import { ColumnWriter } from "./columnWriter.js"
import { ContractGate, type ContractMode, evolveEverywhere, type SchemaContract } from "./contracts.js"
import { describeThrown, isStackOverflow } from "../thrown.js"
import { NormalizeFailure } from "./failure.js"
import { Flattener } from "./flattener.js"
import { isRecord } from "./inference.js"
import { shorten } from "./naming.js"
import { PendingLists } from "./pendingLists.js"
import { type RootIdMode, RootIds } from "./rowIdentity.js"
import { TableGraph } from "./tableRegistry.js"
import type { DataType, TableSchema, WriteDisposition } from "./tableSchema.js"
import { systemColumnNames } from "./tableSchema.js"

// What other folders import from here, wherever it lives now.
export { variantColumnName } from "./coercion.js"
export { EmptyKey, ListKey, ValueColumn } from "./naming.js"
export { childRowId, contentRowId, mergeRowId } from "./rowIdentity.js"
export { childSystemColumns, rootSystemColumns } from "./tableSchema.js"
export { isTimestamp } from "./inference.js"
export type { ContractMode, NormalizedBatch, RootIdMode, SchemaContract }

export class NormalizeError extends Data.TaggedError("NormalizeError")<{
  readonly message: string
  readonly table: string
  readonly recordIndex: number
  /** The column at fault, when there is one (contract violations, not-null hints, keys). */
  readonly column?: string | undefined
}> {}

export interface NormalizerOptions {
  /** Normalized root table name. */
  readonly rootTable: string
  readonly loadId: string
  readonly disposition: WriteDisposition
  /** Normalized root column names; needed for merge. */
  readonly primaryKey: ReadonlyArray<string>
  /** Default 1000 (dlt). 0: the root table keeps nested objects and lists as jsonb. */
  readonly maxTableNesting?: number | undefined
  /** Schema already stored (earlier runs): their column types are kept. */
  readonly knownTables?: ReadonlyArray<TableSchema> | undefined
  /** Tables from an Effect Schema (see SchemaColumns): their columns exist up front with these types. */
  readonly declaredTables?: ReadonlyArray<TableSchema> | undefined
  /** dlt's `columns` hints for the root table (and `a__b` flattened names), normalized names. */
  readonly columnHints?: ReadonlyArray<ColumnHint> | undefined
  /** dlt's `schema_contract`; default evolve everywhere. */
  readonly contract?: SchemaContract | undefined
  /**
   * How root `_rc_id` is made: `key` = hash of the primary key (merge upsert/delete-insert/
   * insert-only), `content` = hash of the row's data (scd2: a changed row is a new version),
   * `random` (append/replace), `{ column }` = that root column's value as text (scd2's
   * `row_version_column_name`). Default: `key` for merge, else `random`.
   */
  readonly rootId?: RootIdMode | undefined
}

export interface ColumnHint {
  /** Normalized column name in the root table (`a__b` for nested fields). */
  readonly name: string
  readonly dataType?: DataType | undefined
  readonly nullable?: boolean | undefined
  readonly primaryKey?: boolean | undefined
  readonly hardDelete?: boolean | undefined
  readonly dedupSort?: "asc" | "desc" | undefined
}

export interface Normalizer {
  /** Normalizes one page of records. `firstIndex` is the index of records[0] within the resource (for error messages and _rc_seq). */
  readonly normalize: (records: ReadonlyArray<unknown>, firstIndex: number) => Either.Either<NormalizedBatch, NormalizeError>
  /** Current schema of every table seen so far (including known/declared). */
  readonly tables: () => ReadonlyArray<TableSchema>
  /** NUL characters replaced by U+FFFD so far (Postgres text cannot hold them). */
  readonly replacedNuls: () => number
}

/** One resource's normalizer: the table graph and the batch builder over it. */
class ResourceNormalizer {
  constructor(private readonly graph: TableGraph, private readonly batch: BatchBuilder, private readonly rootTable: string) {}

  normalize(records: ReadonlyArray<unknown>, firstIndex: number): Either.Either<NormalizedBatch, NormalizeError> {
    let index = firstIndex
    try {
      for (let i = 0; i < records.length; i++) {
        index = firstIndex + i
        const record = records[i]
        // dlt wraps a record that is not an object (a bare string, number or list) as { value }.
        this.batch.addRecord(isRecord(record) && !Array.isArray(record) ? record : { value: record }, index)
      }
      return Either.right(this.batch.collect())
    } catch (e) {
      this.batch.reset()
      if (e instanceof NormalizeFailure) {
        return Either.left(
          new NormalizeError({
            message: `${e.message} (table ${e.table}${e.column === undefined ? "" : `, column ${e.column}`}, record ${index})`,
            table: e.table,
            recordIndex: index,
            column: e.column
          })
        )
      }
      if (isStackOverflow(e)) {
        const table = this.rootTable
        return Either.left(new NormalizeError({ message: `${describeThrown(e)} (table ${table}, record ${index})`, table, recordIndex: index }))
      }
      throw e
    }
  }

  tables(): ReadonlyArray<TableSchema> {
    return this.graph.tables()
  }
}

export const make = (options: NormalizerOptions): Normalizer => {
  const isMerge = options.disposition === "merge"
  const primaryKey = options.primaryKey
  // Without key columns there is nothing to hash: ids are random, as dlt appends then.
  const idMode = options.rootId ?? (isMerge ? "key" : "random")
  const rootIds = new RootIds(idMode === "key" && primaryKey.length === 0 ? "random" : idMode, primaryKey)
  const gate = new ContractGate(options.contract ?? evolveEverywhere)
  const hints = (options.columnHints ?? []).map((h) => ({ ...h, name: shorten(h.name) })).filter((h) => !systemColumnNames.has(h.name))
  const notNullHints: ReadonlyArray<string> = hints.filter((h) => h.nullable === false).map((h) => h.name)
  const notNullRoot: ReadonlySet<string> = new Set([...(isMerge ? primaryKey : []), ...notNullHints])

  const graph = new TableGraph(options.rootTable)
  graph.adopt(options.knownTables ?? [], options.declaredTables ?? [])
  const root = graph.root()
  // A typed hint fixes its column up front; stored and declared types win (the table has them).
  for (const h of hints) {
    if (h.dataType === undefined || root.byName.has(h.name)) continue
    root.addColumn({ name: h.name, type: h.dataType, nullable: !notNullRoot.has(h.name) })
    // dlt: a table with a complete (typed) column is an existing table for the contract.
    root.preexisting = true
    root.created = true
  }

  const lists = new PendingLists()
  const flattener = new Flattener(new ColumnWriter(gate, notNullRoot), lists, Math.max(0, options.maxTableNesting ?? 1000))
  const normalizer = new ResourceNormalizer(
    graph,
    new BatchBuilder(graph, root, flattener, lists, gate, rootIds, options.loadId, notNullHints),
    options.rootTable
  )
  // Plain functions, so callers may pass them around detached from the object.
  return {
    normalize: (records, firstIndex) => normalizer.normalize(records, firstIndex),
    tables: () => normalizer.tables(),
    replacedNuls: () => flattener.nuls.replaced
  }
}
