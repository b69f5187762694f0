/**
 * A cell into a column's type, following dlt's coercions (`coerce_value`), and where a value
 * goes when it does not fit: the variant column `<column>__v_<type>`. Also the jsonb form of
 * nested values kept whole. Pure functions; the normalizer decides when to call them.
 */
import { BigDecimal, DateTime, Option } from "effect"
import { NormalizeFailure } from "./failure.js"
import { bigintMax, bigintMin, isDateText, isRecord } from "./inference.js"
import { PathSeparator, shorten } from "./naming.js"
import type { NulCounter } from "./nulCharacters.js"
import type { Cell, DataType } from "./tableSchema.js"

/** `<column>__v_<type>`: where values go that do not fit the column's type. */
export const variantColumnName = (column: string, type: DataType): string => shorten(`${column}${PathSeparator}v_${type}`)

/** Copy of a value that JSON.stringify can write (bigint, BigDecimal, Option, DateTime); copies only what changes. */
const toJsonValue = (u: unknown, table: string, nuls: NulCounter): unknown => {
  switch (typeof u) {
    case "string":
      return u.indexOf("\u0000") === -1 ? u : nuls.clean(u)
    case "bigint":
      return u.toString()
    case "function":
    case "symbol":
      throw new NormalizeFailure({ message: `cannot store a ${typeof u} value`, table })
    case "object": {
      if (u === null || u instanceof Date) return u
      if (u instanceof Uint8Array) return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString("base64")
      if (Array.isArray(u)) {
        let out: Array<unknown> | undefined
        for (let i = 0; i < u.length; i++) {
          const v = toJsonValue(u[i], table, nuls)
          if (v !== u[i]) {
            out ??= u.slice()
            out[i] = v
          }
        }
        return out ?? u
      }
      if (BigDecimal.isBigDecimal(u)) return BigDecimal.format(u)
      if (Option.isOption(u)) return Option.isSome(u) ? toJsonValue(u.value, table, nuls) : null
      if (DateTime.isDateTime(u)) return DateTime.formatIso(u)
      if (!isRecord(u)) return u
      let out: Record<string, unknown> | undefined
      for (const key in u) {
        const v = toJsonValue(u[key], table, nuls)
        if (v !== u[key]) {
          out ??= { ...u }
          out[key] = v
        }
      }
      return out ?? u
    }
    default:
      return u
  }
}

/** The jsonb cell of an object or list kept whole (past max_table_nesting, or in a jsonb column). */
export const jsonCell = (u: Record<string, unknown> | ReadonlyArray<unknown>, table: string, nuls: NulCounter): Cell => {
  const v = toJsonValue(u, table, nuls)
  if (Array.isArray(v)) return v
  return isRecord(v) ? v : null
}

/** dlt's `str2bool`. */
const parseBool = (s: string): boolean | undefined => {
  switch (s.trim().toLowerCase()) {
    case "y":
    case "yes":
    case "t":
    case "true":
    case "on":
    case "1":
      return true
    case "n":
    case "no":
    case "f":
    case "false":
    case "off":
    case "0":
      return false
    default:
      return undefined
  }
}

const integerText = /^[+-]?\d+$/
const decimalText = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/

/** What `coerce` returns for a value that does not fit (null is a cell of its own). */
export const NoFit: unique symbol = Symbol("NoFit")
export type NoFit = typeof NoFit

/** Text form of a scalar (how a text column stores a number, boolean, date...). */
const scalarText = (cell: Cell, natural: DataType): string => {
  switch (natural) {
    case "jsonb":
      return JSON.stringify(cell)
    case "timestamptz":
      return cell instanceof Date ? cell.toISOString() : String(cell)
    case "binary":
      // dlt's JSON encoding of bytes: base64.
      return typeof cell === "string" && cell.startsWith("\\x") ? Buffer.from(cell.slice(2), "hex").toString("base64") : String(cell)
    default:
      return String(cell)
  }
}

/** A bytea cell: Postgres's hex form, which COPY text (escaped) and json_to_recordset both read. */
export const byteaCell = (bytes: Uint8Array): string => `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`

const hexText = /^[0-9a-fA-F]*$/
const base64Text = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** dlt: text → binary is `0x` hex, else strict base64; an integer → its little-endian bytes. */
const toBinary = (natural: DataType, cell: Cell): Cell | NoFit => {
  if (natural === "text" && typeof cell === "string") {
    if (cell.startsWith("0x")) {
      const hex = cell.slice(2)
      return hex.length % 2 === 0 && hexText.test(hex) ? `\\x${hex.toLowerCase()}` : NoFit
    }
    return base64Text.test(cell) ? byteaCell(Buffer.from(cell, "base64")) : NoFit
  }
  if (natural === "bigint" && (typeof cell === "number" || typeof cell === "string")) {
    let n = BigInt(cell)
    if (n < 0n) return NoFit
    const bytes: Array<number> = []
    for (; n > 0n; n >>= 8n) bytes.push(Number(n & 0xffn))
    return byteaCell(Uint8Array.from(bytes))
  }
  return NoFit
}

/** `HH:MM`, `HH:MM:SS` or `HH:MM:SS.ffffff`. */
const timeText = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$/

/** The instant of a timestamptz cell (a Date, or text we typed timestamptz), or undefined. */
const instantOf = (cell: Cell): Date | undefined => {
  const d = cell instanceof Date ? cell : typeof cell === "string" ? new Date(cell) : undefined
  return d === undefined || Number.isNaN(d.getTime()) ? undefined : d
}

/** dlt's `ensure_pendulum_date`/`ensure_pendulum_time`: date-time values are taken in UTC. */
const toDateOrTime = (to: "date" | "time", natural: DataType, cell: Cell): Cell | NoFit => {
  if (natural === "text" && typeof cell === "string") {
    const s = cell.trim()
    return (to === "date" ? isDateText(s) : timeText.test(s)) ? s : NoFit
  }
  if (natural === "timestamptz") {
    const instant = instantOf(cell)
    if (instant === undefined) return NoFit
    const iso = instant.toISOString()
    return to === "date" ? iso.slice(0, 10) : iso.slice(11, 23)
  }
  return NoFit
}

/**
 * dlt's coercions (`coerce_value`) for a value whose natural type differs from its column's:
 * anything → text; bigint/numeric → double; numeric strings → bigint/double/numeric; boolean
 * strings → boolean. Not taken over: numbers as unix timestamps and numbers as booleans (too
 * easily wrong), and an integral double into a bigint column (JS cannot tell `1.0` from `1`,
 * so a double here is never integral). `cell` is the value's own cell form.
 */
export const coerce = (to: DataType, natural: DataType, cell: Cell): Cell | NoFit => {
  switch (to) {
    case "text":
      return scalarText(cell, natural)
    case "double":
      if (natural === "bigint" || natural === "numeric") {
        const n = typeof cell === "number" ? cell : Number(cell)
        return Number.isFinite(n) ? n : NoFit
      }
      if (natural === "text" && typeof cell === "string") {
        const s = cell.trim()
        if (!decimalText.test(s)) return NoFit
        const n = Number(s)
        return Number.isFinite(n) ? n : NoFit
      }
      return NoFit
    case "bigint":
      if (natural === "text" && typeof cell === "string") {
        const s = cell.trim()
        if (!integerText.test(s)) return NoFit
        const b = BigInt(s)
        return b <= bigintMax && b >= bigintMin ? b.toString() : NoFit
      }
      return NoFit
    case "numeric":
      if (natural === "bigint" || natural === "double") {
        return typeof cell === "number" ? (Number.isFinite(cell) ? String(cell) : NoFit) : cell
      }
      if (natural === "text" && typeof cell === "string") {
        const s = cell.trim()
        return decimalText.test(s) ? s : NoFit
      }
      return NoFit
    case "boolean":
      if (natural === "text" && typeof cell === "string") return parseBool(cell) ?? NoFit
      return NoFit
    case "timestamptz":
      // Strings that are timestamps are already typed timestamptz; other strings do not fit.
      return NoFit
    case "jsonb":
      return NoFit
    case "date":
    case "time":
      return toDateOrTime(to, natural, cell)
    case "binary":
      return toBinary(natural, cell)
  }
}
