/** Our column types (`DataType`) as SQL types, and back from what the catalog reports. */
import type { DataType } from "../normalize/tableSchema.js"

/** SQL type of a `DataType`. */
export const sqlType = (type: DataType): string => {
  switch (type) {
    case "text":
      return "text"
    case "bigint":
      return "bigint"
    case "double":
      return "double precision"
    case "boolean":
      return "boolean"
    case "timestamptz":
      return "timestamptz"
    case "numeric":
      return "numeric"
    case "jsonb":
      return "jsonb"
    case "date":
      return "date"
    case "time":
      return "time"
    case "binary":
      return "bytea"
  }
}

/** `DataType` of a stored column, from `format_type()` output; unknown types read as text. */
export const dataTypeOf = (sqlTypeName: string): DataType => {
  const base = sqlTypeName.replace(/\(.*\)$/, "").trim()
  switch (base) {
    case "bigint":
    case "integer":
    case "smallint":
      return "bigint"
    case "double precision":
    case "real":
      return "double"
    case "boolean":
      return "boolean"
    case "timestamp with time zone":
    case "timestamptz":
    case "timestamp without time zone":
      return "timestamptz"
    case "numeric":
      return "numeric"
    case "jsonb":
    case "json":
      return "jsonb"
    case "date":
      return "date"
    case "time":
    case "time without time zone":
      return "time"
    case "bytea":
      return "binary"
    default:
      return "text"
  }
}
