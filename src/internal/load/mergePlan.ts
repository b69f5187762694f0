/**
 * Merge strategies (dlt's): the statements that merge a load's staged rows into its final
 * tables, per strategy; scd2 is in scd2Plan.ts.
 */
import { SystemColumns } from "../normalize/tableSchema.js"
import { ident } from "./identifiers.js"
import type { MergeContext, MergePlanInput, Statement } from "./mergeSql.js"
import {
  deleteChildren,
  insertChildren,
  insertRoots,
  keyMatchSql,
  mergeContext,
  notDeleted,
  statement
} from "./mergeSql.js"
import { planScd2 } from "./scd2Plan.js"

const id = ident(SystemColumns.id)

/** The new record replaces the old one whole; hard deletes delete. */
const planUpsert = (context: MergeContext): ReadonlyArray<Statement> => {
  const { deleted, final, input, stagedRoot, survivors } = context
  // Every stored column but the key.
  const update = [...input.finalRoot.keys()].filter((c) => c !== SystemColumns.id)
  return [
    // Children of every staged root go: survivors bring their own, hard deletes none.
    ...deleteChildren(context, `SELECT ${id} FROM ${stagedRoot}`),
    ...(deleted === undefined ? [] : [
      statement(
        `DELETE FROM ${final} WHERE ${id} IN (SELECT s.${id} FROM (${survivors}) AS s WHERE ${deleted("s")})`,
        input.rootTable,
        "deleting hard-deleted rows"
      )
    ]),
    insertRoots(
      context,
      notDeleted(context, "s"),
      ` ON CONFLICT (${id}) DO ${
        update.length === 0 ? "NOTHING" : `UPDATE SET ${update.map((c) => `${ident(c)} = EXCLUDED.${ident(c)}`).join(", ")}`
      }`
    ),
    ...input.children.map((child) => insertChildren(context, child, notDeleted(context, "s")))
  ]
}

/** Staged rows delete by primary key (`_rc_id`) or merge key, hard-deleted ones included. */
const planDeleteInsert = (context: MergeContext): ReadonlyArray<Statement> => {
  const { final, input, stagedRoot } = context
  const mergeKey = input.merge.mergeKey
  const target = `f.${id} IN (SELECT ${id} FROM ${stagedRoot})${
    mergeKey.length === 0 ? "" : ` OR ${keyMatchSql(input, mergeKey, "TRUE")}`
  }`
  return [
    ...deleteChildren(context, `SELECT f.${id} FROM ${final} AS f WHERE ${target}`),
    statement(`DELETE FROM ${final} AS f WHERE ${target}`, input.rootTable, "deleting merged rows"),
    insertRoots(context, notDeleted(context, "s")),
    ...input.children.map((child) => insertChildren(context, child, notDeleted(context, "s")))
  ]
}

/** New keys only; existing rows and their children stay as they are. */
const planInsertOnly = (context: MergeContext): ReadonlyArray<Statement> => {
  const isNew = `NOT EXISTS (SELECT 1 FROM ${context.final} AS f WHERE f.${id} = s.${id})`
  // Children first: once the roots are in, "new" can no longer be told apart.
  return [...context.input.children.map((child) => insertChildren(context, child, isNew)), insertRoots(context, isNew)]
}

export const planMerge = (input: MergePlanInput): ReadonlyArray<Statement> => {
  const context = mergeContext(input)
  switch (input.merge.strategy) {
    case "upsert":
      return planUpsert(context)
    case "delete-insert":
      return planDeleteInsert(context)
    case "insert-only":
      return planInsertOnly(context)
    case "scd2":
      return planScd2(context)
  }
}
