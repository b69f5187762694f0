/**
 * dlt's `schema_contract`: what happens when a record would add a table, a column, or a value
 * that does not fit its column. `evolve` lets it happen; `freeze` fails the batch;
 * `discard_row` drops the row (and its child rows); `discard_value` drops just the value.
 */
import { DropRow, NormalizeFailure } from "./failure.js"
import type { TableState } from "./tableState.js"
import type { DataType } from "./tableSchema.js"

export type ContractMode = "evolve" | "freeze" | "discard_row" | "discard_value"

export interface SchemaContract {
  /** A new table (a new child table, or the root table on a first load). */
  readonly tables: ContractMode
  /** A new column in an existing table. */
  readonly columns: ContractMode
  /** A value that does not fit its column (dlt's variant columns). */
  readonly dataType: ContractMode
}

export const evolveEverywhere: SchemaContract = { tables: "evolve", columns: "evolve", dataType: "evolve" }

/** Asks a contract about each new table, column and variant column; throws for freeze and discard_row. */
export class ContractGate {
  /** Some mode is not `evolve`: rows may be dropped. False keeps the hot path free of try/catch. */
  readonly strict: boolean

  constructor(readonly contract: SchemaContract) {
    this.strict = contract.tables !== "evolve" || contract.columns !== "evolve" || contract.dataType !== "evolve"
  }

  /** A table that does not exist yet: true = create it, false = drop its rows. */
  admitTable(t: TableState): boolean {
    const mode = this.contract.tables
    if (mode === "evolve") {
      t.created = true
      return true
    }
    if (mode === "freeze") throw new NormalizeFailure({ message: `schema_contract freeze: new table '${t.name}'`, table: t.name })
    return false
  }

  /** A new column in `t`: true = create it, false = drop the value. */
  admitColumn(t: TableState, column: string): boolean {
    // dlt lets the columns of a table new in this run evolve.
    if (!t.preexisting || this.contract.columns === "evolve") return true
    return this.violate(this.contract.columns, `new column '${column}' in table '${t.name}'`, t, column)
  }

  /** A new variant column for a `natural` value in `column` of type `columnType`: true = create it. */
  admitVariant(t: TableState, column: string, natural: DataType, columnType: DataType): boolean {
    if (this.contract.dataType === "evolve") return true
    return this.violate(
      this.contract.dataType,
      `value of column '${column}' in table '${t.name}' is ${natural} and does not fit its type ${columnType}`,
      t,
      column
    )
  }

  /** freeze fails the batch, discard_row abandons the row, discard_value returns false (the value is dropped). */
  private violate(mode: ContractMode, what: string, t: TableState, column: string): boolean {
    if (mode === "freeze") throw new NormalizeFailure({ message: `schema_contract freeze: ${what}`, table: t.name, column })
    if (mode === "discard_row") throw DropRow
    return false
  }
}
