/**
 * The scd2 merge strategy (dlt's): root rows are versions with a validity range. A staged row
 * whose content (`_rc_id`) has no active version becomes a new version; active versions absent
 * from the extract, or hard-deleted, are retired at the boundary. Children of versions are
 * never deleted.
 */
import { SystemColumns } from "../normalize/tableSchema.js"
import { ident, qualified } from "./identifiers.js"
import type { MergeContext, Statement } from "./mergeSql.js"
import { insertChildren, keyMatchSql, notDeleted, statement, validityNames } from "./mergeSql.js"
import { columnList } from "./sqlText.js"

const id = ident(SystemColumns.id)

export const planScd2 = (context: MergeContext): ReadonlyArray<Statement> => {
  const { deleted, final, input, stagedRoot, survivors } = context
  const { merge, rootTable } = input
  const validity = validityNames(merge)
  const from = ident(validity.from)
  const to = ident(validity.to)
  const boundary = [merge.scd2?.boundary ?? input.boundary]
  // Active versions have NULL or dlt's `active_record_timestamp` (an ISO string we made with
  // toISOString: safe as a literal) as their `valid_to`.
  const activeTo = merge.scd2?.activeTo === undefined ? "NULL" : `'${merge.scd2.activeTo}'::timestamptz`
  const isActive = (alias: string) => merge.scd2?.activeTo === undefined ? `${alias}.${to} IS NULL` : `${alias}.${to} = ${activeTo}`
  const retire = (condition: string, what: string) =>
    statement(
      `UPDATE ${final} AS f SET ${to} = $1::timestamptz WHERE ${isActive("f")} AND (${condition})`,
      rootTable,
      what,
      false,
      boundary
    )
  const hardDeletes = deleted === undefined ? [] : [
    retire(
      `f.${id} IN (SELECT s.${id} FROM ${stagedRoot} AS s WHERE ${deleted("s")})${
        // The id is a content hash, so the primary key is what names the deleted record.
        input.primaryKey.length === 0 ? "" : ` OR ${keyMatchSql(input, input.primaryKey, deleted("s"))}`
      }`,
      "retiring hard-deleted rows"
    )
  ]
  // Absent from the extract: retired; with a merge key only within the staged partitions (dlt).
  const absent = retire(
    `NOT EXISTS (SELECT 1 FROM ${stagedRoot} AS s WHERE s.${id} = f.${id})${
      merge.mergeKey.length === 0 ? "" : ` AND ${keyMatchSql(input, merge.mergeKey, "TRUE")}`
    }`,
    "retiring absent rows"
  )
  const activeSame = `SELECT 1 FROM ${final} AS f WHERE f.${id} = s.${id} AND ${isActive("f")}`
  const isNewVersion = `${notDeleted(context, "s")} AND NOT EXISTS (${activeSame})`
  return [
    ...hardDeletes,
    absent,
    // Children first (same "new version" test); a re-activated version already has its
    // children (same ids), and children of versions are never deleted.
    ...input.children.map((child) =>
      insertChildren(
        context,
        child,
        isNewVersion,
        `NOT EXISTS (SELECT 1 FROM ${qualified(input.dataset, child.table)} AS x WHERE x.${id} = c.${id})`
      )
    ),
    statement(
      `INSERT INTO ${final} (${columnList(context.rootColumns)}, ${from}, ${to}) SELECT ${
        columnList(context.rootColumns, "s")
      }, $1::timestamptz, ${activeTo} FROM (${survivors}) AS s WHERE ${isNewVersion}`,
      rootTable,
      "inserting new versions",
      true,
      boundary
    )
  ]
}
