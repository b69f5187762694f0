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
import { normalizeIdentifier, PathSeparator, shorten } from "./Naming.js"
import type { Cell, ColumnSchema, DataType, Row, TableSchema, WriteDisposition } from "./TableSchema.js"
import { SystemColumns } from "./TableSchema.js"

export class NormalizeError extends Data.TaggedError("NormalizeError")<{
  readonly message: string
  readonly table: string
  readonly recordIndex: number
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

const timestampPattern =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:[Zz]|[+-](\d{2})(?::?(\d{2}))?)$/

const daysInMonth = (year: number, month: number): number =>
  month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31

/**
 * RFC 3339 date-time with a zone (`2024-05-01T10:00:00Z`, `2024-05-01 10:00:00.5+02:00`);
 * seconds may be omitted (Postgres and dlt accept it). Date-only strings are not timestamps.
 * Field ranges are checked so Postgres never rejects a value we typed as timestamptz.
 */
export const isTimestamp = (s: string): boolean => {
  const n = s.length
  // Cheap shape check before the regex: most strings fail here.
  if (n < 17 || n > 40 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return false
  const t = s.charCodeAt(10)
  if (t !== 84 && t !== 32 && t !== 116) return false
  const m = timestampPattern.exec(s)
  if (m === null) return false
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false
  if (Number(m[4]) > 23 || Number(m[5]) > 59) return false
  if (m[6] !== undefined && Number(m[6]) > 59) return false
  if (m[7] !== undefined && Number(m[7]) > 15) return false
  if (m[8] !== undefined && Number(m[8]) > 59) return false
  return true
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null

const isPlainObject = (u: Record<string, unknown>): boolean => {
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

const isIterable = (u: object): u is Iterable<unknown> => Symbol.iterator in u

/** Thrown inside the normalizer, turned into a NormalizeError by `normalize`. */
class Failure {
  constructor(readonly message: string, readonly table: string) {}
}

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
    default:
      return String(cell)
  }
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
  }
}

// ---------------------------------------------------------------------------------------------
// Child row ids: MurmurHash3 x86 128 over UTF-16 code units (two per 32-bit word). Deterministic,
// ~10x cheaper than a crypto digest, and 128 bits keep collisions out of reach for row ids.

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
const base64url = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

const hashWords = new Int32Array(4)

const murmur128 = (s: string): void => {
  let h1 = 0x9747b28c
  let h2 = 0x9747b28c
  let h3 = 0x9747b28c
  let h4 = 0x9747b28c
  const n = s.length
  const blocks = n >>> 3 // 8 code units = 4 words = one 128-bit block
  let i = 0
  for (let b = 0; b < blocks; b++, i += 8) {
    let k1 = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 16)
    let k2 = s.charCodeAt(i + 2) | (s.charCodeAt(i + 3) << 16)
    let k3 = s.charCodeAt(i + 4) | (s.charCodeAt(i + 5) << 16)
    let k4 = s.charCodeAt(i + 6) | (s.charCodeAt(i + 7) << 16)
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
  // Tail: up to 7 code units, packed into words as above.
  let k1 = 0
  let k2 = 0
  let k3 = 0
  let k4 = 0
  const rest = n - i
  if (rest > 0) {
    const w = (j: number): number => (i + j < n ? s.charCodeAt(i + j) : 0)
    k1 = w(0) | (w(1) << 16)
    k2 = w(2) | (w(3) << 16)
    k3 = w(4) | (w(5) << 16)
    k4 = w(6)
    if (rest > 6) h4 ^= Math.imul(rotl(Math.imul(k4, c4), 18), c1)
    if (rest > 4) h3 ^= Math.imul(rotl(Math.imul(k3, c3), 17), c4)
    if (rest > 2) h2 ^= Math.imul(rotl(Math.imul(k2, c2), 16), c3)
    h1 ^= Math.imul(rotl(Math.imul(k1, c1), 15), c2)
  }
  const len = n * 2
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
  h2 = (h2 + h1) | 0
  h3 = (h3 + h1) | 0
  h4 = (h4 + h1) | 0
  hashWords[0] = h1
  hashWords[1] = h2
  hashWords[2] = h3
  hashWords[3] = h4
}

const byteAt = (i: number): number => (hashWords[i >>> 2] >>> ((i & 3) * 8)) & 255

/** 22-char base64url of the 16 bytes in `hashWords`. */
const encodeHash = (): string => {
  let out = ""
  for (let i = 0; i < 15; i += 3) {
    const v = (byteAt(i) << 16) | (byteAt(i + 1) << 8) | byteAt(i + 2)
    out += base64url[v >>> 18] + base64url[(v >>> 12) & 63] + base64url[(v >>> 6) & 63] + base64url[v & 63]
  }
  const last = byteAt(15)
  return out + base64url[last >>> 2] + base64url[(last & 3) << 4]
}

/** Deterministic child row id, as dlt's `digest128(f"{parent_id}_{table}_{idx}")`. */
export const childRowId = (parentId: string, table: string, listIdx: number): string => {
  murmur128(`${parentId}_${table}_${listIdx}`)
  return encodeHash()
}

const sha256 = (s: string): Buffer =>
  typeof Crypto.hash === "function"
    ? Buffer.from(Crypto.hash("sha256", s, "base64"), "base64")
    : Crypto.createHash("sha256").update(s, "utf8").digest()

/** Root row id of a merge table: base64url of the first 16 bytes of sha256 of the JSON key values. */
export const mergeRowId = (keyValues: ReadonlyArray<Cell>): string =>
  sha256(JSON.stringify(keyValues)).subarray(0, 16).toString("base64url")

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
  snapshot: TableSchema | undefined = undefined
  /** Rows of the batch being normalized. */
  pending: Array<MutableRow> | undefined = undefined
  valueField: Field | undefined = undefined
  listField: Field | undefined = undefined
  constructor(readonly name: string, fullPath: string, parent: string | undefined, readonly isRoot: boolean) {
    this.fullPath = fullPath
    this.parent = parent
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
    if (declared || isOwnTable(schema.name)) show(t)
  }
  for (const t of options.knownTables ?? []) adopt(t, false)
  for (const t of options.declaredTables ?? []) adopt(t, true)

  const root = tableFor(rootTable, rootTable, undefined)

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

  const columnOf = (t: TableState, field: Field, type: DataType): ColumnSchema => {
    const existing = t.byName.get(field.column)
    if (existing !== undefined) return existing
    return addColumn(t, { name: field.column, type, nullable: !(t.isRoot && pkSet.has(field.column)) })
  }

  /** Stores a scalar (or a jsonb value) whose natural type is `natural` and cell form `cell`. */
  const put = (t: TableState, field: Field, natural: DataType, cell: Cell, row: MutableRow): void => {
    let col = field.col
    if (col === undefined) field.col = col = columnOf(t, field, natural)
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
      variant = t.byName.get(name) ?? addColumn(t, { name, type: natural, nullable: true })
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
  const write = (t: TableState, node: PathNode, field: Field, value: unknown, row: MutableRow, level: number): void => {
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
        writeSpecial(t, node, field, value, row, level)
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
    pendingFields.push(field)
    pendingValues.push(value)
    pendingLevels.push(level + 1)
  }

  /** Non-plain objects: Date, BigDecimal, DateTime, Option, iterables, class instances. */
  const writeSpecial = (t: TableState, node: PathNode, field: Field, value: Record<string, unknown>, row: MutableRow, level: number): void => {
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw new Failure(`invalid Date in column ${field.column}`, t.name)
      put(t, field, "timestamptz", value, row)
    } else if (BigDecimal.isBigDecimal(value)) {
      put(t, field, "numeric", BigDecimal.format(value), row)
    } else if (DateTime.isDateTime(value)) {
      const date = DateTime.toDateUtc(value)
      put(t, field, "timestamptz", date, row)
    } else if (Option.isOption(value)) {
      if (Option.isSome(value)) write(t, node, field, value.value, row, level)
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
      write(t, node, fields.get(key) ?? fieldOf(node, key), value, row, level)
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
    const end = pendingFields.length
    for (let p = start; p < end; p++) {
      const child = childTableOf(t, pendingFields[p])
      writeListRows(child, pendingValues[p], pendingLevels[p], parentId)
    }
    pendingFields.length = start
    pendingValues.length = start
    pendingLevels.length = start
  }

  const writeListRows = (child: TableState, items: ReadonlyArray<unknown>, level: number, parentId: string): void => {
    for (let idx = 0; idx < items.length; idx++) {
      const item = items[idx]
      const id = childRowId(parentId, child.name, idx)
      const row = childRow(id, parentId, idx)
      const start = pendingFields.length
      if (isRecord(item) && !Array.isArray(item) && isPlainObject(item)) {
        flatten(child, child.node, item, row, level)
      } else if (Array.isArray(item)) {
        // A list in a list: this row stands for the inner list, whose items go to `<table>__list` (dlt).
        child.listField ??= fieldOf(child.node, ListKey)
        write(child, child.node, child.listField, item, row, level + 1)
      } else {
        child.valueField ??= fieldOf(child.node, ValueColumn)
        write(child, child.node, child.valueField, item, row, level)
      }
      emit(child, row)
      if (pendingFields.length > start) drainLists(child, start, id)
    }
  }

  const rootRow = (record: Record<string, unknown>, index: number): void => {
    const row: MutableRow = {}
    row[SystemColumns.id] = ""
    row[SystemColumns.loadId] = loadId
    row[SystemColumns.seq] = index
    seq = index
    const start = pendingFields.length
    flatten(root, root.node, record, row, 0)
    if (isMerge) {
      const key: Array<Cell> = []
      for (const name of primaryKey) {
        const v = row[name]
        if (v === undefined || v === null) {
          throw new Failure(`primary key column ${name} is missing or null${root.byName.has(name) ? "" : " (no such column)"}, or its value does not fit the column's type`, root.name)
        }
        key.push(v)
      }
      rootId = mergeRowId(key)
    } else {
      rootId = idPrefix + (rowCounter++).toString(36)
    }
    row[SystemColumns.id] = rootId
    emit(root, row)
    if (pendingFields.length > start) drainLists(root, start, rootId)
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
    return { tables, rows }
  }

  const reset = (): void => {
    for (const t of touched) t.pending = undefined
    touched.length = 0
    pendingFields.length = 0
    pendingValues.length = 0
    pendingLevels.length = 0
  }

  const normalize = (records: ReadonlyArray<unknown>, firstIndex: number): Either.Either<NormalizedBatch, NormalizeError> => {
    let index = firstIndex
    try {
      for (let i = 0; i < records.length; i++) {
        index = firstIndex + i
        const record = records[i]
        if (!isRecord(record) || Array.isArray(record)) {
          throw new Failure(`record is not a JSON object (got ${record === null ? "null" : Array.isArray(record) ? "an array" : typeof record})`, rootTable)
        }
        rootRow(record, index)
      }
      return Either.right(collect())
    } catch (e) {
      reset()
      if (e instanceof Failure) {
        return Either.left(new NormalizeError({ message: `${e.message} (table ${e.table}, record ${index})`, table: e.table, recordIndex: index }))
      }
      throw e
    }
  }

  const tables = (): ReadonlyArray<TableSchema> => order.map(snapshotOf)

  return { normalize, tables }
}
