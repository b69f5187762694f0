/**
 * Puts a cell into a row: in its field's column (created with the value's natural type when
 * new), coerced to the column's type when it differs, else in a variant column
 * `<column>__v_<type>`. New columns and variants pass the schema contract first.
 */
import { coerce, NoFit, variantColumnName } from "./coercion.js"
import type { ContractGate } from "./contracts.js"
import { NormalizeFailure } from "./failure.js"
import type { Cell, ColumnSchema, DataType } from "./tableSchema.js"
import type { Field, MutableRow, TableState } from "./tableState.js"

export class ColumnWriter {
  /**
   * @param notNullRoot root columns created NOT NULL (merge keys, `nullable: false` hints)
   */
  constructor(private readonly gate: ContractGate, private readonly notNullRoot: ReadonlySet<string>) {}

  /** The field's column, created with `type` if new; undefined when the contract discards the value. */
  columnOf(t: TableState, field: Field, type: DataType): ColumnSchema | undefined {
    const existing = t.byName.get(field.column)
    if (existing !== undefined) return existing.source === undefined ? t.ownColumn(existing, field.source) : existing
    if (t.preexisting && !this.gate.admitColumn(t, field.column)) return undefined
    return t.addColumn({
      name: field.column,
      type,
      nullable: !(t.isRoot && this.notNullRoot.has(field.column)),
      source: field.source
    })
  }

  /** Stores a scalar (or a jsonb value) whose natural type is `natural` and cell form `cell`. */
  put(t: TableState, field: Field, natural: DataType, cell: Cell, row: MutableRow): void {
    let col = field.col
    if (col === undefined) {
      col = this.columnOf(t, field, natural)
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
    const variant = this.variantOf(t, field, natural, col)
    if (variant === undefined) return
    if (variant.type === natural) {
      row[variant.name] = cell
      return
    }
    const again = coerce(variant.type, natural, cell)
    if (again === NoFit) {
      throw new NormalizeFailure({
        message: `value of column ${field.column} is ${natural} and fits neither ${col.type} nor its variant column ${variant.name} (${variant.type})`,
        table: t.name
      })
    }
    row[variant.name] = again
  }

  /** The variant column for `natural` values of the field, typed by the value itself; undefined when discarded. */
  private variantOf(t: TableState, field: Field, natural: DataType, col: ColumnSchema): ColumnSchema | undefined {
    field.variants ??= {}
    let variant = field.variants[natural]
    if (variant !== undefined) return variant
    const name = variantColumnName(field.column, natural)
    variant = t.byName.get(name)
    if (variant === undefined) {
      // dlt's data_type contract guards new variant columns; existing ones take their values.
      if (!this.gate.admitVariant(t, field.column, natural, col.type)) return undefined
      variant = t.addColumn({ name, type: natural, nullable: true, source: field.source })
    } else if (variant.source === undefined) {
      variant = t.ownColumn(variant, field.source)
    }
    field.variants[natural] = variant
    return variant
  }
}
