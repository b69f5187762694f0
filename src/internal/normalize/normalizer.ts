/**
 * Records → rows per table, following dlt's relational normalizer
 * (`dlt/common/normalizers/json/relational.py`): nested objects flatten into `parent__child`
 * columns, lists become child tables, column types are inferred from the first non-null value
 * and values that do not fit go to variant columns `<name>__v_<type>`.
 *
 * Runs once per record of every resource, so the inner loop avoids allocations, regexes and
 * repeated name normalization: every (table, path, raw key) is resolved once into a `Field`
 * that caches its column. Memory grows with the number of distinct columns, never with records.
 */
import * as Crypto from "node:crypto"
import { BigDecimal, Data, DateTime, Either, Option } from "effect"
import { normalizeIdentifier, PathSeparator, shorten } from "./naming.js"
import type { Cell, ColumnSchema, DataType, Row, TableSchema, WriteDisposition } from "./tableSchema.js"
import { DataTypes, SystemColumns } from "./tableSchema.js"

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
  readonly rootId?: "key" | "content" | "random" | { readonly column: string } | undefined
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

export type ContractMode = "evolve" | "freeze" | "discard_row" | "discard_value"

export interface SchemaContract {
  /** A new table (a new child table, or the root table on a first load). */
  readonly tables: ContractMode
  /** A new column in an existing table. */
  readonly columns: ContractMode
  /** A value that does not fit its column (dlt's variant columns). */
  readonly dataType: ContractMode
}

export interface NormalizedBatch {
  readonly tables: ReadonlyArray<TableSchema>
  readonly rows: ReadonlyMap<string, ReadonlyArray<Row>>
}

export interface Normalizer {
  /** Normalizes one page of records. `firstIndex` is the index of records[0] within the resource (for error messages and _rc_seq). */
  readonly normalize: (records: ReadonlyArray<unknown>, firstIndex: number) => Either.Either<NormalizedBatch, NormalizeError>
  /** Current schema of every table seen so far (including known/declared). */
  readonly tables: () => ReadonlyArray<TableSchema>
}

// ---------------------------------------------------------------------------------------------
// System columns

const systemColumn = (name: string, type: DataType): ColumnSchema => ({ name, type, nullable: false })

/** System columns of a resource's root table, in table order. */
export const rootSystemColumns: ReadonlyArray<ColumnSchema> = [
  systemColumn(SystemColumns.id, "text"),
  systemColumn(SystemColumns.loadId, "text"),
  systemColumn(SystemColumns.seq, "bigint")
]

/** System columns of a child (list) table, in table order. */
export const childSystemColumns: ReadonlyArray<ColumnSchema> = [
  systemColumn(SystemColumns.id, "text"),
  systemColumn(SystemColumns.parentId, "text"),
  systemColumn(SystemColumns.listIdx, "bigint"),
  systemColumn(SystemColumns.rootId, "text"),
  systemColumn(SystemColumns.seq, "bigint")
]

const systemNames: ReadonlySet<string> = new Set(Object.values(SystemColumns))

/** Name of the column holding a list's scalar items (dlt). */
export const ValueColumn = "value"
/** Intermediate key for a list inside a list (dlt): `<table>__list`. */
export const ListKey = "list"
/** dlt's replacement for empty or blank keys. */
export const EmptyKey = "_empty"

/** `<column>__v_<type>`: where values go that do not fit the column's type. */
export const variantColumnName = (column: string, type: DataType): string => shorten(`${column}${PathSeparator}v_${type}`)

// ---------------------------------------------------------------------------------------------
// Value classification

// ±2^63: Postgres bigint range.
const bigintMax = 9223372036854775808
const bigintMaxBig = 9223372036854775807n
const bigintMinBig = -9223372036854775808n

const numberType = (n: number): DataType => (Number.isInteger(n) && n < bigintMax && n >= -bigintMax ? "bigint" : "double")

const daysInMonth = (year: number, month: number): number =>
  month === 2
    ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28)
    : month === 4 || month === 6 || month === 9 || month === 11
    ? 30
    : 31

/** Value of the two digits at `i`, or -1. */
const twoDigits = (s: string, i: number): number => {
  const a = s.charCodeAt(i) - 48
  const b = s.charCodeAt(i + 1) - 48
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1
}

/** The digits of `YYYY?MM?DD` at the start of `s` name a real day (separators checked by the caller). */
const isCalendarDay = (s: string): boolean => {
  const century = twoDigits(s, 0)
  const yy = twoDigits(s, 2)
  const month = twoDigits(s, 5)
  const day = twoDigits(s, 8)
  if (century < 0 || yy < 0 || month < 1 || month > 12 || day < 1) return false
  const year = century * 100 + yy
  return year >= 1 && day <= daysInMonth(year, month)
}

/**
 * RFC 3339 date-time with a zone (`2024-05-01T10:00:00Z`, `2024-05-01 10:00:00.5+02:00`);
 * seconds may be omitted and the offset may be `+02`/`+0200` (Postgres and dlt accept them).
 * Date-only strings are not timestamps. Ranges are checked so Postgres never rejects a value
 * we typed timestamptz. A hand-written scan: this runs for every value of a timestamptz column.
 */
export const isTimestamp = (s: string): boolean => {
  const n = s.length
  if (n < 17 || n > 40 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58) return false
  const t = s.charCodeAt(10)
  if (t !== 84 && t !== 32 && t !== 116) return false
  if (!isCalendarDay(s)) return false
  const hour = twoDigits(s, 11)
  const minute = twoDigits(s, 14)
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59) return false
  let i = 16
  if (s.charCodeAt(i) === 58) {
    const second = twoDigits(s, i + 1)
    if (second < 0 || second > 59) return false
    i += 3
    if (s.charCodeAt(i) === 46) {
      const start = ++i
      while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++
      if (i === start || i - start > 9) return false
    }
  }
  const z = s.charCodeAt(i)
  if (z === 90 || z === 122) return i + 1 === n
  if (z !== 43 && z !== 45) return false
  const offsetHours = twoDigits(s, i + 1)
  if (offsetHours < 0 || offsetHours > 15) return false
  i += 3
  if (i === n) return true
  if (s.charCodeAt(i) === 58) i++
  const offsetMinutes = twoDigits(s, i)
  return offsetMinutes >= 0 && offsetMinutes <= 59 && i + 2 === n
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

const isPlainObject = (u: Record<string, unknown>): boolean => {
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

const isIterable = (u: object): u is Iterable<unknown> => Symbol.iterator in u

/** Thrown inside the normalizer, turned into a NormalizeError by `normalize`. */
class Failure {
  constructor(readonly message: string, readonly table: string, readonly column?: string) {}
}

/** Thrown to abandon the row being flattened (schema_contract `discard_row`); never escapes `make`. */
const DropRow: unique symbol = Symbol("DropRow")

const evolveEverywhere: SchemaContract = { tables: "evolve", columns: "evolve", dataType: "evolve" }

/** Copy of a value that JSON.stringify can write (bigint, BigDecimal, Option, DateTime); copies only what changes. */
const toJsonValue = (u: unknown, table: string): unknown => {
  switch (typeof u) {
    case "bigint":
      return u.toString()
    case "function":
    case "symbol":
      throw new Failure(`cannot store a ${typeof u} value`, table)
    case "object": {
      if (u === null || u instanceof Date) return u
      if (u instanceof Uint8Array) return Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString("base64")
      if (Array.isArray(u)) {
        let out: Array<unknown> | undefined
        for (let i = 0; i < u.length; i++) {
          const v = toJsonValue(u[i], table)
          if (v !== u[i]) {
            out ??= u.slice()
            out[i] = v
          }
        }
        return out ?? u
      }
      if (BigDecimal.isBigDecimal(u)) return BigDecimal.format(u)
      if (Option.isOption(u)) return Option.isSome(u) ? toJsonValue(u.value, table) : null
      if (DateTime.isDateTime(u)) return DateTime.formatIso(u)
      if (!isRecord(u)) return u
      let out: Record<string, unknown> | undefined
      for (const key in u) {
        const v = toJsonValue(u[key], table)
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

const jsonCell = (u: Record<string, unknown> | ReadonlyArray<unknown>, table: string): Cell => {
  const v = toJsonValue(u, table)
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

const NoFit: unique symbol = Symbol("NoFit")
type NoFit = typeof NoFit

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
const byteaCell = (bytes: Uint8Array): string => `\\x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`

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

/** `YYYY-MM-DD`, a real day. */
const isDateText = (s: string): boolean =>
  s.length === 10 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45 && isCalendarDay(s)

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
const coerce = (to: DataType, natural: DataType, cell: Cell): Cell | NoFit => {
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
        return b <= bigintMaxBig && b >= bigintMinBig ? b.toString() : NoFit
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

// ---------------------------------------------------------------------------------------------
// Row ids

// Child row ids are a 128-bit MurmurHash3-style digest (x86_128 rounds) of the parent id, a
// 64-bit hash of the table name and the list index. The parent id is absorbed once per list;
// each item only pays for one block and the finalization: far cheaper than a crypto digest per
// row (this runs for every child row), and 128 bits keep accidental collisions out of reach.

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r))
const fmix = (h: number): number => {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}
const c1 = 0x239b961b
const c2 = 0xab0e9789
const c3 = 0x38b34ae5
const c4 = 0xa1e38b93
const seed = 0x9747b28c

/** State after absorbing a string: h1..h4 and its length in bytes. */
const absorbed = new Int32Array(5)
const digestWords = new Int32Array(4)

const code = (s: string, i: number): number => (i < s.length ? s.charCodeAt(i) : 0)

/** Absorbs the UTF-16 code units of `s` (8 per 128-bit block, the last block zero-padded). */
const absorb = (s: string): void => {
  let h1 = seed
  let h2 = seed
  let h3 = seed
  let h4 = seed
  const n = s.length
  for (let i = 0; i < n; i += 8) {
    let k1 = code(s, i) | (code(s, i + 1) << 16)
    let k2 = code(s, i + 2) | (code(s, i + 3) << 16)
    let k3 = code(s, i + 4) | (code(s, i + 5) << 16)
    let k4 = code(s, i + 6) | (code(s, i + 7) << 16)
    k1 = Math.imul(rotl(Math.imul(k1, c1), 15), c2)
    h1 ^= k1
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0
    k2 = Math.imul(rotl(Math.imul(k2, c2), 16), c3)
    h2 ^= k2
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0
    k3 = Math.imul(rotl(Math.imul(k3, c3), 17), c4)
    h3 ^= k3
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0
    k4 = Math.imul(rotl(Math.imul(k4, c4), 18), c1)
    h4 ^= k4
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0
  }
  absorbed[0] = h1
  absorbed[1] = h2
  absorbed[2] = h3
  absorbed[3] = h4
  absorbed[4] = n * 2
}

/** 64-bit hash of a table name, as two words (computed once per table). */
const tableWords = (table: string): readonly [number, number] => {
  absorb(table)
  return [fmix(absorbed[0] ^ absorbed[4]), fmix(absorbed[1] ^ absorbed[2] ^ absorbed[3])]
}

/** Mixes (table, idx) as one block into the absorbed parent id and finalizes into `digestWords`. */
const finish = (table1: number, table2: number, idx: number): void => {
  let h1 = absorbed[0]
  let h2 = absorbed[1]
  let h3 = absorbed[2]
  let h4 = absorbed[3]
  h1 ^= Math.imul(rotl(Math.imul(table1, c1), 15), c2)
  h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0
  h2 ^= Math.imul(rotl(Math.imul(table2, c2), 16), c3)
  h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0
  h3 ^= Math.imul(rotl(Math.imul(idx | 0, c3), 17), c4)
  h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0
  h4 ^= Math.imul(rotl(Math.imul(Math.floor(idx / 4294967296) | 0, c4), 18), c1)
  h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0
  const len = absorbed[4] + 16
  h1 ^= len
  h2 ^= len
  h3 ^= len
  h4 ^= len
  h1 = (h1 + h2 + h3 + h4) | 0
  h2 = (h2 + h1) | 0
  h3 = (h3 + h1) | 0
  h4 = (h4 + h1) | 0
  h1 = fmix(h1)
  h2 = fmix(h2)
  h3 = fmix(h3)
  h4 = fmix(h4)
  h1 = (h1 + h2 + h3 + h4) | 0
  digestWords[0] = h1
  digestWords[1] = (h2 + h1) | 0
  digestWords[2] = (h3 + h1) | 0
  digestWords[3] = (h4 + h1) | 0
}

const base64urlCodes = Uint8Array.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", (c) => c.charCodeAt(0))

/** 22 base64url chars of the 128 bits in `digestWords`, built as one flat string. */
const encodeDigest = (): string => {
  const c = base64urlCodes
  const w0 = digestWords[0]
  const w1 = digestWords[1]
  const w2 = digestWords[2]
  const w3 = digestWords[3]
  return String.fromCharCode(
    c[w0 >>> 26], c[(w0 >>> 20) & 63], c[(w0 >>> 14) & 63], c[(w0 >>> 8) & 63], c[(w0 >>> 2) & 63],
    c[((w0 & 3) << 4) | (w1 >>> 28)], c[(w1 >>> 22) & 63], c[(w1 >>> 16) & 63], c[(w1 >>> 10) & 63],
    c[(w1 >>> 4) & 63], c[((w1 & 15) << 2) | (w2 >>> 30)], c[(w2 >>> 24) & 63], c[(w2 >>> 18) & 63],
    c[(w2 >>> 12) & 63], c[(w2 >>> 6) & 63], c[w2 & 63], c[w3 >>> 26], c[(w3 >>> 20) & 63],
    c[(w3 >>> 14) & 63], c[(w3 >>> 8) & 63], c[(w3 >>> 2) & 63], c[(w3 & 3) << 4]
  )
}

/** Deterministic child row id: a digest of (parent id, table, list index), like dlt's `_dlt_id`. */
export const childRowId = (parentId: string, table: string, listIdx: number): string => {
  const [t1, t2] = tableWords(table)
  absorb(parentId)
  finish(t1, t2, listIdx)
  return encodeDigest()
}

const sha256Base64url: (s: string) => string = typeof Crypto.hash === "function"
  ? (s) => Crypto.hash("sha256", s, "base64url")
  : (s) => Crypto.createHash("sha256").update(s, "utf8").digest("base64url")

/** A key cell's text form, so `5` and `"5"` (both stored as 5 in a bigint column) hash alike. */
const keyText = (cell: Cell): string =>
  cell instanceof Date ? cell.toISOString() : typeof cell === "object" && cell !== null ? JSON.stringify(cell) : String(cell)

/**
 * Root row id of a merge table: 22 base64url chars (132 bits) of sha256 of the JSON array of the
 * key values' text forms, so the same key gets the same id in every run. A crypto hash here:
 * keys come from the API.
 */
export const mergeRowId = (keyValues: ReadonlyArray<Cell>): string =>
  sha256Base64url(JSON.stringify(keyValues.map(keyText))).slice(0, 22)

/** JSON with object keys sorted at every level, so equal jsonb cells hash alike whatever their key order. */
const stableJson = (u: unknown): string => {
  if (u instanceof Date) return JSON.stringify(u.toISOString())
  if (Array.isArray(u)) return "[" + u.map((v) => (v === undefined ? "null" : stableJson(v))).join(",") + "]"
  if (isRecord(u)) {
    const parts: Array<string> = []
    for (const key of Object.keys(u).sort()) {
      const v = u[key]
      if (v !== undefined) parts.push(JSON.stringify(key) + ":" + stableJson(v))
    }
    return "{" + parts.join(",") + "}"
  }
  return JSON.stringify(u) ?? "null"
}

/**
 * Root row id from the row's data (dlt's scd2 row hash): its data columns in name order, system
 * columns left out, so an unchanged record keeps its id across loads and a changed one gets a new
 * one. Cells are hashed in their stored form (`5` and `"5"` in a bigint column alike).
 */
export const contentRowId = (row: Row): string => {
  const parts: Array<string> = []
  for (const name of Object.keys(row).sort()) {
    const cell = row[name]
    if (cell === null || cell === undefined || systemNames.has(name)) continue
    parts.push(JSON.stringify(name), typeof cell === "object" && !(cell instanceof Date) ? stableJson(cell) : JSON.stringify(keyText(cell)))
  }
  return sha256Base64url("[" + parts.join(",") + "]").slice(0, 22)
}

// ---------------------------------------------------------------------------------------------
// Internal state

type MutableRow = Record<string, Cell>

class TableState {
  /** Unshortened path (`root__items__tags`) that child table names are built from. */
  fullPath: string
  parent: string | undefined
  readonly columns: Array<ColumnSchema> = []
  readonly byName = new Map<string, ColumnSchema>()
  /** The table's own keys. */
  readonly node: PathNode
  /** Shown by `tables()` (declared, known for this resource, or has had rows). */
  visible = false
  /**
   * Existed before this run (known, declared, or a root with typed column hints). Only such
   * tables get the `columns` contract: dlt lets a new table's columns evolve for the whole run.
   */
  preexisting = false
  /** May hold rows: preexisting, or let through by the `tables` contract. */
  created = false
  snapshot: TableSchema | undefined = undefined
  /** Rows of the batch being normalized. */
  pending: Array<MutableRow> | undefined = undefined
  valueField: Field | undefined = undefined
  listField: Field | undefined = undefined
  /** Hash of the name, mixed into the ids of this table's rows. */
  readonly idWord1: number
  readonly idWord2: number
  constructor(readonly name: string, fullPath: string, parent: string | undefined, readonly isRoot: boolean) {
    this.fullPath = fullPath
    this.parent = parent
    const [w1, w2] = tableWords(name)
    this.idWord1 = w1
    this.idWord2 = w2
    this.node = { table: this, prefix: "", fields: new Map() }
  }
}

interface PathNode {
  readonly table: TableState
  /** Unshortened column path of this node, "" at the table's top. */
  readonly prefix: string
  readonly fields: Map<string, Field>
}

interface Field {
  /** Unshortened path within the table (`meta__tags`). */
  readonly fullName: string
  /** Column name (shortened). */
  readonly column: string
  col: ColumnSchema | undefined
  variants: Partial<Record<DataType, ColumnSchema>> | undefined
  sub: PathNode | undefined
  child: TableState | undefined
}

// ---------------------------------------------------------------------------------------------

export const make = (options: NormalizerOptions): Normalizer => {
  const { disposition, loadId, rootTable } = options
  const maxNesting = Math.max(0, options.maxTableNesting ?? 1000)
  const isMerge = disposition === "merge"
  const primaryKey = options.primaryKey
  const pkSet: ReadonlySet<string> = new Set(isMerge ? primaryKey : [])
  // Without key columns there is nothing to hash: ids are random, as dlt appends then.
  const idMode = options.rootId ?? (isMerge ? "key" : "random")
  const rootIdMode = idMode === "key" && primaryKey.length === 0 ? "random" : idMode
  const contract = options.contract ?? evolveEverywhere
  /** Some contract mode is not `evolve`: rows may be dropped. False keeps the hot path as it was. */
  const strict = contract.tables !== "evolve" || contract.columns !== "evolve" || contract.dataType !== "evolve"
  const hints = (options.columnHints ?? []).map((h) => ({ ...h, name: shorten(h.name) })).filter((h) => !systemNames.has(h.name))
  /** Root columns that must hold a value in every record (`nullable: false` hints). */
  const notNullHints: ReadonlyArray<string> = hints.filter((h) => h.nullable === false).map((h) => h.name)
  const notNullRoot: ReadonlySet<string> = new Set([...pkSet, ...notNullHints])

  const tablesByName = new Map<string, TableState>()
  /** Visible tables in the order they became visible. */
  const order: Array<TableState> = []

  const show = (t: TableState): void => {
    if (!t.visible) {
      t.visible = true
      order.push(t)
    }
  }

  const addColumn = (t: TableState, column: ColumnSchema): ColumnSchema => {
    t.columns.push(column)
    t.byName.set(column.name, column)
    t.snapshot = undefined
    return column
  }

  const ensureSystemColumns = (t: TableState): void => {
    for (const c of t.isRoot ? rootSystemColumns : childSystemColumns) {
      if (!t.byName.has(c.name)) addColumn(t, c)
    }
  }

  const isOwnTable = (name: string): boolean => name === rootTable || name.startsWith(rootTable + PathSeparator)

  const tableFor = (name: string, fullPath: string, parent: string | undefined): TableState => {
    let t = tablesByName.get(name)
    if (t === undefined) {
      t = new TableState(name, fullPath, parent, parent === undefined)
      ensureSystemColumns(t)
      tablesByName.set(name, t)
    } else {
      // A known/declared table met through its parent: now its real path and parent are known.
      t.fullPath = fullPath
      if (t.parent === undefined && parent !== undefined) {
        t.parent = parent
        t.snapshot = undefined
      }
    }
    return t
  }

  const adopt = (schema: TableSchema, declared: boolean): void => {
    const isRoot = schema.name === rootTable
    let t = tablesByName.get(schema.name)
    if (t === undefined) {
      // The stored name may be shortened; use it as the path too (children of a shortened
      // table are named from that table's name, as in a fresh run that sees it first here).
      t = new TableState(schema.name, schema.name, isRoot ? undefined : schema.parent, isRoot)
      tablesByName.set(schema.name, t)
    }
    for (const c of schema.columns) if (!t.byName.has(c.name)) addColumn(t, c)
    ensureSystemColumns(t)
    t.preexisting = true
    t.created = true
    if (declared || isOwnTable(schema.name)) show(t)
  }
  for (const t of options.knownTables ?? []) adopt(t, false)
  for (const t of options.declaredTables ?? []) adopt(t, true)

  const root = tableFor(rootTable, rootTable, undefined)
  // A typed hint fixes its column up front; stored and declared types win (the table has them).
  for (const h of hints) {
    if (h.dataType === undefined || root.byName.has(h.name)) continue
    addColumn(root, { name: h.name, type: h.dataType, nullable: !notNullRoot.has(h.name) })
    // dlt: a table with a complete (typed) column is an existing table for the contract.
    root.preexisting = true
    root.created = true
  }

  const snapshotOf = (t: TableState): TableSchema => {
    if (t.snapshot === undefined) t.snapshot = { name: t.name, parent: t.parent, columns: t.columns.slice() }
    return t.snapshot
  }

  const fieldOf = (node: PathNode, key: string): Field => {
    const name = key.trim().length === 0 ? EmptyKey : normalizeIdentifier(key)
    const fullName = node.prefix === "" ? name : node.prefix + PathSeparator + name
    if (node.prefix === "" && systemNames.has(name)) {
      throw new Failure(`key "${key}" collides with the system column ${name}`, node.table.name)
    }
    const field: Field = { fullName, column: shorten(fullName), col: undefined, variants: undefined, sub: undefined, child: undefined }
    node.fields.set(key, field)
    return field
  }

  const childTableOf = (t: TableState, field: Field): TableState => {
    if (field.child === undefined) {
      const fullPath = t.fullPath + PathSeparator + field.fullName
      field.child = tableFor(shorten(fullPath), fullPath, t.name)
    }
    return field.child
  }

  /**
   * Applies a non-evolve contract mode to a violation: freeze fails the batch, discard_row
   * abandons the row, discard_value returns (the caller drops the value).
   */
  const violate = (mode: ContractMode, what: string, t: TableState, column: string): void => {
    if (mode === "freeze") throw new Failure(`schema_contract freeze: ${what}`, t.name, column)
    if (mode === "discard_row") throw DropRow
  }

  /** `tables` contract for a table that does not exist yet: true = create it, false = drop its rows. */
  const admitTable = (t: TableState): boolean => {
    if (contract.tables === "evolve") {
      t.created = true
      return true
    }
    if (contract.tables === "freeze") throw new Failure(`schema_contract freeze: new table '${t.name}'`, t.name)
    return false
  }

  /** The field's column, created with `type` if new; undefined when the contract discards the value. */
  const columnOf = (t: TableState, field: Field, type: DataType): ColumnSchema | undefined => {
    const existing = t.byName.get(field.column)
    if (existing !== undefined) return existing
    if (t.preexisting && contract.columns !== "evolve") {
      violate(contract.columns, `new column '${field.column}' in table '${t.name}'`, t, field.column)
      return undefined
    }
    return addColumn(t, { name: field.column, type, nullable: !(t.isRoot && notNullRoot.has(field.column)) })
  }

  /** Stores a scalar (or a jsonb value) whose natural type is `natural` and cell form `cell`. */
  const put = (t: TableState, field: Field, natural: DataType, cell: Cell, row: MutableRow): void => {
    let col = field.col
    if (col === undefined) {
      col = columnOf(t, field, natural)
      if (col === undefined) return
      field.col = col
    }
    if (col.type === natural) {
      row[col.name] = cell
      return
    }
    const coerced = coerce(col.type, natural, cell)
    if (coerced !== NoFit) {
      row[col.name] = coerced
      return
    }
    // Variant column, typed by the value itself.
    field.variants ??= {}
    let variant = field.variants[natural]
    if (variant === undefined) {
      const name = variantColumnName(field.column, natural)
      variant = t.byName.get(name)
      if (variant === undefined) {
        // dlt's data_type contract guards new variant columns; existing ones take their values.
        if (contract.dataType !== "evolve") {
          violate(contract.dataType, `value of column '${field.column}' in table '${t.name}' is ${natural} and does not fit its type ${col.type}`, t, field.column)
          return
        }
        variant = addColumn(t, { name, type: natural, nullable: true })
      }
      field.variants[natural] = variant
    }
    if (variant.type === natural) {
      row[variant.name] = cell
      return
    }
    const again = coerce(variant.type, natural, cell)
    if (again === NoFit) {
      throw new Failure(`value of column ${field.column} is ${natural} and fits neither ${col.type} nor its variant column ${variant.name} (${variant.type})`, t.name)
    }
    row[variant.name] = again
  }

  // Lists found while flattening a row, processed after the row has its id. One shared stack
  // (parallel arrays) instead of an array per row.
  const pendingFields: Array<Field> = []
  const pendingValues: Array<ReadonlyArray<unknown>> = []
  const pendingLevels: Array<number> = []
  // Entries above `pendingTop` are stale (overwritten later): truncating arrays is slow in V8.
  let pendingTop = 0
  const noItems: ReadonlyArray<unknown> = []

  let seq = 0
  let rootId = ""
  let rowCounter = 0
  const idPrefix = Crypto.randomBytes(9).toString("base64url")
  const touched: Array<TableState> = []

  const emit = (t: TableState, row: MutableRow): void => {
    if (t.pending === undefined) {
      t.pending = []
      touched.push(t)
    }
    t.pending.push(row)
  }

  /** Stores `value` under `field` of a row at nesting `level`. */
  const write = (t: TableState, field: Field, value: unknown, row: MutableRow, level: number): void => {
    switch (typeof value) {
      case "string": {
        const col = field.col
        // Hot path: a text column takes any string without looking at it.
        if (col !== undefined && col.type === "text") {
          row[col.name] = value
          return
        }
        put(t, field, isTimestamp(value) ? "timestamptz" : "text", value, row)
        return
      }
      case "number": {
        const col = field.col
        const natural = numberType(value)
        if (col !== undefined && (col.type === natural || (col.type === "double" && natural === "bigint"))) {
          row[col.name] = value
          return
        }
        put(t, field, natural, value, row)
        return
      }
      case "boolean":
        put(t, field, "boolean", value, row)
        return
      case "bigint":
        put(t, field, value <= bigintMaxBig && value >= bigintMinBig ? "bigint" : "numeric", value.toString(), row)
        return
      case "undefined":
        return
      case "object": {
        if (value === null) return
        if (Array.isArray(value)) {
          writeList(t, field, value, row, level)
          return
        }
        if (!isRecord(value)) return
        if (isPlainObject(value)) {
          writeObject(t, field, value, row, level)
          return
        }
        writeSpecial(t, field, value, row, level)
        return
      }
      default:
        throw new Failure(`cannot store a ${typeof value} value in column ${field.column}`, t.name)
    }
  }

  /** Whether an object or list at this field is kept whole as jsonb (nesting limit or a jsonb column). */
  const keepWhole = (t: TableState, field: Field, level: number): boolean => {
    if (level >= maxNesting) return true
    const col = field.col ?? t.byName.get(field.column)
    return col !== undefined && col.type === "jsonb"
  }

  const writeObject = (t: TableState, field: Field, value: Record<string, unknown>, row: MutableRow, level: number): void => {
    if (keepWhole(t, field, level)) {
      put(t, field, "jsonb", jsonCell(value, t.name), row)
      return
    }
    field.sub ??= { table: t, prefix: field.fullName, fields: new Map() }
    flatten(t, field.sub, value, row, level + 1)
  }

  const writeList = (t: TableState, field: Field, value: ReadonlyArray<unknown>, row: MutableRow, level: number): void => {
    if (keepWhole(t, field, level)) {
      put(t, field, "jsonb", jsonCell(value, t.name), row)
      return
    }
    if (value.length === 0) return
    pendingFields[pendingTop] = field
    pendingValues[pendingTop] = value
    pendingLevels[pendingTop] = level + 1
    pendingTop++
  }

  /** Non-plain objects: Date, BigDecimal, DateTime, Option, iterables, class instances. */
  const writeSpecial = (t: TableState, field: Field, value: Record<string, unknown>, row: MutableRow, level: number): void => {
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw new Failure(`invalid Date in column ${field.column}`, t.name)
      put(t, field, "timestamptz", value, row)
    } else if (value instanceof Uint8Array) {
      put(t, field, "binary", byteaCell(value), row)
    } else if (BigDecimal.isBigDecimal(value)) {
      put(t, field, "numeric", BigDecimal.format(value), row)
    } else if (DateTime.isDateTime(value)) {
      const date = DateTime.toDateUtc(value)
      put(t, field, "timestamptz", date, row)
    } else if (Option.isOption(value)) {
      if (Option.isSome(value)) write(t, field, value.value, row, level)
    } else if (isIterable(value)) {
      writeList(t, field, Array.from(value), row, level)
    } else {
      // Class instances (Schema.Class, Data.struct): their own enumerable fields, like an object.
      writeObject(t, field, value, row, level)
    }
  }

  const flatten = (t: TableState, node: PathNode, obj: Record<string, unknown>, row: MutableRow, level: number): void => {
    const fields = node.fields
    for (const key in obj) {
      const value = obj[key]
      if (value === null || value === undefined) continue
      write(t, fields.get(key) ?? fieldOf(node, key), value, row, level)
    }
  }

  const childRow = (id: string, parentId: string, idx: number): MutableRow => {
    const row: MutableRow = {}
    row[SystemColumns.id] = id
    row[SystemColumns.parentId] = parentId
    row[SystemColumns.listIdx] = idx
    row[SystemColumns.rootId] = rootId
    row[SystemColumns.seq] = seq
    return row
  }

  /** Emits the rows of the lists collected from pending[start..] (recursively). */
  const drainLists = (t: TableState, start: number, parentId: string): void => {
    const end = pendingTop
    for (let p = start; p < end; p++) {
      const child = childTableOf(t, pendingFields[p])
      writeListRows(child, pendingValues[p], pendingLevels[p], parentId)
    }
    pendingTop = start
  }

  /** Drops what a discarded row left behind: its pending lists and the columns it created. */
  const undoRow = (t: TableState, columnMark: number, pendingMark: number): void => {
    pendingTop = pendingMark
    if (t.columns.length <= columnMark) return
    const removed = new Set(t.columns.splice(columnMark))
    for (const c of removed) t.byName.delete(c.name)
    t.snapshot = undefined
    forgetColumns(t.node, removed)
  }

  /** Clears the fields' cached references to removed columns (the row that made them was dropped). */
  const forgetColumns = (node: PathNode, removed: ReadonlySet<ColumnSchema>): void => {
    for (const field of node.fields.values()) {
      if (field.col !== undefined && removed.has(field.col)) field.col = undefined
      if (field.variants !== undefined) {
        for (const type of DataTypes) {
          const v = field.variants[type]
          if (v !== undefined && removed.has(v)) delete field.variants[type]
        }
      }
      if (field.sub !== undefined) forgetColumns(field.sub, removed)
    }
  }

  /** Fills a child row from one list item. */
  const fillChildRow = (child: TableState, item: unknown, row: MutableRow, level: number): void => {
    if (isRecord(item) && !Array.isArray(item) && isPlainObject(item)) {
      flatten(child, child.node, item, row, level)
    } else if (Array.isArray(item)) {
      // A list in a list: this row stands for the inner list, whose items go to `<table>__list` (dlt).
      child.listField ??= fieldOf(child.node, ListKey)
      write(child, child.listField, item, row, level + 1)
    } else {
      child.valueField ??= fieldOf(child.node, ValueColumn)
      write(child, child.valueField, item, row, level)
    }
  }

  const writeListRows = (child: TableState, items: ReadonlyArray<unknown>, level: number, parentId: string): void => {
    // A table the contract keeps out: its rows (and so their own lists) are dropped.
    if (!child.created && !admitTable(child)) return
    let rehash = false
    for (let idx = 0; idx < items.length; idx++) {
      const item = items[idx]
      // Nested lists absorb their own parent id, so redo ours after them.
      if (idx === 0 || rehash) {
        absorb(parentId)
        rehash = false
      }
      finish(child.idWord1, child.idWord2, idx)
      const id = encodeDigest()
      const row = childRow(id, parentId, idx)
      const start = pendingTop
      if (!strict) {
        fillChildRow(child, item, row, level)
      } else {
        const columnMark = child.columns.length
        try {
          fillChildRow(child, item, row, level)
        } catch (e) {
          if (e !== DropRow) throw e
          // dlt drops just this nested row (and, never emitted, its own lists); the parent stays.
          undoRow(child, columnMark, start)
          continue
        }
      }
      emit(child, row)
      if (pendingTop > start) {
        drainLists(child, start, id)
        rehash = true
      }
    }
  }

  const rootRow = (record: Record<string, unknown>, index: number): void => {
    if (!root.created && !admitTable(root)) return
    const row: MutableRow = {}
    row[SystemColumns.id] = ""
    row[SystemColumns.loadId] = loadId
    row[SystemColumns.seq] = index
    seq = index
    const start = pendingTop
    if (!strict) {
      flatten(root, root.node, record, row, 0)
    } else {
      const columnMark = root.columns.length
      try {
        flatten(root, root.node, record, row, 0)
      } catch (e) {
        if (e !== DropRow) throw e
        // The record is dropped; its lists were only collected, so no child row is orphaned.
        undoRow(root, columnMark, start)
        return
      }
    }
    for (let i = 0; i < notNullHints.length; i++) {
      const v = row[notNullHints[i]]
      if (v === undefined || v === null) {
        throw new Failure(`column ${notNullHints[i]} is not nullable (columns hint) but the record has no value for it, or its value does not fit the column's type`, root.name, notNullHints[i])
      }
    }
    if (rootIdMode === "key") {
      const key: Array<Cell> = []
      for (const name of primaryKey) {
        const v = row[name]
        if (v === undefined || v === null) {
          throw new Failure(`primary key column ${name} is missing or null${root.byName.has(name) ? "" : " (no such column)"}, or its value does not fit the column's type`, root.name, name)
        }
        key.push(v)
      }
      rootId = mergeRowId(key)
    } else if (rootIdMode === "content") {
      rootId = contentRowId(row)
    } else if (typeof rootIdMode === "object") {
      const v = row[rootIdMode.column]
      if (v === undefined || v === null) {
        throw new Failure(`row version column ${rootIdMode.column} is missing or null${root.byName.has(rootIdMode.column) ? "" : " (no such column)"}`, root.name, rootIdMode.column)
      }
      rootId = keyText(v)
    } else {
      rootId = idPrefix + (rowCounter++).toString(36)
    }
    row[SystemColumns.id] = rootId
    emit(root, row)
    if (pendingTop > start) drainLists(root, start, rootId)
  }

  const collect = (): NormalizedBatch => {
    const tables: Array<TableSchema> = []
    const rows = new Map<string, ReadonlyArray<Row>>()
    for (const t of touched) {
      show(t)
      tables.push(snapshotOf(t))
      rows.set(t.name, t.pending ?? [])
      t.pending = undefined
    }
    touched.length = 0
    // Let the page's lists be collected (the stack only ever holds a few entries).
    pendingValues.fill(noItems)
    return { tables, rows }
  }

  const reset = (): void => {
    for (const t of touched) t.pending = undefined
    touched.length = 0
    pendingTop = 0
    pendingValues.fill(noItems)
  }

  const normalize = (records: ReadonlyArray<unknown>, firstIndex: number): Either.Either<NormalizedBatch, NormalizeError> => {
    let index = firstIndex
    try {
      for (let i = 0; i < records.length; i++) {
        index = firstIndex + i
        const record = records[i]
        // dlt wraps a record that is not an object (a bare string, number or list) as { value }.
        rootRow(isRecord(record) && !Array.isArray(record) ? record : { value: record }, index)
      }
      return Either.right(collect())
    } catch (e) {
      reset()
      if (e instanceof Failure) {
        return Either.left(
          new NormalizeError({
            message: `${e.message} (table ${e.table}${e.column === undefined ? "" : `, column ${e.column}`}, record ${index})`,
            table: e.table,
            recordIndex: index,
            column: e.column
          })
        )
      }
      throw e
    }
  }

  const tables = (): ReadonlyArray<TableSchema> => order.map(snapshotOf)

  return { normalize, tables }
}
