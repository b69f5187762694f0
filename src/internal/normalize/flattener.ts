/**
 * One record (or list item) into one row: nested objects flatten into `a__b` columns, lists
 * are set aside (PendingLists) to become child tables, and past `max_table_nesting` objects
 * and lists are kept whole as jsonb. Runs for every value: the common cases (a string into a
 * text column, a number into its numeric column) return before any other check.
 */
import { BigDecimal, DateTime, Option } from "effect"
import { byteaCell, jsonCell } from "./coercion.js"
import { NulCounter } from "./nulCharacters.js"
import type { ColumnWriter } from "./columnWriter.js"
import { NormalizeFailure } from "./failure.js"
import { bigintType, isIterable, isPlainObject, isRecord, numberType, stringType } from "./inference.js"
import { ListKey, ValueColumn } from "./naming.js"
import type { PendingLists } from "./pendingLists.js"
import type { Field, MutableRow, PathNode, TableState } from "./tableState.js"
import { fieldOf } from "./tableState.js"

export class Flattener {
  constructor(
    private readonly columns: ColumnWriter,
    private readonly lists: PendingLists,
    /** Levels of nesting that become columns and child tables; deeper values are jsonb. */
    private readonly maxNesting: number,
    /** Strings with NUL characters are stored with U+FFFD instead (see nulCharacters.ts). */
    readonly nuls: NulCounter = new NulCounter()
  ) {}

  /** Writes the keys of `obj`, met at `node` of table `t`, into `row` at nesting `level`. */
  flatten(t: TableState, node: PathNode, obj: Record<string, unknown>, row: MutableRow, level: number): void {
    const fields = node.fields
    for (const key in obj) {
      const value = obj[key]
      if (value === null || value === undefined) continue
      this.write(t, fields.get(key) ?? fieldOf(node, key), value, row, level)
    }
  }

  /** Fills a child row from one list item. */
  fillChildRow(child: TableState, item: unknown, row: MutableRow, level: number): void {
    if (isRecord(item) && !Array.isArray(item) && isPlainObject(item)) {
      this.flatten(child, child.node, item, row, level)
    } else if (Array.isArray(item)) {
      // A list in a list: this row stands for the inner list, whose items go to `<table>__list` (dlt).
      child.listField ??= fieldOf(child.node, ListKey)
      this.write(child, child.listField, item, row, level + 1)
    } else {
      child.valueField ??= fieldOf(child.node, ValueColumn)
      this.write(child, child.valueField, item, row, level)
    }
  }

  /** Stores `value` under `field` of a row at nesting `level`. */
  write(t: TableState, field: Field, value: unknown, row: MutableRow, level: number): void {
    switch (typeof value) {
      case "string": {
        const text = value.indexOf("\u0000") === -1 ? value : this.nuls.clean(value)
        const col = field.col
        // Hot path: a text column takes any string without looking further.
        if (col !== undefined && col.type === "text") {
          row[col.name] = text
          return
        }
        this.columns.put(t, field, stringType(text), text, row)
        return
      }
      case "number": {
        // A JSON number past a double's range parses as ±Infinity: refuse it rather than store null.
        if (value - value !== 0) {
          throw new NormalizeFailure({ message: `the number in column ${field.column} is out of range for a double (${value})`, table: t.name, column: field.column })
        }
        const col = field.col
        const natural = numberType(value)
        if (col !== undefined && (col.type === natural || (col.type === "double" && natural === "bigint"))) {
          row[col.name] = value
          return
        }
        this.columns.put(t, field, natural, value, row)
        return
      }
      case "boolean":
        this.columns.put(t, field, "boolean", value, row)
        return
      case "bigint":
        this.columns.put(t, field, bigintType(value), value.toString(), row)
        return
      case "undefined":
        return
      case "object": {
        if (value === null) return
        if (Array.isArray(value)) {
          this.writeList(t, field, value, row, level)
          return
        }
        if (!isRecord(value)) return
        if (isPlainObject(value)) {
          this.writeObject(t, field, value, row, level)
          return
        }
        this.writeSpecial(t, field, value, row, level)
        return
      }
      default:
        throw new NormalizeFailure({ message: `cannot store a ${typeof value} value in column ${field.column}`, table: t.name })
    }
  }

  /** Whether an object or list at this field is kept whole as jsonb (nesting limit or a jsonb column). */
  private keepWhole(t: TableState, field: Field, level: number): boolean {
    if (level >= this.maxNesting) return true
    const col = field.col ?? t.byName.get(field.column)
    return col !== undefined && col.type === "jsonb"
  }

  private writeObject(t: TableState, field: Field, value: Record<string, unknown>, row: MutableRow, level: number): void {
    if (this.keepWhole(t, field, level)) {
      this.columns.put(t, field, "jsonb", jsonCell(value, t.name, this.nuls), row)
      return
    }
    field.sub ??= { table: t, prefix: field.plain, source: field.source, fields: new Map() }
    this.flatten(t, field.sub, value, row, level + 1)
  }

  private writeList(t: TableState, field: Field, value: ReadonlyArray<unknown>, row: MutableRow, level: number): void {
    if (this.keepWhole(t, field, level)) {
      this.columns.put(t, field, "jsonb", jsonCell(value, t.name, this.nuls), row)
      return
    }
    if (value.length === 0) return
    this.lists.push(field, value, level + 1)
  }

  /** Non-plain objects: Date, BigDecimal, DateTime, Option, iterables, class instances. */
  private writeSpecial(t: TableState, field: Field, value: Record<string, unknown>, row: MutableRow, level: number): void {
    if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw new NormalizeFailure({ message: `invalid Date in column ${field.column}`, table: t.name })
      this.columns.put(t, field, "timestamptz", value, row)
    } else if (value instanceof Uint8Array) {
      this.columns.put(t, field, "binary", byteaCell(value), row)
    } else if (BigDecimal.isBigDecimal(value)) {
      this.columns.put(t, field, "numeric", BigDecimal.format(value), row)
    } else if (DateTime.isDateTime(value)) {
      this.columns.put(t, field, "timestamptz", DateTime.toDateUtc(value), row)
    } else if (Option.isOption(value)) {
      if (Option.isSome(value)) this.write(t, field, value.value, row, level)
    } else if (isIterable(value)) {
      this.writeList(t, field, Array.from(value), row, level)
    } else {
      // Class instances (Schema.Class, Data.struct): their own enumerable fields, like an object.
      this.writeObject(t, field, value, row, level)
    }
  }
}
