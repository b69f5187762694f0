/**
 * COPY text format, value by value: escaping, NULL, and how each kind of column encodes its
 * values (as `json_to_recordset` would store them):
 * - json/jsonb columns: `JSON.stringify` of the value (strings, numbers and booleans become JSON
 *   scalars; Dates ISO strings).
 * - other columns: strings as they are, numbers/bigints as decimal text, booleans `true`/`false`,
 *   Dates `toISOString()`, objects/arrays as JSON text. Non-finite numbers are `NaN`/`Infinity`
 *   for float and numeric columns and NULL elsewhere (what JSON would give); invalid Dates are NULL.
 * - `null`/`undefined`/missing: NULL.
 */
import type { DataType } from "../normalize/tableSchema.js"

/** How a column's values are encoded. */
export type ColumnKind = "json" | "float" | "other"

export const NULL = "\\N"
const needsEscape = /[\\\n\r\t]/
const escapeAll = /[\\\n\r\t]/g
const escapes: Readonly<Record<string, string>> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" }
const escapeChar = (c: string): string => escapes[c] ?? c

/** Escapes backslash, newline, carriage return and tab for the COPY text format. */
export const escapeText = (s: string): string => needsEscape.test(s) ? s.replace(escapeAll, escapeChar) : s

/** A value that cannot be encoded; its message names no data. */
export class EncodeError extends Error {}

const bigintAsString = (_key: string, value: unknown): unknown => typeof value === "bigint" ? value.toString() : value

/** JSON text of a value; undefined for what JSON drops. */
export const jsonText = (value: unknown): string | undefined => {
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

/** The kind of a column we created with one of our data types (see `sqlType`). */
export const kindOfDataType = (type: DataType): ColumnKind =>
  type === "jsonb" ? "json" : type === "double" || type === "numeric" ? "float" : "other"

/** The kind of a column as the server's catalog names its type (`pg_type.typname`). */
export const kindOfTypeName = (typname: string): ColumnKind =>
  typname === "json" || typname === "jsonb"
    ? "json"
    : typname === "float4" || typname === "float8" || typname === "numeric"
    ? "float"
    : "other"
