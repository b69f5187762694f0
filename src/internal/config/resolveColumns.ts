/** `columns` hints (dlt's data_type, nullable, keys, hard_delete, dedup_sort) and `schema_contract`. */
import type { DataType } from "../normalize/tableSchema.js"
import { type ConfigIssue, joinPath } from "./configError.js"
import type { ResourceObject } from "./defaults.js"
import { notSupported } from "./resolveSupport.js"
import type { ColumnHintSpec, ResourceSpec, SecretInput } from "./spec.js"

const dataTypeOf = (dlt: string | undefined, path: string, issues: Array<ConfigIssue>): DataType | undefined => {
  switch (dlt) {
    case undefined:
      return undefined
    case "text":
      return "text"
    case "date":
      return "date"
    case "time":
      return "time"
    case "binary":
      return "binary"
    case "double":
      return "double"
    case "bool":
      return "boolean"
    case "timestamp":
      return "timestamptz"
    case "bigint":
      return "bigint"
    case "json":
    case "complex":
      return "jsonb"
    case "decimal":
    case "wei":
      return "numeric"
    default:
      notSupported(issues, path, `data_type '${dlt}'`)
      return undefined
  }
}

export const resolveColumns = (
  columns: ResourceObject["columns"],
  path: string,
  issues: Array<ConfigIssue>
): ReadonlyArray<ColumnHintSpec> => {
  if (columns === undefined) return []
  const entries = Array.isArray(columns)
    ? columns.map((c, i) => [c.name, c, `${path}[${i}]`] as const)
    : Object.entries(columns).map(([name, c]) => [name, c, joinPath(path, name)] as const)
  return entries.map(([name, c, at]) => ({
    name,
    dataType: dataTypeOf(c.data_type, `${at}.data_type`, issues),
    nullable: c.nullable,
    primaryKey: c.primary_key,
    mergeKey: c.merge_key,
    hardDelete: c.hard_delete,
    dedupSort: c.dedup_sort
  }))
}

export const contractOf = (contract: ResourceObject["schema_contract"]): ResourceSpec<SecretInput>["contract"] => {
  if (contract === undefined) return { tables: "evolve", columns: "evolve", dataType: "evolve" }
  if (typeof contract === "string") return { tables: contract, columns: contract, dataType: contract }
  return { tables: contract.tables ?? "evolve", columns: contract.columns ?? "evolve", dataType: contract.data_type ?? "evolve" }
}


/** Keys recognised by the config contract whose behaviour comes in a later version. */
