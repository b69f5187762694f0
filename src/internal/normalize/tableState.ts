/**
 * What the normalizer knows about one table while it runs: its columns, its parent, and the
 * record keys it has met, each resolved once into a `Field` that caches its column. The inner
 * loop then does one Map lookup per key and no name normalization; memory grows with the number
 * of distinct keys, never with records.
 */
import { NormalizeFailure } from "./failure.js"
import { keyName, NameClaims, sourceIdOf } from "./nameClaims.js"
import { PathSeparator, shorten } from "./naming.js"
import { tableWords } from "./rowIdentity.js"
import type { Cell, ColumnSchema, DataType, TableSchema } from "./tableSchema.js"
import { childSystemColumns, DataTypes, rootSystemColumns, systemColumnNames } from "./tableSchema.js"

/** A row being filled. */
export type MutableRow = Record<string, Cell>

/** One level of nesting inside a table: the table's top, or a nested object flattened into it. */
export interface PathNode {
  readonly table: TableState
  /** Unshortened column path of this node (plain names, see nameClaims.ts), "" at the table's top. */
  readonly prefix: string
  /** Raw keys from the table's row to this node. */
  readonly source: ReadonlyArray<string>
  /** By raw record key. */
  readonly fields: Map<string, Field>
}

/** A record key at one node, resolved to its column (and variants, nested node, child table). */
export interface Field {
  /** Unshortened path within the table (`meta__tags`), as claimed (nameClaims.ts): a column's or a child table's. */
  readonly fullName: string
  /** Unshortened plain path: a nested object's keys go under it. */
  readonly plain: string
  /** Column name (shortened). */
  readonly column: string
  /** Raw keys from the table's row to this one. */
  readonly source: ReadonlyArray<string>
  col: ColumnSchema | undefined
  variants: Partial<Record<DataType, ColumnSchema>> | undefined
  /** The node of a nested object at this key. */
  sub: PathNode | undefined
  /** The child table of a list at this key. */
  child: TableState | undefined
}

export class TableState {
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
  /** The last `schema()`, until the columns or the parent change. */
  private cachedSchema: TableSchema | undefined = undefined
  /** Rows of the batch being normalized. */
  pending: Array<MutableRow> | undefined = undefined
  /** The key of scalar list items (`value`) and of lists in lists (`list`), once met. */
  valueField: Field | undefined = undefined
  listField: Field | undefined = undefined
  /** Hash of the name, mixed into the ids of this table's rows. */
  readonly idWord1: number
  readonly idWord2: number
  /** Names of this table's columns and lists, by source key. */
  readonly claims = new NameClaims()
  /** A child table's source key (its list's raw keys in the parent row). */
  source: ReadonlyArray<string> | undefined

  constructor(
    readonly name: string,
    fullPath: string,
    parent: string | undefined,
    readonly isRoot: boolean,
    source?: ReadonlyArray<string> | undefined
  ) {
    this.fullPath = fullPath
    this.parent = parent
    this.source = source
    const [w1, w2] = tableWords(name)
    this.idWord1 = w1
    this.idWord2 = w2
    this.node = { table: this, prefix: "", source: [], fields: new Map() }
  }

  addColumn(column: ColumnSchema): ColumnSchema {
    this.columns.push(column)
    this.byName.set(column.name, column)
    this.cachedSchema = undefined
    return column
  }

  ensureSystemColumns(): void {
    for (const c of this.isRoot ? rootSystemColumns : childSystemColumns) {
      if (!this.byName.has(c.name)) this.addColumn(c)
    }
  }

  /** A stored (or declared, or hinted) column whose source was not recorded, now known to hold `source`. */
  ownColumn(column: ColumnSchema, source: ReadonlyArray<string>): ColumnSchema {
    const owned: ColumnSchema = { ...column, source }
    const i = this.columns.indexOf(column)
    if (i >= 0) this.columns[i] = owned
    this.byName.set(column.name, owned)
    this.cachedSchema = undefined
    return owned
  }

  /** Records the parent (and the source key of its list) once known (a stored table may come without). */
  adoptParent(parent: string | undefined, source?: ReadonlyArray<string> | undefined): void {
    if (this.parent === undefined && parent !== undefined) {
      this.parent = parent
      this.cachedSchema = undefined
    }
    if (this.source === undefined && source !== undefined) {
      this.source = source
      this.cachedSchema = undefined
    }
  }

  /** The table as a TableSchema; a snapshot that later columns do not change. */
  schema(): TableSchema {
    this.cachedSchema ??= { name: this.name, parent: this.parent, source: this.source, columns: this.columns.slice() }
    return this.cachedSchema
  }

  /** Drops the columns added since the table had `mark` columns (a discarded row made them). */
  dropColumnsFrom(mark: number): void {
    if (this.columns.length <= mark) return
    const removed = new Set(this.columns.splice(mark))
    for (const c of removed) this.byName.delete(c.name)
    this.cachedSchema = undefined
    forgetColumns(this.node, removed)
  }
}

/** Clears the fields' cached references to removed columns. */
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

/**
 * Resolves a raw record key met at `node` (first time only: callers look in `node.fields` first),
 * claiming its name in the table (nameClaims.ts): so a key's name is worked out once per table.
 */
export const fieldOf = (node: PathNode, key: string): Field => {
  const name = keyName(key)
  const plain = node.prefix === "" ? name : node.prefix + PathSeparator + name
  if (node.prefix === "" && systemColumnNames.has(name)) {
    throw new NormalizeFailure({ message: `key "${key}" collides with the system column ${name}`, table: node.table.name })
  }
  const source = [...node.source, key]
  const fullName = node.table.claims.claim(sourceIdOf(source), plain)
  const field: Field = {
    fullName,
    plain,
    column: shorten(fullName),
    source,
    col: undefined,
    variants: undefined,
    sub: undefined,
    child: undefined
  }
  node.fields.set(key, field)
  return field
}
