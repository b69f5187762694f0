/**
 * Building blocks of the merge plans (mergePlan.ts, scd2Plan.ts): set-based statements over the
 * staging tables, run in the commit transaction. Plain INSERT ... ON CONFLICT / DELETE / UPDATE
 * (no MERGE), so PGlite runs them too.
 */
import { SystemColumns } from "../normalize/tableSchema.js"
import type { MergeOptions } from "./destination.js"
import { Scd2Columns } from "./destination.js"
import { ident, qualified } from "./identifiers.js"
import type { StagedTable } from "./loadState.js"
import { columnList } from "./sqlText.js"

/** One statement of a commit; `counts` adds its row count to `rowsPerTable[table]`. */
export interface Statement {
  readonly sql: string
  readonly params: ReadonlyArray<string>
  readonly table: string
  readonly what: string
  readonly counts: boolean
}

export const statement = (
  sql: string,
  table: string,
  what: string,
  counts = false,
  params: ReadonlyArray<string> = []
): Statement => ({ sql, params, table, what, counts })

export interface MergePlanInput {
  readonly dataset: string
  readonly stagingSchema: string
  readonly rootTable: string
  readonly root: StagedTable
  /** Staged child tables of the resource. */
  readonly children: ReadonlyArray<StagedTable>
  /** Stored child tables (after DDL) that have `_rc_root_id`. */
  readonly storedChildren: ReadonlyArray<string>
  /** Stored root columns (after DDL). */
  readonly finalRoot: ReadonlyMap<string, unknown>
  readonly primaryKey: ReadonlyArray<string>
  readonly merge: MergeOptions
  /** scd2 boundary: `_rc_valid_from` of new versions and `_rc_valid_to` of retired ones (ISO text). */
  readonly boundary: string
  /**
   * No `_rc_id` was staged twice (checked before planning): every staged root survives, so the
   * plan skips the DISTINCT ON sort, and children need no join back to their root's ordinal.
   */
  readonly uniqueIds: boolean
}

/** The validity columns of an scd2 load (dlt's defaults unless `validity_column_names`). */
export const validityNames = (merge: MergeOptions): { readonly from: string; readonly to: string } => ({
  from: merge.scd2?.validFrom ?? Scd2Columns.validFrom,
  to: merge.scd2?.validTo ?? Scd2Columns.validTo
})

/**
 * One root row per `_rc_id`: the first by `dedupSort` (dlt: "desc" keeps the highest value, "asc"
 * the lowest; rows without a value lose), ties and the default going to the last row of the load.
 */
const survivorsSql = (stagedRoot: string, root: StagedTable, dedupSort: MergeOptions["dedupSort"], uniqueIds: boolean) => {
  if (uniqueIds) return `SELECT * FROM ${stagedRoot}`
  const sort = dedupSort !== undefined && root.columns.has(dedupSort.column)
    ? `${ident(dedupSort.column)} ${dedupSort.order === "asc" ? "ASC" : "DESC"} NULLS LAST, `
    : ""
  return `SELECT DISTINCT ON (${ident(SystemColumns.id)}) * FROM ${stagedRoot} ORDER BY ${
    ident(SystemColumns.id)
  }, ${sort}${ident(SystemColumns.seq)} DESC NULLS LAST`
}

/** dlt's hard_delete test on a staged row: `IS TRUE` for a boolean column, else `IS NOT NULL`. */
const deletedCondition = (root: StagedTable, column: string | undefined) => {
  const found = column === undefined ? undefined : root.columns.get(column)
  if (found === undefined) return undefined
  const test = found.type === "boolean" ? "IS TRUE" : "IS NOT NULL"
  return (alias: string) => `${alias}.${ident(found.name)} ${test}`
}

/**
 * Final row `f` has the key of some staged row passing `filter` (NULL equals NULL). The staged
 * keys are made DISTINCT first: IS NOT DISTINCT FROM cannot hash-join, and merge keys are
 * usually few partitions. A key column absent on one side is NULL there.
 */
export const keyMatchSql = (input: MergePlanInput, keys: ReadonlyArray<string>, filter: string): string => {
  const { finalRoot, root } = input
  const stagedRoot = qualified(input.stagingSchema, root.staging)
  const staged = keys.filter((k) => root.columns.has(k))
  const equal = keys.map((k) => {
    const f = finalRoot.has(k) ? `f.${ident(k)}` : undefined
    const s = root.columns.has(k) ? `k.${ident(k)}` : undefined
    if (f !== undefined && s !== undefined) return `${f} IS NOT DISTINCT FROM ${s}`
    if (f !== undefined) return `${f} IS NULL`
    return s === undefined ? "TRUE" : `${s} IS NULL`
  })
  const distinct = `SELECT DISTINCT ${staged.length === 0 ? "1" : columnList(staged)} FROM ${stagedRoot} AS s WHERE ${filter}`
  return `EXISTS (SELECT 1 FROM (${distinct}) AS k WHERE ${equal.join(" AND ")})`
}

/** What every strategy's statements are made of, worked out once per plan. */
export interface MergeContext {
  readonly input: MergePlanInput
  /** The final root table (qualified). */
  readonly final: string
  /** The staged root table (qualified). */
  readonly stagedRoot: string
  /** The query of the surviving staged roots (see `survivorsSql`). */
  readonly survivors: string
  /** dlt's hard_delete test on alias `s`-like rows; undefined without hard deletes. */
  readonly deleted: ((alias: string) => string) | undefined
  /** Staged root columns that go into the final table. */
  readonly rootColumns: ReadonlyArray<string>
}

export const mergeContext = (input: MergePlanInput): MergeContext => {
  const { merge, root } = input
  const scd2 = merge.strategy === "scd2"
  const stagedRoot = qualified(input.stagingSchema, root.staging)
  const validity = validityNames(merge)
  return {
    input,
    final: qualified(input.dataset, input.rootTable),
    stagedRoot,
    survivors: survivorsSql(stagedRoot, root, merge.dedupSort, input.uniqueIds),
    // dlt applies hard_delete to every strategy but insert-only.
    deleted: merge.strategy === "insert-only" ? undefined : deletedCondition(root, merge.hardDelete),
    rootColumns: [...root.columns.keys()].filter((c) =>
      c !== SystemColumns.seq && !(scd2 && (c === validity.from || c === validity.to))
    )
  }
}

export const notDeleted = (context: MergeContext, alias: string): string =>
  context.deleted === undefined ? "TRUE" : `NOT (${context.deleted(alias)})`

const id = ident(SystemColumns.id)
const seq = ident(SystemColumns.seq)
const rootId = ident(SystemColumns.rootId)

/** Staged child rows of the surviving roots that pass `rootFilter` (on alias `s`). */
export const insertChildren = (
  context: MergeContext,
  child: StagedTable,
  rootFilter: string,
  rowFilter?: string
): Statement => {
  const { dataset, stagingSchema } = context.input
  const columns = [...child.columns.keys()].filter((c) => c !== SystemColumns.seq)
  const into = `INSERT INTO ${qualified(dataset, child.table)} (${columnList(columns)}) SELECT ${columnList(columns, "c")} FROM ${
    qualified(stagingSchema, child.staging)
  } AS c`
  if (context.input.uniqueIds) {
    // One staged root per id: a child belongs to the root with its `_rc_root_id`.
    const filters = [
      ...(rootFilter === "TRUE" ? [] : [`c.${rootId} IN (SELECT s.${id} FROM ${context.stagedRoot} AS s WHERE ${rootFilter})`]),
      ...(rowFilter === undefined ? [] : [rowFilter])
    ]
    return statement(`${into}${filters.length === 0 ? "" : ` WHERE ${filters.join(" AND ")}`}`, child.table, "merging child rows", true)
  }
  // Same root id and same root ordinal: the children of that very duplicate.
  const parents = `SELECT s.${id}, s.${seq} FROM (${context.survivors}) AS s WHERE ${rootFilter}`
  return statement(
    `${into} JOIN (${parents}) AS r ON c.${rootId} = r.${id} AND c.${seq} = r.${seq}${
      rowFilter === undefined ? "" : ` WHERE ${rowFilter}`
    }`,
    child.table,
    "merging child rows",
    true
  )
}

/** Deletes the stored children of the roots whose ids `rootIds` selects. */
export const deleteChildren = (context: MergeContext, rootIds: string): ReadonlyArray<Statement> =>
  context.input.storedChildren.map((child) =>
    statement(
      `DELETE FROM ${qualified(context.input.dataset, child)} WHERE ${rootId} IN (${rootIds})`,
      child,
      "deleting child rows of merged records"
    )
  )

/** Inserts the surviving staged roots that pass `filter`. */
export const insertRoots = (context: MergeContext, filter: string, conflict = ""): Statement =>
  statement(
    `INSERT INTO ${context.final} (${columnList(context.rootColumns)}) SELECT ${
      columnList(context.rootColumns, "s")
    } FROM (${context.survivors}) AS s WHERE ${filter}${conflict}`,
    context.input.rootTable,
    "merging rows",
    true
  )
